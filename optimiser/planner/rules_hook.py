"""Turn evaluated rule effects into planner inputs, one LP hook and device overrides.

Rules never fork the planner. :func:`apply_effects` returns:

- new :class:`~optimiser.planner.PlanInputs` for what is about *energy inputs*: load scaling
  and extra loads change the load forecast, export bonuses change the export price, bans
  switch off grid charging or battery export;
- one hook for what is about the *schedule*, attached between building and solving the LP:
  reserve floors (soft with the rule's penalty, or hard), maximum state of charge, "reach X%
  by HH:MM" targets, hold, and the energy side of a forced mode;
- per-slot *device overrides* (a forced Powerwall mode), which the control layer applies on
  top of the plan's translation.

"Hard" floors and ceilings carry a penalty far above any price (:data:`HARD_PENALTY`), so
they hold wherever the battery can physically meet them, and a battery that starts too low
or too high still gets a plan that gets there as fast as it can; the slots where it could
not are reported (:meth:`AppliedRules.shortfalls`), never an infeasible plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from optimiser.domain.slots import SlotGrid
from optimiser.domain.units import app_percent_to_kwh
from optimiser.planner.inputs import PlanInputs
from optimiser.planner.problem import Hook, Problem
from optimiser.planner.result import Plan
from rules.evaluate import RuleEffects
from rules.schema import ForceMode

HARD_PENALTY = 1000.0  # p/kWh per slot for a "hard" limit: met wherever physics allows
BACKUP_FILL_PENALTY = 100.0  # p/kWh short of full while backup mode is forced
TOLERANCE_KWH = 0.01


@dataclass(frozen=True)
class Limit:
    """A rule's bound on stored energy at the end of ``slot``. [kWh]"""

    slot: int
    kwh: float
    penalty_p_per_kwh: float
    rule: str
    hard: bool
    upper: bool = False


@dataclass(frozen=True)
class AppliedRules:
    """Planner inputs and hook derived from rule effects.

    Attributes
    ----------
    inputs : PlanInputs
        The inputs with load, prices and bans changed by the rules.
    informed_inputs : PlanInputs
        The inputs with only what rules *tell* (load scaling, extra loads, export bonuses):
        planning these without the hook prices what the rules' constraints cost.
    hook : Hook
        ``hook(problem)`` adds floors, ceilings, targets and holds to a built problem.
    limits : tuple[Limit, ...]
        Every stored-energy floor and ceiling the hook adds.
    force_mode : list[ForceMode | None]
        Per slot, a Powerwall mode the device must be put in (None: the plan decides).
    """

    inputs: PlanInputs
    informed_inputs: PlanInputs
    hook: Hook
    limits: tuple[Limit, ...]
    force_mode: list[ForceMode | None]

    def shortfalls(self, plan: Plan) -> list[str]:
        """Hard floors and ceilings the plan could not meet (the battery starts too far off)."""
        missed: dict[tuple[str, bool], list[int]] = {}
        for limit in self.limits:
            if not limit.hard:
                continue
            soe = float(plan.soe_kwh[limit.slot])
            off = (
                soe > limit.kwh + TOLERANCE_KWH if limit.upper else soe < limit.kwh - TOLERANCE_KWH
            )
            if off:
                missed.setdefault((limit.rule, limit.upper), []).append(limit.slot)
        notes = []
        for (rule, upper), slots in missed.items():
            what = "ceiling" if upper else "floor"
            notes.append(
                f"rule {rule!r}: its hard {what} cannot be met from "
                f"{plan.start_soe_kwh:.2f} kWh until {_when(plan.grid, slots[-1] + 1)} "
                f"({len(slots)} slot(s)); the plan gets there as fast as it can"
            )
        return notes


def apply_effects(inputs: PlanInputs, effects: RuleEffects) -> AppliedRules:
    """Apply ``effects`` (from :func:`rules.evaluate`) to planner ``inputs`` (pure).

    Hard floors and ceilings are soft constraints with :data:`HARD_PENALTY` per kWh and slot,
    far above any price: met wherever the battery can physically meet them, and never making
    the plan infeasible when it starts too low or too high (see :meth:`AppliedRules.shortfalls`).
    """
    n = inputs.grid.count
    load = np.asarray(inputs.load_kw, dtype=float).copy()
    export_price = np.asarray(inputs.export_price, dtype=float).copy()
    grid_charge = np.asarray(inputs.grid_charge_allowed, dtype=bool).copy()
    battery_export = np.asarray(inputs.battery_export_allowed, dtype=bool).copy()
    export_limit = np.asarray(inputs.export_limit_kw, dtype=float).copy()

    for t in range(n):
        if (scale := effects.scale_load[t]) is not None:
            load[t] *= scale.value
        load[t] += effects.extra_load_kw[t]
        if (bonus := effects.export_bonus[t]) is not None:
            export_price[t] += bonus.value
        if (ban := effects.no_export[t]) is not None:
            battery_export[t] = False
            if ban.value == "all":
                export_limit[t] = 0.0
        if effects.no_grid_charge[t] is not None:
            grid_charge[t] = False
        mode = effects.force_mode[t]
        if mode is not None and mode.value is ForceMode.SELF_CONSUMPTION:
            # Self-powered never exports from the battery nor charges it from the grid
            # (above the reserve).
            battery_export[t] = False
            grid_charge[t] = False

    informed = replace(inputs, load_kw=load, export_price=export_price)
    new_inputs = replace(
        informed,
        grid_charge_allowed=grid_charge,
        battery_export_allowed=battery_export,
        export_limit_kw=export_limit,
    )
    limits = tuple(_limits(new_inputs, effects))
    holds = [
        t
        for t in range(n)
        if effects.hold[t] is not None
        or (effects.force_mode[t] is not None and effects.force_mode[t].value is ForceMode.BACKUP)
    ]

    def hook(problem: Problem) -> None:
        for i, limit in enumerate(limits):
            name = f"rule_{'ceiling' if limit.upper else 'floor'}_{i}_{limit.slot}"
            if limit.upper:
                slack = problem.add_variable(f"{name}_slack", cost=limit.penalty_p_per_kwh)
                problem.add_constraint(name, problem.soe[limit.slot] - slack <= limit.kwh)
            else:
                problem.add_soft_min_soe(limit.slot, limit.kwh, limit.penalty_p_per_kwh, name)
        for t in holds:
            problem.add_constraint(f"rule_hold_{t}", problem.discharge[t] <= 0)

    return AppliedRules(
        inputs=new_inputs,
        informed_inputs=informed,
        hook=hook,
        limits=limits,
        force_mode=[m.value if m is not None else None for m in effects.force_mode],
    )


def _limits(inputs: PlanInputs, effects: RuleEffects) -> list[Limit]:
    """Every floor, target, ceiling and backup fill the rules ask for."""
    cap = inputs.battery.capacity_kwh
    out: list[Limit] = []
    for t, floor in enumerate(effects.min_reserve):
        if floor is not None:
            f = floor.value
            penalty = HARD_PENALTY if f.hard else f.penalty_p_per_kwh
            out.append(Limit(t, app_percent_to_kwh(f.percent, cap), penalty, floor.rule, f.hard))
    for target in effects.targets:
        kwh = app_percent_to_kwh(target.percent, cap)
        out.append(Limit(target.slot, kwh, target.penalty_p_per_kwh, target.rule, hard=False))
    for t, mode in enumerate(effects.force_mode):
        if mode is not None and mode.value is ForceMode.BACKUP:
            out.append(Limit(t, cap, BACKUP_FILL_PENALTY, mode.rule, hard=False))
    for t, ceiling in enumerate(effects.max_soc_percent):
        if ceiling is not None:
            kwh = app_percent_to_kwh(ceiling.value, cap)
            out.append(Limit(t, kwh, HARD_PENALTY, ceiling.rule, hard=True, upper=True))
    return out


def _when(grid: SlotGrid, t: int) -> str:
    return (grid.start + t * grid.step).isoformat()
