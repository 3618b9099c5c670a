"""When the service wakes: polls on interval multiples, decisions a settle margin before each
slot, the nightly re-plan at local time across a clock change."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from optimiser.domain.clock import SteppedClock
from optimiser.service.timer import (
    Schedule,
    decision_after,
    nightly_after,
    poll_after,
    sleep_until,
)

LONDON = ZoneInfo("Europe/London")


def test_polls_fall_on_whole_multiples_of_the_interval():
    assert poll_after(600.0, 300.0) == 900.0
    assert poll_after(899.9, 300.0) == 900.0


def test_a_decision_is_due_the_settle_margin_before_the_next_boundary():
    at = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    assert decision_after(at, 30, 5) == at.replace(minute=25)
    assert decision_after(at.replace(minute=25), 30, 5) == at.replace(minute=55)
    assert decision_after(at.replace(minute=26), 30, 5) == at.replace(minute=55)


def test_the_nightly_plan_is_at_local_time_on_both_sides_of_a_clock_change():
    winter = datetime(2025, 3, 29, 22, 0, tzinfo=UTC)  # Saturday; clocks go forward on Sunday
    assert nightly_after(winter, "21:00", LONDON) == datetime(2025, 3, 30, 20, 0, tzinfo=UTC)
    before = datetime(2025, 3, 29, 20, 59, tzinfo=UTC)
    assert nightly_after(before, "21:00", LONDON) == datetime(2025, 3, 29, 21, 0, tzinfo=UTC)


def test_the_schedule_wakes_at_the_earliest_and_a_stop_ends_a_sleep():
    at = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    schedule = Schedule(at.timestamp() + 300, at + timedelta(minutes=25), at + timedelta(hours=9))
    assert schedule.wake() == at + timedelta(minutes=5)
    clock = SteppedClock(at)
    stop = threading.Event()
    assert sleep_until(clock, schedule.wake(), stop) and clock.now() == schedule.wake()
    stop.set()
    assert not sleep_until(clock, at + timedelta(hours=1), stop)
