"""The inbox: thread-safe, wakes the loop at once, keeps what the service applied."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from optimiser.domain.clock import RealClock
from optimiser.service import HomeInputs, Inbox, ReplanNow, ReserveFloor
from optimiser.service.timer import sleep_until


def test_messages_from_many_threads_arrive_in_order_per_thread():
    inbox = Inbox()
    threads = [
        threading.Thread(
            target=lambda n=n: [inbox.put(ReserveFloor(n * 10 + i)) for i in range(10)]
        )
        for n in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert inbox.wake.is_set() and inbox.pending() == 40
    got = [m.percent for m in inbox.drain()]
    for n in range(4):
        mine = [p for p in got if n * 10 <= p < n * 10 + 10]
        assert mine == sorted(mine)
    assert not inbox.wake.is_set() and inbox.drain() == []


def test_a_flood_keeps_the_latest():
    inbox = Inbox(max_pending=3)
    for i in range(10):
        inbox.put(ReserveFloor(float(i)))
    assert [m.percent for m in inbox.drain()] == [7.0, 8.0, 9.0]


def test_a_message_wakes_a_sleeping_loop():
    inbox, stop = Inbox(), threading.Event()
    clock = RealClock()
    target = clock.now() + timedelta(hours=1)
    timer = threading.Timer(0.05, lambda: inbox.put(ReplanNow()))
    timer.start()
    try:
        assert sleep_until(clock, target, stop, inbox.wake) is True
    finally:
        timer.cancel()
    assert clock.now() < target and inbox.pending() == 1


def test_what_the_service_applied_is_kept_for_publishers():
    inbox = Inbox()
    assert inbox.current() is None
    applied, _ = HomeInputs().taking([ReserveFloor(30.0)], datetime(2025, 1, 1, tzinfo=UTC))
    inbox.settle(applied)
    assert inbox.current() == applied
