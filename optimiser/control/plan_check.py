"""Whether a plan can be followed at all (the safety rule's "invalid plan"). Pure."""

from __future__ import annotations

import numpy as np

from optimiser.planner.result import Plan

SOE_SLACK_KWH = 0.01
"""Solver slack allowed on flows and stored energy. [kWh]"""


def plan_problems(plan: Plan, capacity_kwh: float) -> list[str]:
    """Why ``plan`` cannot be followed (empty when it can).

    Every flow is finite and ≥ 0, and the stored energy stays within ``[0, capacity_kwh]``.
    [kWh] (``Plan`` already holds one value per slot.)
    """
    problems: list[str] = []
    arrays = {
        "import_kwh": plan.import_kwh,
        "export_kwh": plan.export_kwh,
        "charge_kwh": plan.charge_kwh,
        "discharge_kwh": plan.discharge_kwh,
        "charge_from_grid_kwh": plan.charge_from_grid_kwh,
        "soe_kwh": plan.soe_kwh,
    }
    for name, array in arrays.items():
        values = np.asarray(array, dtype=float)
        if not np.all(np.isfinite(values)):
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            problems.append(f"{name} is not finite at slot {plan.grid.slot_start(bad).isoformat()}")
            continue
        if name != "soe_kwh" and np.any(values < -SOE_SLACK_KWH):
            bad = int(np.flatnonzero(values < -SOE_SLACK_KWH)[0])
            problems.append(
                f"{name} is negative ({values[bad]:.3f}) at {plan.grid.slot_start(bad).isoformat()}"
            )
        if name == "soe_kwh":
            outside = (values < -SOE_SLACK_KWH) | (values > capacity_kwh + SOE_SLACK_KWH)
            if np.any(outside):
                bad = int(np.flatnonzero(outside)[0])
                problems.append(
                    f"soe_kwh {values[bad]:.3f} at {plan.grid.slot_start(bad).isoformat()} is "
                    f"outside [0, {capacity_kwh:g}]"
                )
    return problems
