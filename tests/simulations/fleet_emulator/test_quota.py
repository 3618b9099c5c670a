"""The command quota: 429 with Retry-After to the next UTC midnight on the clock; the
documented limits also ration tariff changes per month and live reads per 5 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from optimiser.config import DOCUMENTED_LIMITS
from optimiser.domain.clock import SteppedClock
from simulations.fleet_emulator.quota import CommandQuota
from tests.simulations.fleet_emulator.conftest import START, call


def test_commands_answer_updated_and_quota_gives_429(emulator, clock):
    for _ in range(6):
        answer = call(emulator, "POST", "storm_mode", {"enabled": True})
        assert answer.json() == {"response": {"code": 201, "message": "Updated"}}
    refused = call(emulator, "POST", "storm_mode", {"enabled": False})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 12 * 3600
    assert call(emulator, "GET", "live_status").json()["response"]["storm_mode_active"] is True
    assert emulator.commands_used() == 6 and emulator.post_count() == 7
    clock.advance(timedelta(hours=12))
    assert call(emulator, "POST", "storm_mode", {"enabled": False}).status_code == 201
    assert emulator.commands_by_day() == {START.date(): 6, START.date() + timedelta(days=1): 1}


def test_quota_counts_per_utc_day_and_can_change_while_running():
    clock = SteppedClock(START)
    quota = CommandQuota(clock, per_day=1)
    assert quota.take() is None
    assert quota.take() == 12 * 3600
    quota.per_day = None
    assert quota.take() is None and quota.used() == 2
    clock.advance(timedelta(days=1))
    assert quota.used() == 0 and quota.used(START.date()) == 2


def test_documented_limits_refuse_a_sixth_write_a_second_tariff_and_a_quick_read(emulator, clock):
    emulator.quota.enforce(DOCUMENTED_LIMITS)
    tariff = {"tou_settings": {"tariff_content_v2": {}}}
    assert call(emulator, "POST", "time_of_use_settings", tariff).status_code != 429
    again = call(emulator, "POST", "time_of_use_settings", tariff)
    assert again.status_code == 429  # one tariff change a month
    assert (
        int(again.headers["Retry-After"])
        == (datetime(2025, 4, 1, tzinfo=UTC) - START).total_seconds()
    )
    for _ in range(4):
        assert call(emulator, "POST", "storm_mode", {"enabled": True}).status_code == 201
    assert call(emulator, "POST", "storm_mode", {"enabled": True}).status_code == 429
    assert emulator.commands_used() == 5
    assert call(emulator, "GET", "live_status").status_code == 200
    too_soon = call(emulator, "GET", "live_status")
    assert too_soon.status_code == 429 and int(too_soon.headers["Retry-After"]) == 300
    clock.advance(timedelta(minutes=5))
    assert call(emulator, "GET", "live_status").status_code == 200
    assert call(emulator, "GET", "site_info").status_code == 200  # not rationed
    clock.advance(timedelta(days=22))  # April: a new month
    assert call(emulator, "POST", "time_of_use_settings", tariff).status_code != 429
    assert emulator.quota.tariff_changes_by_month() == {(2025, 3): 1, (2025, 4): 1}
