"""A rolling hourly write rate: the v1r backend's command budget (not Fleet's daily quota).

The gateway documents no rate limit for v1r, but owners report 429s on some firmware, so
wattplan writes config.json at most ``per_hour`` times in any rolling hour. The last
``safety_reserve`` writes of the hour are kept for returning to safe settings. Counted in
memory: a restart starts a fresh hour.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from optimiser.control.errors import BudgetExhausted
from optimiser.domain.slots import require_aware

_HOUR = timedelta(hours=1)


class WriteRate:
    """Writes left in the rolling hour.

    Parameters
    ----------
    per_hour : int
        Writes allowed in any rolling hour.
    safety_reserve : int
        Writes only safety reverts may use.
    """

    def __init__(self, per_hour: int, safety_reserve: int = 1) -> None:
        if per_hour < 1:
            raise ValueError(f"per_hour must be >= 1, got {per_hour}")
        if not 0 <= safety_reserve < per_hour:
            raise ValueError(f"safety_reserve must be in [0, {per_hour}), got {safety_reserve}")
        self.per_hour = per_hour
        self.safety_reserve = safety_reserve
        self._times: deque[datetime] = deque()

    def used(self, now: datetime) -> int:
        """Writes in the hour up to ``now``."""
        cutoff = require_aware(now, "now") - _HOUR
        while self._times and self._times[0] <= cutoff:
            self._times.popleft()
        return len(self._times)

    def remaining(self, now: datetime, *, safety: bool = False) -> int:
        """Writes still allowed now (safety reverts may also use the reserved ones)."""
        left = self.per_hour - self.used(now)
        return max(left if safety else left - self.safety_reserve, 0)

    def spend(self, now: datetime, *, safety: bool = False) -> None:
        """Count one write; raises :class:`BudgetExhausted` instead of exceeding the rate."""
        if self.remaining(now, safety=safety) < 1:
            raise BudgetExhausted(
                f"the v1r write rate is spent: {self.used(now)} of {self.per_hour} writes in "
                f"the last hour ({self.safety_reserve} kept for safety reverts)"
            )
        self._times.append(now)
