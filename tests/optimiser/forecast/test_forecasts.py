"""Forecasts: only the past is used, DST days work, history beats the no-history default."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.config import Config, ForecastConfig, SiteConfig
from optimiser.domain.history import History, InvalidHistory
from optimiser.domain.slots import LONDON, SlotGrid
from optimiser.domain.traces import Trace
from optimiser.forecast import Forecast, Forecaster, HistoryForecaster, PerfectForecaster
from simulations.datasets import demo_trace, demo_year

SITE = SiteConfig()
CONFIG = ForecastConfig()


@pytest.fixture(scope="module")
def year() -> Trace:
    return demo_year(2025)


@pytest.fixture(scope="module")
def history(year) -> History:
    return year


@pytest.fixture(scope="module")
def forecaster() -> HistoryForecaster:
    return HistoryForecaster(SITE, CONFIG)


def test_both_forecasters_satisfy_the_protocol(year, forecaster):
    assert isinstance(forecaster, Forecaster)
    assert isinstance(PerfectForecaster(year), Forecaster)


# -- no future leak ---------------------------------------------------------------------


def _poisoned(history: History, now: datetime) -> History:
    """The same history with every sample not fully known at ``now`` replaced by nonsense."""
    future = history.epoch_s + history.interval_s > now.timestamp()
    return replace(
        history,
        load_kw=np.where(future, 50.0, history.load_kw),
        solar_kw=np.where(future, 0.0, history.solar_kw),
    )


@given(
    day=st.integers(min_value=20, max_value=340),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
)
def test_data_after_now_cannot_change_the_forecast(year, history, forecaster, day, minute):
    now = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day, minutes=minute)
    grid = SlotGrid.covering(now, now + timedelta(hours=36), 30)
    clean = forecaster.forecast(grid, history, now)
    poisoned = forecaster.forecast(grid, _poisoned(history, now), now)
    assert np.array_equal(clean.load_kw, poisoned.load_kw)
    assert np.array_equal(clean.solar_kw, poisoned.solar_kw)


def test_poisoning_the_past_does_change_it(history, forecaster):
    """Guard for the test above: the poison is strong enough to show if it leaked."""
    now = datetime(2025, 6, 10, 7, 3, tzinfo=UTC)
    grid = SlotGrid.covering(now, now + timedelta(hours=24), 30)
    clean = forecaster.forecast(grid, history, now)
    day_before = now - timedelta(days=1)
    poisoned = _poisoned(history, day_before)  # poison from a day before `now` onwards
    changed = forecaster.forecast(grid, poisoned, now)
    assert not np.allclose(clean.load_kw, changed.load_kw)
    assert not np.allclose(clean.solar_kw, changed.solar_kw)


def test_a_sample_running_past_now_is_not_yet_known(history):
    now = datetime(2025, 5, 1, 12, 2, tzinfo=UTC)  # inside the 12:00–12:05 sample
    known = history.before(now)
    assert known.epoch_s[-1] + known.interval_s <= now.timestamp()
    assert known.epoch_s[-1] == datetime(2025, 5, 1, 11, 55, tzinfo=UTC).timestamp()
    readings = History(np.array([0.0, 90.0, 180.0]), np.ones(3), np.zeros(3))
    assert len(readings.before(datetime.fromtimestamp(90.0, UTC))) == 1
    assert len(readings.before(datetime.fromtimestamp(90.5, UTC))) == 2


# -- grids and DST ----------------------------------------------------------------------


@pytest.mark.parametrize(("day", "slots"), [(date(2025, 3, 30), 46), (date(2025, 10, 26), 50)])
def test_clock_change_days_have_46_or_50_slots(history, forecaster, day, slots):
    grid = SlotGrid.local_days(day, 1)
    now = grid.start
    for fc in (forecaster.forecast(grid, history, now), forecaster.forecast(grid, None, now)):
        assert len(fc.load_kw) == len(fc.solar_kw) == slots
        assert np.all(fc.load_kw > 0)
        assert np.all(fc.solar_kw >= 0)
    assert len(PerfectForecaster(demo_year(2025)).forecast(grid, None, now)) == slots


def test_load_profile_follows_the_local_clock_across_a_clock_change(forecaster):
    """The evening peak stays at the same local time; in UTC it moves an hour."""
    peaks = []
    for day in (date(2025, 3, 28), date(2025, 4, 1)):  # a Friday GMT and a Tuesday BST
        grid = SlotGrid.local_days(day, 1)
        fc = forecaster.forecast(grid, None, grid.start)
        start = grid.slot_start(int(np.argmax(fc.load_kw)))
        peaks.append((start.astimezone(LONDON).time(), start.astimezone(UTC).time()))
    assert peaks[0][0] == peaks[1][0]
    assert peaks[0][1] != peaks[1][1]


def test_slot_lengths_all_give_consistent_energy(history, forecaster):
    now = datetime(2025, 8, 3, tzinfo=UTC)
    daily = {}
    for minutes in (5, 15, 30, 60):
        grid = SlotGrid.covering(now, now + timedelta(days=1), minutes)
        fc = forecaster.forecast(grid, history, now)
        daily[minutes] = (fc.load_kw.sum() * minutes / 60, fc.solar_kw.sum() * minutes / 60)
    loads = np.array([v[0] for v in daily.values()])
    solars = np.array([v[1] for v in daily.values()])
    assert np.ptp(loads) < 0.02 * loads.mean()
    assert np.ptp(solars) < 0.02 * solars.mean()


# -- learning from history --------------------------------------------------------------


def _held_out_mae(year, history, forecaster):
    perfect = PerfectForecaster(year)
    errors = []
    for offset in range(45, 360, 9):
        grid = SlotGrid.local_days(date(2025, 1, 1) + timedelta(days=offset), 1)
        now = grid.start
        truth = perfect.forecast(grid, None, now)
        learned = forecaster.forecast(grid, history, now)
        default = forecaster.forecast(grid, None, now)
        errors.append(
            [
                np.mean(np.abs(learned.load_kw - truth.load_kw)),
                np.mean(np.abs(default.load_kw - truth.load_kw)),
                np.mean(np.abs(learned.solar_kw - truth.solar_kw)),
                np.mean(np.abs(default.solar_kw - truth.solar_kw)),
            ]
        )
    return np.mean(errors, axis=0)


def test_history_beats_the_no_history_default_on_held_out_days(year, history, forecaster):
    load_learned, load_default, solar_learned, solar_default = _held_out_mae(
        year, history, forecaster
    )
    assert load_learned < 0.98 * load_default
    # Day-ahead solar from history gains only the weather's persistence: small but real.
    assert solar_learned < 0.995 * solar_default


def test_learns_a_bigger_household_and_a_shaded_array(year, forecaster):
    now = datetime(2025, 5, 20, tzinfo=UTC)
    grid = SlotGrid.covering(now, now + timedelta(days=1), 30)
    base = year
    scaled = replace(base, load_kw=base.load_kw * 2.0, solar_kw=base.solar_kw * 0.5)
    plain = forecaster.forecast(grid, base, now)
    changed = forecaster.forecast(grid, scaled, now)
    assert changed.load_kw.sum() == pytest.approx(2.0 * plain.load_kw.sum(), rel=0.05)
    assert changed.solar_kw.sum() == pytest.approx(0.5 * plain.solar_kw.sum(), rel=0.05)


def test_gaps_in_history_are_tolerated(year, history, forecaster):
    now = datetime(2025, 9, 15, tzinfo=UTC)
    grid = SlotGrid.covering(now, now + timedelta(days=1), 30)
    full = forecaster.forecast(grid, history, now)
    rng = np.random.default_rng(5)
    day = ((history.epoch_s - history.epoch_s[0]) // 86400).astype(int)
    lost_days = np.isin(day, rng.choice(np.arange(220, 257), size=12, replace=False))
    nan_readings = rng.random(len(history)) < 0.2
    load = np.where(lost_days | nan_readings, np.nan, history.load_kw)
    solar = np.where(lost_days, np.nan, history.solar_kw)
    keep = rng.random(len(history)) > 0.3  # missing samples too, not only NaN
    gappy = History(history.epoch_s[keep], load[keep], solar[keep], history.interval_s)
    patchy = forecaster.forecast(grid, gappy, now)
    assert np.all(np.isfinite(patchy.load_kw))
    assert np.all(np.isfinite(patchy.solar_kw))
    assert patchy.load_kw.sum() == pytest.approx(full.load_kw.sum(), rel=0.1)
    assert patchy.solar_kw.sum() == pytest.approx(full.solar_kw.sum(), rel=0.1)


def test_too_little_or_unusable_history_falls_back_to_typical(year, history, forecaster):
    now = datetime(2025, 4, 10, tzinfo=UTC)
    grid = SlotGrid.covering(now, now + timedelta(days=1), 30)
    default = forecaster.forecast(grid, None, now)
    one_day = demo_trace(now - timedelta(days=1), now)
    all_nan = replace(
        history, load_kw=np.full(len(history), np.nan), solar_kw=np.nan * history.solar_kw
    )
    only_future = demo_trace(now, now + timedelta(days=5))
    for weak in (one_day, all_nan, only_future):
        fc = forecaster.forecast(grid, weak, now)
        assert np.array_equal(fc.load_kw, default.load_kw)
        assert np.array_equal(fc.solar_kw, default.solar_kw)
    assert not np.array_equal(forecaster.forecast(grid, history, now).load_kw, default.load_kw)


def test_default_forecast_is_uk_typical_over_a_year(forecaster):
    grid = SlotGrid.covering(datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), 60)
    fc = forecaster.forecast(grid, None, grid.start)
    assert fc.load_kw.sum() == pytest.approx(3600, rel=0.03)
    assert 800 <= fc.solar_kw.sum() / SITE.solar.kwp <= 1000
    site = SITE.model_copy(update={"solar": SITE.solar.model_copy(update={"kwp": 0.0})})
    assert HistoryForecaster(site, CONFIG).forecast(grid, None, grid.start).solar_kw.max() == 0


# -- perfect foresight and types --------------------------------------------------------


def test_perfect_forecaster_gives_true_slot_averages(year):
    start = datetime(2025, 7, 1, tzinfo=UTC)
    half_hourly = demo_trace(start, start + timedelta(days=2), step_minutes=30)
    grid = SlotGrid(start, 30, 96)
    fc = PerfectForecaster(year).forecast(grid, None, start)
    assert np.allclose(fc.load_kw, half_hourly.load_kw, atol=1e-9)
    assert np.allclose(fc.solar_kw, half_hourly.solar_kw, atol=1e-6)
    # A 5-minute grid offset inside the trace reproduces the samples themselves.
    fine = PerfectForecaster(year).forecast(SlotGrid(start, 5, 12), None, start)
    i = int(np.searchsorted(year.epoch_s, start.timestamp()))
    assert np.allclose(fine.load_kw, year.load_kw[i : i + 12])


def test_perfect_forecaster_on_a_wrapping_trace_and_past_the_end():
    trace = Trace(np.array([0.0, 1800.0]), np.array([1.0, 3.0]), np.array([0.0, 2.0]), wrap=True)
    grid = SlotGrid(datetime.fromtimestamp(3600 * 24, UTC), 60, 3)
    fc = PerfectForecaster(trace).forecast(grid, None, grid.start)
    assert np.allclose(fc.load_kw, 2.0)
    assert np.allclose(fc.solar_kw, 1.0)
    ending = Trace(np.array([0.0, 1800.0]), np.array([1.0, 3.0]), np.array([0.0, 2.0]))
    late = PerfectForecaster(ending).forecast(SlotGrid(grid.start, 30, 2), None, grid.start)
    assert np.allclose(late.load_kw, 3.0)  # the last sample holds, as Trace.at does


def test_history_validates_and_sorts():
    with pytest.raises(InvalidHistory, match="one value per time"):
        History(np.arange(3.0), np.ones(2), np.ones(3))
    with pytest.raises(InvalidHistory, match="finite"):
        History(np.array([0.0, np.nan]), np.ones(2), np.ones(2))
    h = History(np.array([180.0, 0.0, 90.0]), np.array([3.0, 1.0, 2.0]), np.zeros(3))
    assert list(h.epoch_s) == [0.0, 90.0, 180.0]
    assert list(h.load_kw) == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="timezone-aware"):
        h.before(datetime(2025, 1, 1))


def test_forecast_rejects_negative_or_mismatched_values():
    with pytest.raises(ValueError, match=">= 0"):
        Forecast(np.array([-0.1]), np.array([0.0]))
    with pytest.raises(ValueError, match="solar values"):
        Forecast(np.array([1.0, 1.0]), np.array([0.0]))


def test_forecast_config_section_is_strict():
    config = Config.model_validate({"forecast": {"half_life_days": 3, "lookback_days": 14}})
    assert config.forecast.half_life_days == 3
    with pytest.raises(ValueError, match="half_life"):
        Config.model_validate({"forecast": {"half_life": 3}})


def test_todays_sky_and_the_recent_level_carry_into_the_next_hours(year):
    """A grey morning lowers the afternoon's solar; a busier three days raise the load."""
    now = datetime(2025, 6, 12, 11, 0, tzinfo=UTC)
    grid = SlotGrid.covering(now, now + timedelta(hours=30), 30)
    today = (year.epoch_s >= now.timestamp() - 3 * 3600) & (year.epoch_s < now.timestamp())
    grey = replace(year, solar_kw=np.where(today, 0.3 * year.solar_kw, year.solar_kw))
    busy = year.epoch_s >= now.timestamp() - 3 * 86400
    busier = replace(grey, load_kw=np.where(busy, 1.5 * year.load_kw, year.load_kw))
    plain = ForecastConfig(solar_today_weight=0.0, load_level_weight=0.0)
    made = HistoryForecaster(SITE, CONFIG).forecast(grid, busier, now)
    without = HistoryForecaster(SITE, plain).forecast(grid, busier, now)
    assert made.solar_kw[:4].sum() < 0.7 * without.solar_kw[:4].sum()  # the next two hours
    assert made.solar_kw[-4:].sum() == pytest.approx(without.solar_kw[-4:].sum(), rel=0.05)
    assert made.load_kw[:4].sum() > 1.08 * without.load_kw[:4].sum()
    assert made.load_kw[:4].sum() < 1.5 * without.load_kw[:4].sum()
