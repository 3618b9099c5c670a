"""One planning cycle: the single code path shared by ``plan``, ``run`` and ``simulate``.

Pure: :func:`plan_cycle` takes what was read (the site's state, prices, forecasts, rules and
context, the control backend's limits) and returns the plan with its baselines and a report of
what the rules did and cost. Reading the gateway, the tariff and the recordings happens at the
edges (the CLI, the service loop, the replay), which all call this function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.config import Config
from optimiser.domain.slots import SlotGrid, floor_to_slot
from optimiser.domain.units import app_percent_to_kwh
from optimiser.planner import Battery, Plan, PlanInputs, PlanOutcome, plan
from optimiser.planner.baselines import no_battery_cost_gbp, self_powered_cost_gbp
from optimiser.planner.rules_hook import AppliedRules, apply_effects
from rules.evaluate import RuleEffects, RuleEnvironment, evaluate
from rules.schema import ContextValue, RulesFile

DEFAULT_EFFICIENCY = 0.90  # round trip when the gateway's counters cannot tell [-]


def horizon(now: datetime, minutes: int, tz: ZoneInfo) -> SlotGrid:
    """Slots from the one containing ``now`` to local midnight at the end of tomorrow."""
    start = floor_to_slot(now, minutes)
    local = now.astimezone(tz)
    end = datetime.combine(local.date() + timedelta(days=2), time(0), tz)
    return SlotGrid.covering(start, end, minutes)


@dataclass(frozen=True)
class PlanRequest:
    """Everything one planning cycle needs, already read from the world.

    Attributes
    ----------
    now : datetime
        Decision time (aware).
    grid : SlotGrid
        Planning horizon.
    state : SiteState
        The site now (``soe_kwh``, ``capacity_kwh``, ``max_charge_kw``, ``max_discharge_kw``,
        ``round_trip_efficiency``, ``app_percent``, ``grid_up``).
    import_price, export_price : numpy.ndarray
        Tariff prices per slot. [p/kWh]
    load_kw, solar_kw : numpy.ndarray
        Forecasts per slot. [kW]
    rules : RulesFile | None
        The user's rules.
    context : Mapping
        Active context facts (storm_warning, holiday…).
    context_expires : Mapping
        When facts with an expiry stop applying; rules use them only in earlier slots.
    previous : Plan | None
        The last plan, for the stability penalty.
    limits : Mapping[str, numpy.ndarray]
        Per-slot limits from the control backend (``max_grid_charge_kw``,
        ``battery_export_allowed``): what the device can really do.
    """

    now: datetime
    grid: SlotGrid
    state: Any
    import_price: np.ndarray
    export_price: np.ndarray
    load_kw: np.ndarray
    solar_kw: np.ndarray
    rules: RulesFile | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    context_expires: Mapping[str, datetime] = field(default_factory=dict)
    previous: Plan | None = None
    limits: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class RulesReport:
    """What the rules did: where each fired, conflicts, notes, and their cost."""

    effects: RuleEffects
    applied: AppliedRules
    without_rules_gbp: float | None
    shortfalls: tuple[str, ...] = ()

    def to_json_dict(self, grid: SlotGrid, with_rules_gbp: float | None) -> dict[str, Any]:
        """JSON form: fired rules with their slot times, conflicts, notes, cost."""
        starts = grid.starts
        fired = {
            name: [starts[t].isoformat() for t in slots]
            for name, slots in self.effects.fired.items()
        }
        cost = None
        if with_rules_gbp is not None and self.without_rules_gbp is not None:
            cost = round(with_rules_gbp - self.without_rules_gbp, 4)
        return {
            "fired": fired,
            "conflicts": [c.detail + f" (kept {c.winner!r})" for c in self.effects.conflicts],
            "notes": list(self.effects.notes) + list(self.shortfalls),
            "without_rules_gbp": self.without_rules_gbp,
            "rules_cost_gbp": cost,
        }


@dataclass(frozen=True)
class PlanResult:
    """A planning cycle's outcome, its baselines and the rules' report."""

    request: PlanRequest
    inputs: PlanInputs
    outcome: PlanOutcome
    no_battery_gbp: float
    self_powered_gbp: float
    rules: RulesReport | None

    @property
    def force_mode(self) -> list:
        """Per slot, a Powerwall mode forced by a rule (None: the plan decides)."""
        if self.rules is None:
            return [None] * self.request.grid.count
        return self.rules.applied.force_mode

    def to_json_dict(self) -> dict[str, Any]:
        """The plan's JSON (see the README) plus baselines and the rules' report."""
        costs = {
            "no_battery_gbp": round(self.no_battery_gbp, 4),
            "self_powered_gbp": round(self.self_powered_gbp, 4),
        }
        outcome = self.outcome
        if outcome.plan is not None:
            out = outcome.plan.to_json_dict(extra={"costs": costs})
        else:
            out = {
                "status": str(outcome.status),
                "message": outcome.message,
                "slots": [],
                "costs": {"plan_gbp": None, **costs},
                "timings_ms": {k: round(v, 3) for k, v in outcome.timings_ms.items()},
            }
        plan_gbp = out["costs"]["plan_gbp"]
        if self.rules is not None:
            out["rules"] = self.rules.to_json_dict(self.request.grid, plan_gbp)
        return out


def battery_inputs(state: Any, config: Config) -> Battery:
    """The battery as the gateway reports it, with the config's overrides applied."""
    over = config.battery
    efficiency = over.round_trip_efficiency or state.round_trip_efficiency or DEFAULT_EFFICIENCY
    efficiency = min(max(efficiency, 0.5), 1.0)
    capacity = over.capacity_kwh or state.capacity_kwh
    return Battery(
        capacity_kwh=capacity,
        soe_kwh=min(max(state.soe_kwh, 0.0), capacity),
        max_charge_kw=over.max_charge_kw or state.max_charge_kw,
        max_discharge_kw=over.max_discharge_kw or state.max_discharge_kw,
        charge_efficiency=efficiency**0.5,
        discharge_efficiency=efficiency**0.5,
    )


def build_inputs(request: PlanRequest, config: Config) -> PlanInputs:
    """Planner inputs from a request and the config (pure)."""
    battery = battery_inputs(request.state, config)
    floor = app_percent_to_kwh(config.battery.reserve_percent, battery.capacity_kwh)
    return PlanInputs.build(
        request.grid,
        import_price=request.import_price,
        export_price=request.export_price,
        load_kw=request.load_kw,
        solar_kw=request.solar_kw,
        battery=battery,
        reserve_floor_kwh=floor,
        reserve_penalty_p_per_kwh=config.planner.reserve_penalty_p_per_kwh,
        import_limit_kw=config.site.import_limit_kw,
        export_limit_kw=config.site.export_limit_kw,
        battery_export_allowed=request.limits.get("battery_export_allowed", True),
        max_grid_charge_kw=request.limits.get("max_grid_charge_kw"),
        terminal_value_p_per_kwh=config.planner.terminal_value_p_per_kwh,
        wear_cost_p_per_kwh=config.planner.wear_cost_p_per_kwh,
        previous=request.previous,
        stability_penalty_p_per_kwh=config.planner.stability_penalty_p_per_kwh,
        first_slot_hours=_first_slot_hours(request),
    )


def _first_slot_hours(request: PlanRequest) -> float | None:
    """What is left of the first slot at decision time; None when it starts on a boundary."""
    left = (request.grid.start + request.grid.step - request.now).total_seconds() / 3600
    if left >= request.grid.hours - 1e-9:
        return None
    return max(left, 1 / 60)  # at least a minute, so the slot is never empty


def plan_cycle(
    request: PlanRequest,
    config: Config,
    *,
    cost_rules: bool = True,
    baselines: bool = True,
    hooks: tuple[Callable[..., None], ...] = (),
) -> PlanResult:
    """Plan once: build inputs, apply rules as a hook, solve, and price the baselines.

    With rules and ``cost_rules``, the inputs are also solved without the rules' constraints
    (keeping what they tell: extra loads, load scaling, export bonuses) so the report can say
    what the rules cost. [£] Without ``baselines`` (the replay, which measures its own
    baselines on the real data) their costs are NaN. ``hooks`` are extra planner hooks (after
    the rules' hook), e.g. a test's injected infeasibility.
    """
    inputs = build_inputs(request, config)
    extra_hooks = hooks
    report = None
    hooks = ()
    planned_inputs = inputs
    if request.rules is not None and request.rules.rules:
        env = RuleEnvironment(
            grid=request.grid,
            import_price=inputs.import_price,
            export_price=inputs.export_price,
            load_kw=inputs.load_kw,
            solar_kw=inputs.solar_kw,
            now=request.now,
            soc_app_percent=getattr(request.state, "app_percent", None),
            grid_up=getattr(request.state, "grid_up", True),
            context=dict(request.context),
            context_expires=dict(request.context_expires),
            timezone=ZoneInfo(config.site.timezone),
        )
        effects = evaluate(request.rules, env)
        applied = apply_effects(inputs, effects)
        planned_inputs = applied.inputs
        hooks = (applied.hook,)
        without = None
        if cost_rules:
            bare = plan(applied.informed_inputs)
            without = bare.plan.cost_gbp if bare.plan is not None else None
        report = RulesReport(effects, applied, without)
    outcome = plan(planned_inputs, hooks=tuple(hooks) + tuple(extra_hooks))
    if report is not None and outcome.plan is not None:
        report = replace(report, shortfalls=tuple(report.applied.shortfalls(outcome.plan)))
    return PlanResult(
        request=request,
        inputs=planned_inputs,
        outcome=outcome,
        no_battery_gbp=no_battery_cost_gbp(planned_inputs) if baselines else float("nan"),
        self_powered_gbp=self_powered_cost_gbp(planned_inputs) if baselines else float("nan"),
        rules=report,
    )
