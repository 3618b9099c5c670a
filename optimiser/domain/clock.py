"""Clocks: real time, accelerated time, and time stepped by hand.

Everything that asks "what time is it" (the emulator, the recorder, the service loop, the
replay) takes a :class:`Clock`, so tests and simulations can run a day in seconds.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from optimiser.domain.slots import require_aware


class Clock(Protocol):
    """Source of the current time."""

    def now(self) -> datetime:
        """Current time, UTC, aware."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""
        ...


class RealClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0))


class AcceleratedClock:
    """Time that starts at ``start`` and runs ``speed`` times faster than the wall clock."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.start = require_aware(start, "clock start") if start else datetime.now(UTC)
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._origin) * self.speed)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0) / self.speed)


class SteppedClock:
    """Time that moves only when told to; ``sleep`` advances it instantly."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "clock start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new time."""
        if delta < timedelta(0):
            raise ValueError(f"a clock cannot go backwards, got {delta}")
        with self._lock:
            self._now += delta
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(timedelta(seconds=max(seconds, 0.0)))
