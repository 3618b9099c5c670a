"""What the battery does in a slot: the one vocabulary of the plan, control, the replay and views.

:func:`classify_slots` labels each slot of a plan from its energy flows; the planner stores the
labels in ``Plan.actions``, control merges them into the spans it follows, ``wattplan plan``
shows them. Flows at or below :data:`ACTION_TOLERANCE_KWH` count as zero: an LP leaves dust on
its variables, and a flow that small is not worth a command to the device.

Classification of one slot (first match wins; ``tol`` = :data:`ACTION_TOLERANCE_KWH`):

=====================  ==========================================================================
``charge_from_grid``   ``charge_from_grid_kwh > tol``
``export``             ``discharge_kwh > tol`` and ``export_kwh > tol``: battery energy leaves
                       through the meter
``self_power``         ``discharge_kwh > tol``: the battery covers (part of) the home
``charge_from_solar``  ``charge_kwh > tol``: the battery charges from solar surplus only
``hold``               the battery is still although the home imports (``import_kwh > tol``) and
                       it holds energy above the reserve floor (``soe_start > floor + tol``):
                       kept back on purpose
``idle``               still, with nothing to hold back for (no import, or nothing above the
                       floor)
=====================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import numpy as np

ACTION_TOLERANCE_KWH = 0.05
"""Flows at or below this are treated as zero when classifying a slot. [kWh]"""


class Action(StrEnum):
    """What the battery does in a slot (see the module docstring for the rules)."""

    CHARGE_FROM_GRID = "charge_from_grid"
    CHARGE_FROM_SOLAR = "charge_from_solar"
    HOLD = "hold"
    SELF_POWER = "self_power"
    EXPORT = "export"
    IDLE = "idle"

    @property
    def label(self) -> str:
        """The action for people: ``charge from grid``."""
        return self.value.replace("_", " ")


def classify_slot(
    *,
    charge_from_grid_kwh: float,
    charge_kwh: float,
    discharge_kwh: float,
    export_kwh: float,
    import_kwh: float,
    soe_start_kwh: float,
    floor_kwh: float,
) -> Action:
    """The :class:`Action` of one slot from its flows [kWh] (module docstring's table)."""
    tol = ACTION_TOLERANCE_KWH
    if charge_from_grid_kwh > tol:
        return Action.CHARGE_FROM_GRID
    if discharge_kwh > tol and export_kwh > tol:
        return Action.EXPORT
    if discharge_kwh > tol:
        return Action.SELF_POWER
    if charge_kwh > tol:
        return Action.CHARGE_FROM_SOLAR
    if import_kwh > tol and soe_start_kwh > floor_kwh + tol:
        return Action.HOLD
    return Action.IDLE


def classify_slots(
    *,
    charge_from_grid_kwh: Sequence[float] | np.ndarray,
    charge_kwh: Sequence[float] | np.ndarray,
    discharge_kwh: Sequence[float] | np.ndarray,
    export_kwh: Sequence[float] | np.ndarray,
    import_kwh: Sequence[float] | np.ndarray,
    soe_start_kwh: Sequence[float] | np.ndarray,
    floor_kwh: Sequence[float] | np.ndarray | float,
) -> tuple[Action, ...]:
    """One :class:`Action` per slot; every array has one value per slot. [kWh]

    ``soe_start_kwh`` is the stored energy at each slot's start; ``floor_kwh`` the reserve
    floor (one value, or one per slot).
    """
    n = len(charge_kwh)
    arrays = {
        "charge_from_grid_kwh": charge_from_grid_kwh,
        "discharge_kwh": discharge_kwh,
        "export_kwh": export_kwh,
        "import_kwh": import_kwh,
        "soe_start_kwh": soe_start_kwh,
    }
    for name, values in arrays.items():
        if len(values) != n:
            raise ValueError(f"{name} has {len(values)} values, expected {n} (one per slot)")
    floor = np.broadcast_to(np.asarray(floor_kwh, dtype=float), (n,))
    return tuple(
        classify_slot(
            charge_from_grid_kwh=float(charge_from_grid_kwh[t]),
            charge_kwh=float(charge_kwh[t]),
            discharge_kwh=float(discharge_kwh[t]),
            export_kwh=float(export_kwh[t]),
            import_kwh=float(import_kwh[t]),
            soe_start_kwh=float(soe_start_kwh[t]),
            floor_kwh=float(floor[t]),
        )
        for t in range(n)
    )
