"""One planning cycle: the single code path shared by ``plan``, ``run`` and ``simulate``.

Pure: :func:`plan_cycle` takes a :class:`~optimiser.planning.request.PlanRequest` (the site's
state, prices, forecasts, rules and context, the control backend's limits) and returns the plan
with its baselines and a report of what the rules did and cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from optimiser.config import Config
from optimiser.domain.slots import SlotGrid
from optimiser.domain.units import app_percent_to_kwh
from optimiser.planner import PlanInputs, PlanOutcome, plan
from optimiser.planner.baselines import no_battery_cost_gbp, self_powered_cost_gbp
from optimiser.planner.rules_hook import AppliedRules, apply_effects
from optimiser.planning.request import PlanRequest, battery_inputs
from rules.evaluate import RuleEffects, RuleEnvironment, evaluate


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
            "conflicts": [c.detail for c in self.effects.conflicts],
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
        out["prices"] = self.request.prices_note()
        out["forecast_notes"] = list(self.request.forecast_notes)
        plan_gbp = out["costs"]["plan_gbp"]
        if self.rules is not None:
            out["rules"] = self.rules.to_json_dict(self.request.grid, plan_gbp)
        return out


def build_inputs(request: PlanRequest, config: Config) -> PlanInputs:
    """Planner inputs from a request and the config (pure)."""
    battery = battery_inputs(request.state, config)
    limits = request.limits
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
        battery_export_allowed=(
            True if limits.battery_export_allowed is None else limits.battery_export_allowed
        ),
        max_grid_charge_kw=limits.max_grid_charge_kw,
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
    time_limit_s: float | None = None,
) -> PlanResult:
    """Plan once: build inputs, apply rules as a hook, solve, and price the baselines.

    With rules and ``cost_rules``, the inputs are also solved without the rules' constraints
    (keeping what they tell: extra loads, load scaling, export bonuses) so the report can say
    what the rules cost. [£] Without ``baselines`` (the replay, which measures its own
    baselines on the real data) their costs are NaN. ``hooks`` are extra planner hooks (after
    the rules' hook), e.g. a test's injected infeasibility. ``time_limit_s`` bounds each solve
    (default: :data:`optimiser.planner.solve.DEFAULT_TIME_LIMIT_S`). [s]
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
            soc_app_percent=request.state.app_percent,
            grid_up=request.state.grid_up,
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
            bare = plan(applied.informed_inputs, time_limit_s=time_limit_s)
            without = bare.plan.cost_gbp if bare.plan is not None else None
        report = RulesReport(effects, applied, without)
    outcome = plan(
        planned_inputs, hooks=tuple(hooks) + tuple(extra_hooks), time_limit_s=time_limit_s
    )
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
