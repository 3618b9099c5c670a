"""The Fleet API's daily command quota, counted per UTC day of the clock."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from optimiser.domain.clock import Clock


class CommandQuota:
    """Commands accepted per UTC day; ``per_day`` None means unlimited. Thread-safe."""

    def __init__(self, clock: Clock, per_day: int | None = None) -> None:
        self.clock = clock
        self.per_day = per_day
        self._lock = threading.Lock()
        self._used: dict[date, int] = {}

    def take(self) -> float | None:
        """Count a command; None if allowed, else seconds until the quota resets. [s]"""
        now = self.clock.now().astimezone(UTC)
        with self._lock:
            used = self._used.get(now.date(), 0)
            if self.per_day is not None and used >= self.per_day:
                midnight = datetime.combine(
                    now.date() + timedelta(days=1), datetime.min.time(), UTC
                )
                return max((midnight - now).total_seconds(), 1.0)
            self._used[now.date()] = used + 1
            return None

    def used(self, day: date | None = None) -> int:
        """Commands counted on ``day`` (default: the clock's UTC today)."""
        with self._lock:
            return self._used.get(day or self.clock.now().astimezone(UTC).date(), 0)

    def by_day(self) -> dict[date, int]:
        """Commands accepted per UTC day."""
        with self._lock:
            return dict(self._used)
