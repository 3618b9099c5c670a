"""The command budget, persisted in a small JSON file so restarts do not reset it.

The Fleet API rations settings writes (documented: 5 per site per day, 1 tariff change per
site per calendar month). wattplan never sends more than ``per_day`` billable writes in a UTC
day, nor more than ``tariff_per_month`` tariff uploads in a UTC calendar month. The last
``safety_reserve`` of the day's writes are kept for returning the battery to safe settings
(``spend(safety=True)``): a forced export or charge must always be undoable.

When a change needs more commands than are left, :func:`prioritise` keeps the changes worth
most (``value_gbp`` per change, e.g. the plan's saving from that setting); ties keep the
safety order reserve → mode → grid/export → tariff.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from optimiser.control.errors import BudgetExhausted
from optimiser.domain.slots import require_aware

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BudgetState:
    """What a :class:`CommandBudget` has counted.

    Attributes
    ----------
    day : date or None
        The UTC day counted.
    used : int
        Writes spent on it.
    month : str or None
        The UTC calendar month counted (``YYYY-MM``).
    tariff_changes : int
        Tariff uploads spent in it.
    """

    day: date | None = None
    used: int = 0
    month: str | None = None
    tariff_changes: int = 0


class CommandBudget:
    """Commands left today.

    Parameters
    ----------
    per_day : int
        Commands allowed per UTC day.
    state_file : Path or None
        JSON ``{"day": "YYYY-MM-DD", "used": n}``; None keeps the count in memory.
    safety_reserve : int
        Commands only safety reverts may use.
    tariff_per_month : int or None
        Tariff uploads allowed per UTC calendar month (None: only the daily count).
    """

    def __init__(
        self,
        per_day: int,
        state_file: Path | None = None,
        safety_reserve: int = 0,
        *,
        tariff_per_month: int | None = None,
    ):
        if per_day < 1:
            raise ValueError(f"per_day must be >= 1, got {per_day}")
        if not 0 <= safety_reserve < per_day:
            raise ValueError(f"safety_reserve must be in [0, {per_day}), got {safety_reserve}")
        self.per_day = per_day
        self.state_file = state_file
        self.safety_reserve = safety_reserve
        self.tariff_per_month = tariff_per_month
        self._day: date | None = None
        self._used = 0
        self._month: str | None = None
        self._tariff_changes = 0
        self._load()

    def used(self, now: datetime) -> int:
        """Commands spent on ``now``'s UTC day."""
        day = require_aware(now, "now").date()
        return self._used if day == self._day else 0

    def remaining(self, now: datetime, *, safety: bool = False) -> int:
        """Commands still allowed today (safety reverts may also use the reserved ones)."""
        left = self.per_day - self.used(now)
        return max(left if safety else left - self.safety_reserve, 0)

    def tariff_changes_used(self, now: datetime) -> int:
        """Tariff uploads spent in ``now``'s UTC calendar month."""
        return self._tariff_changes if _month_of(now) == self._month else 0

    def tariff_changes_left(self, now: datetime) -> int | None:
        """Tariff uploads still allowed this UTC calendar month (None: not limited)."""
        if self.tariff_per_month is None:
            return None
        return max(self.tariff_per_month - self.tariff_changes_used(now), 0)

    def spend(self, now: datetime, *, safety: bool = False, tariff: bool = False) -> None:
        """Count one write (``tariff``: a tariff upload, also counted against the month);
        raises :class:`BudgetExhausted` instead of overspending."""
        if self.remaining(now, safety=safety) < 1:
            raise BudgetExhausted(
                f"the daily command budget is spent: {self.used(now)} of {self.per_day} used "
                f"today ({self.safety_reserve} kept for safety reverts)"
            )
        if tariff and self.tariff_changes_left(now) == 0:
            raise BudgetExhausted(
                f"the monthly tariff change is spent: {self.tariff_changes_used(now)} of "
                f"{self.tariff_per_month} used in {_month_of(now)}"
            )
        day = require_aware(now, "now").date()
        if day != self._day:
            self._day, self._used = day, 0
        self._used += 1
        if tariff:
            month = _month_of(now)
            if month != self._month:
                self._month, self._tariff_changes = month, 0
            self._tariff_changes += 1
        self._save()

    def counted(self) -> BudgetState:
        """The budget's whole state: the day's writes and the month's tariff changes."""
        return BudgetState(self._day, self._used, self._month, self._tariff_changes)

    def restore(self, counted: BudgetState) -> None:
        """Set the state :meth:`counted` returned (e.g. a replay spliced from another run)."""
        self._day, self._used = counted.day, counted.used
        self._month, self._tariff_changes = counted.month, counted.tariff_changes
        self._save()

    def _load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            self._day = date.fromisoformat(data["day"]) if data["day"] else None
            self._used = int(data["used"])
            self._month = data.get("month")
            self._tariff_changes = int(data.get("tariff_changes", 0))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            # A damaged file must not grant a fresh budget: assume today and the month spent.
            now = datetime.now(UTC)
            self._day = now.date()
            self._used = self.per_day
            self._month = _month_of(now)
            self._tariff_changes = self.tariff_per_month or 0

    def _save(self) -> None:
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        day = self._day.isoformat() if self._day else None
        payload = json.dumps(
            {
                "day": day,
                "used": self._used,
                "month": self._month,
                "tariff_changes": self._tariff_changes,
            }
        )
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=".budget-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
        os.replace(tmp, self.state_file)


def _month_of(now: datetime) -> str:
    """``now``'s UTC calendar month, ``YYYY-MM``."""
    return require_aware(now, "now").astimezone(UTC).strftime("%Y-%m")


def prioritise(
    changes: Sequence[T], available: int, value_gbp: Mapping[T, float] | None = None
) -> tuple[list[T], list[T]]:
    """Split ``changes`` into (kept, dropped) so at most ``available`` are kept.

    Highest ``value_gbp`` first; ties (and missing values, counted as 0) keep the given order.
    The kept changes are returned in their original order.
    """
    if available >= len(changes):
        return list(changes), []
    values = value_gbp or {}
    ranked = sorted(range(len(changes)), key=lambda i: (-values.get(changes[i], 0.0), i))
    keep = set(ranked[: max(available, 0)])
    kept = [c for i, c in enumerate(changes) if i in keep]
    dropped = [c for i, c in enumerate(changes) if i not in keep]
    return kept, dropped
