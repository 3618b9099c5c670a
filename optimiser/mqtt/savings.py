"""Realised cost and savings against no battery, today and this month, from recorded samples
(pure).

Between two consecutive samples (no more than ``max_step_s`` apart; a longer step is a gap
and counts nothing) the grid's import and export come from the lifetime meters when both
samples have them, else from the first sample's powers held over the step. Without a battery
the grid would have carried load − solar over the same step (from the load and solar meters,
or powers). Each step is priced at its first sample's half hour:
cost = Σ import × import price − export × export price. [£]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.domain.slots import SlotGrid
from optimiser.recorder import Sample

PRICE_SLOT_MINUTES = 30


class Priced(Protocol):
    """A tariff: import and export prices on a slot grid."""

    def prices(self, grid: SlotGrid) -> Any: ...


@dataclass(frozen=True)
class Period:
    """Realised cost and the no-battery cost over one period. [£]"""

    start: datetime
    cost_gbp: float
    no_battery_gbp: float
    hours: float
    """Hours of recorded data the figures cover. [h]"""

    @property
    def saving_gbp(self) -> float:
        """What the battery saved against none. [£]"""
        return self.no_battery_gbp - self.cost_gbp

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "cost_gbp": round(self.cost_gbp, 2),
            "no_battery_gbp": round(self.no_battery_gbp, 2),
            "saving_gbp": round(self.saving_gbp, 2),
            "hours": round(self.hours, 2),
        }


@dataclass(frozen=True)
class Savings:
    """Today's and this month's figures (local days and months)."""

    time: datetime
    today: Period
    month: Period

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat(),
            "today": self.today.to_json_dict(),
            "month": self.month.to_json_dict(),
        }


def period_starts(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """(start of today, start of this month), local midnights as aware times."""
    local = now.astimezone(tz)
    day = datetime.combine(local.date(), time(0), tz)
    month = datetime.combine(local.date().replace(day=1), time(0), tz)
    return day, month


def _delta(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    d = b - a
    return d if d >= 0 else None  # a meter that went back (a reset) tells nothing


def _step_energies(a: Sample, b: Sample, hours: float) -> tuple[float, float, float] | None:
    """(import, export, load − solar) over one step [kWh]; None when unknown."""
    imported = _delta(a.site_imported_kwh, b.site_imported_kwh)
    exported = _delta(a.site_exported_kwh, b.site_exported_kwh)
    if imported is None or exported is None:
        if a.site_kw is None:
            return None
        grid = a.site_kw * hours
        imported, exported = max(grid, 0.0), max(-grid, 0.0)
    load = _delta(a.load_imported_kwh, b.load_imported_kwh)
    solar = _delta(a.solar_exported_kwh, b.solar_exported_kwh)
    if load is None or solar is None:
        if a.load_kw is None or a.solar_kw is None:
            return None
        load, solar = a.load_kw * hours, max(a.solar_kw, 0.0) * hours
    return imported, exported, load - solar


def realised_savings(
    samples: Sequence[Sample],
    tariff: Priced,
    now: datetime,
    tz: ZoneInfo,
    *,
    max_step_s: float,
) -> Savings:
    """Today's and this month's cost and no-battery cost from ``samples`` (any order)."""
    day_start, month_start = period_starts(now, tz)
    rows = sorted((s for s in samples if month_start <= s.time < now), key=lambda s: s.time)
    grid = SlotGrid.covering(month_start, max(now, month_start + timedelta(minutes=1)))
    if rows:
        prices = tariff.prices(grid)
        buy = np.asarray(prices.import_price, dtype=float)
        sell = np.asarray(prices.export_price, dtype=float)
    totals = {"day": [0.0, 0.0, 0.0], "month": [0.0, 0.0, 0.0]}
    for a, b in itertools.pairwise(rows):
        step_s = (b.time - a.time).total_seconds()
        if not 0 < step_s <= max_step_s:
            continue
        hours = step_s / 3600.0
        energies = _step_energies(a, b, hours)
        if energies is None:
            continue
        imported, exported, net = energies
        t = grid.index_of(a.time)
        cost = (imported * buy[t] - exported * sell[t]) / 100.0
        bare = (max(net, 0.0) * buy[t] - max(-net, 0.0) * sell[t]) / 100.0
        periods = ("day", "month") if a.time >= day_start else ("month",)
        for name in periods:
            totals[name][0] += cost
            totals[name][1] += bare
            totals[name][2] += hours
    return Savings(
        now,
        Period(day_start, *totals["day"]),
        Period(month_start, *totals["month"]),
    )
