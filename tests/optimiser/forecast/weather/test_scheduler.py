"""When to call a provider: decisions from the remembered state alone (no clock, no network)."""

from __future__ import annotations

from pathlib import Path

from optimiser.forecast.weather.cache import ProviderState, WeatherCache
from optimiser.forecast.weather.scheduler import Action, CallPolicy, decide

POLICY = CallPolicy(calls_per_day=10, refresh_s=3600, max_age_s=12 * 3600, retry_s=1800)
T = 1_750_000_000.0
SITE = "51.4800,0.0000"


def test_nothing_remembered_calls():
    assert decide(ProviderState(), T, SITE, POLICY).action == Action.CALL


def test_fresh_cache_is_used_without_a_call():
    state = ProviderState().called(T).succeeded(T, {"x": 1}, SITE)
    assert decide(state, T + 600, SITE, POLICY) == decide(state, T + 3599, SITE, POLICY)
    assert decide(state, T + 600, SITE, POLICY).action == Action.USE_CACHE
    assert decide(state, T + 600, SITE, POLICY).reason == ""


def test_cache_for_another_site_is_not_used():
    state = ProviderState().called(T).succeeded(T, {"x": 1}, "other")
    assert decide(state, T + 600, SITE, POLICY).action == Action.FALL_BACK


def test_calls_are_spread_over_the_day():
    state = ProviderState().called(T).succeeded(T, {"x": 1}, SITE)
    # A day's 10 calls: one every 144 min; at 2 h the cache is stale but no call is due.
    decision = decide(state, T + 7200, SITE, POLICY)
    assert decision.action == Action.USE_CACHE
    assert "one call every 144 min" in decision.reason
    assert decide(state, T + 144 * 60, SITE, POLICY).action == Action.CALL


def test_daily_quota_falls_back_when_nothing_cached():
    state = ProviderState()
    for k in range(10):
        state = state.called(T + k * 8640)
    decision = decide(state, T + 86000, SITE, POLICY)
    assert decision.action == Action.FALL_BACK
    assert decision.reason.startswith("quota: 10 calls")
    assert decide(state, T + 86400 + 1, SITE, POLICY).action == Action.CALL  # first one aged out


def test_after_a_failure_no_call_until_the_retry_pause_ends():
    state = ProviderState().called(T).failed(T, "no answer within 2 s")
    decision = decide(state, T + 60, SITE, POLICY)
    assert decision.action == Action.FALL_BACK
    assert "no answer within 2 s" in decision.reason
    assert "next try in 29 min" in decision.reason
    assert decide(state, T + 1800 + 144 * 60, SITE, POLICY).action == Action.CALL


def test_too_old_cache_is_not_used():
    state = ProviderState().called(T).succeeded(T, {"x": 1}, SITE).called(T + 13 * 3600 - 60)
    assert decide(state, T + 13 * 3600, SITE, POLICY).action == Action.FALL_BACK


def test_cache_file_round_trip_and_unreadable_file(tmp_path: Path):
    cache = WeatherCache(tmp_path / "weather")
    assert cache.load("open-meteo") == ProviderState()
    state = ProviderState().called(T).succeeded(T, {"hourly": {"time": [1]}}, SITE)
    cache.store("open-meteo", state)
    assert cache.load("open-meteo") == state
    cache.path("open-meteo").write_text("{not json", encoding="utf-8")
    assert cache.load("open-meteo") == ProviderState()
