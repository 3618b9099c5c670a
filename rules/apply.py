"""Turn evaluated rule effects into planner inputs, one LP hook and device overrides.

Rules never fork the planner. :func:`apply_effects` returns:

- new :class:`~optimiser.planner.PlanInputs` for what is about *energy inputs*: load scaling
  and extra loads change the load forecast, export bonuses change the export price, bans
  switch off grid charging or battery export, a maximum state of charge lowers ``max_soe_kwh``;
- one hook for what is about the *schedule*, attached between building and solving the LP:
  reserve floors (soft with the rule's penalty, or hard), "reach X% by HH:MM" targets, hold,
  and the energy side of a forced mode;
- per-slot *device overrides* (a forced Powerwall mode), which the control layer applies on
  top of the plan's translation.

A hard floor or target that the battery cannot physically reach in time (it starts too low)
would make the LP infeasible; such a slot is made soft with :data:`UNREACHABLE_PENALTY` and
reported, so the plan still climbs as fast as it can.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from optimiser.planner import app_percent_to_kwh
from rules.evaluate import RuleEffects
from rules.schema import ForceMode

UNREACHABLE_PENALTY = 1000.0  # p/kWh below a hard floor that cannot be reached in time
BACKUP_FILL_PENALTY = 100.0  # p/kWh short of full while backup mode is forced


@dataclass(frozen=True)
class AppliedRules:
    """Planner inputs and hook derived from rule effects.

    Attributes
    ----------
    inputs : PlanInputs
        The inputs with load, prices, bans and ceilings changed by the rules.
    informed_inputs : PlanInputs
        The inputs with only what rules *tell* (load scaling, extra loads, export bonuses):
        planning these without the hook prices what the rules' constraints cost.
    hook : callable
        ``hook(problem)`` adds floors, targets and holds to a built problem.
    force_mode : list[ForceMode | None]
        Per slot, a Powerwall mode the device must be put in (None: the plan decides).
    notes : list[str]
        What had to be softened or adjusted, for the user.
    """

    inputs: object
    informed_inputs: object
    hook: object
    force_mode: list[ForceMode | None]
    notes: list[str]


def apply_effects(inputs, effects: RuleEffects) -> AppliedRules:
    """Apply ``effects`` (from :func:`rules.evaluate`) to planner ``inputs`` (pure)."""
    n = inputs.grid.count
    cap = inputs.battery.capacity_kwh
    notes: list[str] = []

    load = np.asarray(inputs.load_kw, dtype=float).copy()
    export_price = np.asarray(inputs.export_price, dtype=float).copy()
    grid_charge = np.asarray(inputs.grid_charge_allowed, dtype=bool).copy()
    battery_export = np.asarray(inputs.battery_export_allowed, dtype=bool).copy()
    export_limit = np.asarray(inputs.export_limit_kw, dtype=float).copy()
    max_soe = np.asarray(inputs.max_soe_kwh, dtype=float).copy()

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
        if (ceiling := effects.max_soc_percent[t]) is not None:
            max_soe[t] = min(max_soe[t], app_percent_to_kwh(ceiling.value, cap))
        mode = effects.force_mode[t]
        if mode is not None and mode.value is ForceMode.SELF_CONSUMPTION:
            # Self-powered never exports from the battery nor charges it from the grid
            # (above the reserve).
            battery_export[t] = False
            grid_charge[t] = False

    # A ceiling below what the battery holds now cannot bind before the battery has
    # discharged down to it.
    reach_down = _reachable_low(inputs)
    raised = [t for t in range(n) if max_soe[t] < reach_down[t] - 1e-9]
    if raised:
        notes.append(
            f"a maximum state of charge cannot be reached from {inputs.battery.soe_kwh:.2f} kWh "
            f"before {_when(inputs, raised[-1] + 1)}; it follows the fastest discharge until then"
        )
        max_soe[raised] = reach_down[raised]

    informed = replace(inputs, load_kw=load, export_price=export_price)
    new_inputs = replace(
        informed,
        grid_charge_allowed=grid_charge,
        battery_export_allowed=battery_export,
        export_limit_kw=export_limit,
        max_soe_kwh=np.maximum(max_soe, 0.0),
    )
    floors = _floors(new_inputs, effects, notes)
    holds = [
        t
        for t in range(n)
        if effects.hold[t] is not None
        or (effects.force_mode[t] is not None and effects.force_mode[t].value is ForceMode.BACKUP)
    ]

    def hook(problem) -> None:
        for i, (t, kwh, penalty, _rule) in enumerate(floors):
            if penalty is None:
                problem.add_constraint(f"rule_floor_{i}_{t}", problem.soe[t] >= kwh)
            else:
                problem.add_soft_min_soe(t, kwh, penalty, f"rule_floor_{i}_{t}")
        for t in holds:
            problem.add_constraint(f"rule_hold_{t}", problem.discharge[t] <= 0)

    return AppliedRules(
        inputs=new_inputs,
        informed_inputs=informed,
        hook=hook,
        force_mode=[m.value if m is not None else None for m in effects.force_mode],
        notes=notes,
    )


def _floors(inputs, effects: RuleEffects, notes: list[str]):
    """(slot, kWh, penalty or None for hard, rule) for every floor, target and backup fill."""
    cap = inputs.battery.capacity_kwh
    reach_up = _reachable_high(inputs)
    wanted: list[tuple[int, float, float | None, str]] = []
    for t, floor in enumerate(effects.min_reserve):
        if floor is not None:
            f = floor.value
            penalty = None if f.hard else f.penalty_p_per_kwh
            wanted.append((t, app_percent_to_kwh(f.percent, cap), penalty, floor.rule))
    for target in effects.targets:
        wanted.append(
            (
                target.slot,
                app_percent_to_kwh(target.percent, cap),
                target.penalty_p_per_kwh,
                target.rule,
            )
        )
    for t, mode in enumerate(effects.force_mode):
        if mode is not None and mode.value is ForceMode.BACKUP:
            wanted.append((t, cap, BACKUP_FILL_PENALTY, mode.rule))

    out = []
    softened: dict[str, list[int]] = {}
    for t, want_kwh, want_penalty, rule in wanted:
        kwh = min(want_kwh, float(inputs.max_soe_kwh[t]))
        penalty = want_penalty
        if penalty is None and kwh > reach_up[t] + 1e-9:
            softened.setdefault(rule, []).append(t)
            penalty = UNREACHABLE_PENALTY
        out.append((t, kwh, penalty, rule))
    for rule, slots in softened.items():
        notes.append(
            f"rule {rule!r}: its hard floor cannot be reached from "
            f"{inputs.battery.soe_kwh:.2f} kWh before {_when(inputs, slots[-1] + 1)}; "
            f"planned as soft ({UNREACHABLE_PENALTY:g} p/kWh) in those {len(slots)} slot(s)"
        )
    return out


def _reachable_high(inputs) -> np.ndarray:
    """Most stored energy at each slot end, charging flat out from grid and solar. [kWh]"""
    b = inputs.battery
    h = inputs.hours
    grid_kw = np.where(inputs.grid_charge_allowed, inputs.max_grid_charge_kw, 0.0)
    kw = np.minimum(np.asarray(inputs.solar_kw, dtype=float) + grid_kw, b.max_charge_kw)
    return np.minimum(b.soe_kwh + np.cumsum(kw * h * b.charge_efficiency), b.capacity_kwh)


def _reachable_low(inputs) -> np.ndarray:
    """Least stored energy at each slot end, discharging flat out. [kWh]"""
    b = inputs.battery
    h = inputs.hours
    steps = np.full(inputs.grid.count, b.max_discharge_kw * h / b.discharge_efficiency)
    return np.maximum(b.soe_kwh - np.cumsum(steps), 0.0)


def _when(inputs, t: int) -> str:
    return (inputs.grid.start + t * inputs.grid.step).isoformat()
