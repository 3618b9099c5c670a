"""The daily command quota: 429 with Retry-After to the next UTC midnight on the clock."""

from __future__ import annotations

from datetime import timedelta

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
