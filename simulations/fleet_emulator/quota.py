"""The Fleet API's rations: settings writes per UTC day of the clock, tariff changes per UTC
calendar month, and live-status reads per interval; past any of them a request answers 429."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from optimiser.config import FleetLimits
from optimiser.domain.clock import Clock


class CommandQuota:
    """Writes accepted per UTC day (``per_day`` None: unlimited), tariff changes per UTC month
    (``tariff_per_month`` None: unlimited) and the shortest gap between live-status reads
    (``read_interval_s`` None: unlimited). Thread-safe; every limit settable while running."""

    def __init__(
        self,
        clock: Clock,
        per_day: int | None = None,
        *,
        tariff_per_month: int | None = None,
        read_interval_s: float | None = None,
    ) -> None:
        self.clock = clock
        self.per_day = per_day
        self.tariff_per_month = tariff_per_month
        self.read_interval_s = read_interval_s
        self._lock = threading.Lock()
        self._used: dict[date, int] = {}
        self._tariffs: dict[tuple[int, int], int] = {}
        self._last_read: datetime | None = None

    def enforce(self, limits: FleetLimits) -> None:
        """Keep to ``limits`` (e.g. :data:`optimiser.config.DOCUMENTED_LIMITS`)."""
        with self._lock:
            self.per_day = limits.writes_per_day
            self.tariff_per_month = limits.tariff_changes_per_month
            self.read_interval_s = limits.live_read_interval_s

    def take(self, *, tariff: bool = False) -> float | None:
        """Count a write (``tariff``: a tariff change); None if allowed, else seconds until
        the spent limit resets. [s]"""
        now = self.clock.now().astimezone(UTC)
        month = (now.year, now.month)
        with self._lock:
            used = self._used.get(now.date(), 0)
            if self.per_day is not None and used >= self.per_day:
                midnight = datetime.combine(
                    now.date() + timedelta(days=1), datetime.min.time(), UTC
                )
                return max((midnight - now).total_seconds(), 1.0)
            changes = self._tariffs.get(month, 0)
            if tariff and self.tariff_per_month is not None and changes >= self.tariff_per_month:
                first = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
                return max((first - now).total_seconds(), 1.0)
            self._used[now.date()] = used + 1
            if tariff:
                self._tariffs[month] = changes + 1
            return None

    def take_read(self) -> float | None:
        """Count a live-status read; None if allowed, else seconds until the next is. [s]"""
        now = self.clock.now()
        with self._lock:
            if self.read_interval_s is not None and self._last_read is not None:
                wait = self.read_interval_s - (now - self._last_read).total_seconds()
                if wait > 0:
                    return max(wait, 1.0)
            self._last_read = now
            return None

    def used(self, day: date | None = None) -> int:
        """Commands counted on ``day`` (default: the clock's UTC today)."""
        with self._lock:
            return self._used.get(day or self.clock.now().astimezone(UTC).date(), 0)

    def by_day(self) -> dict[date, int]:
        """Commands accepted per UTC day."""
        with self._lock:
            return dict(self._used)

    def tariff_changes_by_month(self) -> dict[tuple[int, int], int]:
        """Tariff changes accepted per UTC (year, month)."""
        with self._lock:
            return dict(self._tariffs)
