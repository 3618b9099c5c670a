"""Small real :class:`Plan` s for control tests, labelled by the one classifier."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from optimiser.domain.actions import classify_slots
from optimiser.domain.slots import SlotGrid
from optimiser.planner.result import Plan


def make_plan(
    rows: Sequence[Sequence[float]],
    *,
    start: datetime,
    initial_soe_kwh: float,
    import_price: Sequence[float] | None = None,
    export_price: Sequence[float] | None = None,
    floor_kwh: float = 0.0,
    minutes: int = 30,
) -> Plan:
    """A plan from per-slot rows ``(charge_from_grid, charge, discharge, export, import,
    soe_end)`` [kWh]; prices default to 25 p/kWh (import) and 15 (export)."""
    a = np.asarray(rows, dtype=float).reshape(-1, 6)
    n = len(a)
    cfg, charge, discharge, export, imports, soe = (a[:, i] for i in range(6))
    soe_start = np.concatenate([[initial_soe_kwh], soe[:-1]])
    actions = classify_slots(
        charge_from_grid_kwh=cfg,
        charge_kwh=charge,
        discharge_kwh=discharge,
        export_kwh=export,
        import_kwh=imports,
        soe_start_kwh=soe_start,
        floor_kwh=floor_kwh,
    )
    imp = np.full(n, 25.0) if import_price is None else np.asarray(import_price, dtype=float)
    exp = np.full(n, 15.0) if export_price is None else np.asarray(export_price, dtype=float)
    zeros = np.zeros(n)
    return Plan(
        grid=SlotGrid(start, minutes, n),
        status="optimal",
        import_price=imp,
        export_price=exp,
        load_kwh=zeros,
        solar_kwh=zeros,
        import_kwh=imports,
        export_kwh=export,
        charge_kwh=charge,
        discharge_kwh=discharge,
        charge_from_grid_kwh=cfg,
        curtailed_kwh=zeros,
        soe_kwh=soe,
        start_soe_kwh=initial_soe_kwh,
        actions=actions,
        cost_gbp=0.0,
        objective_p=0.0,
    )
