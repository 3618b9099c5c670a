"""When the service wakes: polls on whole multiples of the interval (UTC), a decision a settle
margin before every slot boundary, the nightly re-plan at a local time; and a sleep on the
injected clock that notices a stop request within a real second and a message from the home
at once."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from optimiser.domain.clock import AcceleratedClock, Clock, SteppedClock
from optimiser.domain.slots import floor_to_slot


@dataclass
class Schedule:
    """When the service next polls, decides for a slot and re-plans nightly."""

    poll_s: float
    """The next poll, seconds since the epoch. [s]"""
    decision: datetime
    nightly: datetime

    def wake(self) -> datetime:
        """The earliest of the three."""
        poll = datetime.fromtimestamp(self.poll_s, self.decision.tzinfo)
        return min(poll, self.decision, self.nightly)


def poll_after(now_s: float, interval_s: float) -> float:
    """The next whole multiple of the interval strictly after ``now_s``. [s]"""
    return (math.floor(now_s / interval_s) + 1) * interval_s


def decision_after(now: datetime, slot_minutes: int, settle_minutes: float) -> datetime:
    """The next slot boundary minus the settle margin, strictly after ``now``."""
    settle = timedelta(minutes=settle_minutes)
    boundary = floor_to_slot(now, slot_minutes) + timedelta(minutes=slot_minutes)
    while boundary - settle <= now:
        boundary += timedelta(minutes=slot_minutes)
    return boundary - settle


def nightly_after(now: datetime, at: str, tz: ZoneInfo) -> datetime:
    """The next ``at`` (``HH:MM``, local time in ``tz``) strictly after ``now``, in ``now``'s
    time zone."""
    hh, mm = (int(x) for x in at.split(":"))
    day = now.astimezone(tz).date()
    while True:
        when = datetime.combine(day, time(hh, mm), tz)
        if when > now:
            return when.astimezone(now.tzinfo)
        day += timedelta(days=1)


def sleep_until(
    clock: Clock, target: datetime, stop: threading.Event, wake: threading.Event | None = None
) -> bool:
    """Sleep on ``clock`` until ``target``, or until ``wake`` is set; False when ``stop`` was
    set first.

    A stepped clock jumps straight there; a real or accelerated one naps at most a real
    second at a time, so a stop request is noticed promptly, and waits on ``wake`` (when
    given) so a message from the home is taken at once.
    """
    stepped = isinstance(clock, SteppedClock)
    speed = clock.speed if isinstance(clock, AcceleratedClock) else 1.0
    while not stop.is_set():
        if wake is not None and wake.is_set():
            return True
        remaining = (target - clock.now()).total_seconds()
        if remaining <= 0:
            return True
        if stepped:
            clock.sleep(remaining)
        elif wake is not None:
            wake.wait(min(remaining / speed, 1.0))  # at most one real second [s]
        else:
            clock.sleep(min(remaining, speed))  # at most one real second of clock time
    return False
