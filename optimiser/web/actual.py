"""Plan vs actual: today and tomorrow slot by slot, planned against what really happened.

Pure: the planned side comes from the board's ledger (what the last plan made before each
slot started planned for it), the realised side from the recorded samples
(:func:`~optimiser.web.history.slot_energies`), prices from the tariff.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from optimiser.config import Config
from optimiser.domain.slots import SlotGrid
from optimiser.recorder import Sample
from optimiser.web.history import slot_energies
from optimiser.web.sources import Board
from optimiser.web.views import Json, iso


def day_grid(now: datetime, config: Config) -> SlotGrid:
    """The slots from local midnight today to the end of tomorrow."""
    tz = ZoneInfo(config.site.timezone)
    today = now.astimezone(tz).date()
    start = datetime.combine(today, time(0), tz)
    end = datetime.combine(today + timedelta(days=2), time(0), tz)
    return SlotGrid.covering(start, end, config.planner.slot_minutes)


def plan_vs_actual(board: Board, samples: Sequence[Sample], tariff: Any, config: Config) -> Json:
    """One row per slot of today and tomorrow (see the module docstring).

    Row fields: ``start``, ``end``, ``import_price``, ``export_price`` [p/kWh];
    ``planned_battery_kwh``, ``actual_battery_kwh`` (> 0 discharged), ``planned_grid_kwh``,
    ``actual_grid_kwh`` (> 0 imported) [kWh]; ``planned_soe_kwh``, ``actual_soe_kwh`` (at the
    slot's end) [kWh]; ``planned_action``. None where unknown.
    """
    grid = day_grid(board.now, config)
    prices = tariff.prices(grid)
    energies = slot_energies(samples, grid, until=board.now)
    rows = []
    for t, start in enumerate(grid.starts):
        key = iso(start)
        planned = board.planned.get(key)
        covered = bool(energies.covered[t])
        soe = float(energies.soe_kwh[t])
        rows.append(
            {
                "start": key,
                "end": iso(start + grid.step),
                "import_price": round(float(prices.import_price[t]), 3),
                "export_price": round(float(prices.export_price[t]), 3),
                "planned_battery_kwh": None if planned is None else planned["battery_kwh"],
                "planned_grid_kwh": (
                    None
                    if planned is None
                    else round(planned["import_kwh"] - planned["export_kwh"], 4)
                ),
                "planned_soe_kwh": None if planned is None else planned["soe_kwh"],
                "planned_action": None if planned is None else planned["action"],
                "actual_battery_kwh": (
                    round(float(energies.battery_kwh[t]), 4) if covered else None
                ),
                "actual_grid_kwh": (
                    round(float(energies.import_kwh[t] - energies.export_kwh[t]), 4)
                    if covered
                    else None
                ),
                "actual_soe_kwh": None if math.isnan(soe) else round(soe, 4),
            }
        )
    plan = board.plan
    return {
        "now": iso(board.now),
        "timezone": config.site.timezone,
        "slot_minutes": grid.minutes,
        "capacity_kwh": None if plan is None else plan["capacity_kwh"],
        "reserve_floor_kwh": None if plan is None else plan["reserve_floor_kwh"],
        "rule_windows": [] if plan is None else plan["rule_windows"],
        "prices": None if plan is None else plan.get("prices"),
        "slots": rows,
    }
