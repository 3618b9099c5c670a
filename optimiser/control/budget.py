"""A daily command budget, persisted in a small JSON file so restarts do not reset it.

The Fleet API rations settings commands (once 5 a day, now pay-per-use). wattplan never
sends more than ``per_day`` commands in a UTC day. The last ``safety_reserve`` of them are kept
for returning the battery to safe settings (``spend(safety=True)``): a forced export or charge
must always be undoable.

When a change needs more commands than are left, :func:`prioritise` keeps the changes worth
most (``value_gbp`` per change, e.g. the plan's saving from that setting); ties keep the
safety order reserve → mode → grid/export → tariff.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from optimiser.control.errors import BudgetExhausted
from optimiser.domain.slots import require_aware

T = TypeVar("T")


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
    """

    def __init__(self, per_day: int, state_file: Path | None = None, safety_reserve: int = 0):
        if per_day < 1:
            raise ValueError(f"per_day must be >= 1, got {per_day}")
        if not 0 <= safety_reserve < per_day:
            raise ValueError(f"safety_reserve must be in [0, {per_day}), got {safety_reserve}")
        self.per_day = per_day
        self.state_file = state_file
        self.safety_reserve = safety_reserve
        self._day: date | None = None
        self._used = 0
        self._load()

    def used(self, now: datetime) -> int:
        """Commands spent on ``now``'s UTC day."""
        day = require_aware(now, "now").date()
        return self._used if day == self._day else 0

    def remaining(self, now: datetime, *, safety: bool = False) -> int:
        """Commands still allowed today (safety reverts may also use the reserved ones)."""
        left = self.per_day - self.used(now)
        return max(left if safety else left - self.safety_reserve, 0)

    def spend(self, now: datetime, *, safety: bool = False) -> None:
        """Count one command; raises :class:`BudgetExhausted` instead of overspending."""
        if self.remaining(now, safety=safety) < 1:
            raise BudgetExhausted(
                f"the daily command budget is spent: {self.used(now)} of {self.per_day} used "
                f"today ({self.safety_reserve} kept for safety reverts)"
            )
        day = require_aware(now, "now").date()
        if day != self._day:
            self._day, self._used = day, 0
        self._used += 1
        self._save()

    def counted(self) -> tuple[date | None, int]:
        """(the UTC day counted, commands spent on it): the budget's whole state."""
        return self._day, self._used

    def restore(self, counted: tuple[date | None, int]) -> None:
        """Set the state :meth:`counted` returned (e.g. a replay spliced from another run)."""
        self._day, self._used = counted
        self._save()

    def _load(self) -> None:
        if self.state_file is None or not self.state_file.exists():
            return
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            self._day = date.fromisoformat(data["day"])
            self._used = int(data["used"])
        except (OSError, ValueError, KeyError, TypeError):
            # A damaged file must not grant a fresh budget: assume today is spent.
            self._day = datetime.now(UTC).date()
            self._used = self.per_day

    def _save(self) -> None:
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        day = self._day.isoformat() if self._day else None
        payload = json.dumps({"day": day, "used": self._used})
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=".budget-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(payload)
        os.replace(tmp, self.state_file)


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
