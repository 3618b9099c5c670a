"""What the closed loop's control cost in Fleet commands, per decision and over the replay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from optimiser.control.budget import CommandBudget
from optimiser.control.commands import Command

TARIFF = str(Command.TARIFF)


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """What one decision cost in commands.

    Attributes
    ----------
    sent : tuple of str
        Commands a backend would have sent.
    skipped : tuple of str
        Changes left unsent because the daily budget was short.
    refused : bool
        A forced state the budget could not pay for became the safe settings.
    """

    sent: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    refused: bool = False


def command_stats(
    records: Sequence[CommandRecord], decided_s: np.ndarray, budget: CommandBudget | None
) -> dict[str, Any]:
    """Commands a Fleet backend would have sent (per kind, per UTC day: each, mean and max;
    tariff uploads per UTC calendar month),
    changes skipped for the budget and forced states it refused; ``decided_s`` holds each
    decision's time. [s]"""
    by_kind: dict[str, int] = {}
    skipped: dict[str, int] = {}
    refused = 0
    per_day: dict[date, int] = {}
    tariffs: dict[str, int] = {}
    for when, record in zip(decided_s, records, strict=True):
        day = datetime.fromtimestamp(float(when), UTC).date()
        per_day[day] = per_day.get(day, 0) + len(record.sent)
        month = f"{day:%Y-%m}"
        tariffs[month] = tariffs.get(month, 0) + record.sent.count(TARIFF)
        for command in record.sent:
            by_kind[command] = by_kind.get(command, 0) + 1
        for command in record.skipped:
            skipped[command] = skipped.get(command, 0) + 1
        refused += record.refused
    total = sum(by_kind.values())
    return {
        "total": total,
        "by_command": by_kind,
        "days": len(per_day),
        "mean_per_day": round(total / len(per_day), 2) if per_day else 0.0,
        "max_per_day": max(per_day.values(), default=0),
        "per_day": {d.isoformat(): n for d, n in sorted(per_day.items())},
        "tariff_per_month": dict(sorted(tariffs.items())),
        "per_day_budget": None if budget is None else budget.per_day,
        "safety_commands": None if budget is None else budget.safety_reserve,
        "skipped_total": sum(skipped.values()),
        "skipped_by_command": skipped,
        "forced_refused": refused,
    }
