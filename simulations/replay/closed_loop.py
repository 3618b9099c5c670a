"""The closed loop: request → production planning cycle → control translation → physics.

At every decision time ``now`` (each slot boundary by default):

1. **request**: :func:`optimiser.planning.build_request`, the builder ``wattplan plan`` and
   ``wattplan run`` use — production's horizon (to local midnight at the end of tomorrow),
   prices on it, forecasts fitted as the service fits them (at every plan, on the history the
   service would hold: read at its start and at every nightly re-plan,
   :class:`~simulations.replay.forecasts.ServiceHistory`) or the truth, and the control
   backend's limits;
2. **plan** with :func:`optimiser.planning.plan_cycle` and the user's rules;
3. **control**: production's :func:`optimiser.control.apply_now.decide_plan_settings` (the
   span due ``control.settle_minutes`` ahead, its device settings by ``control.policy`` —
   follow: a doctored tariff for exports and fast charging; scarce: time-based control under
   the month's tariff, :mod:`optimiser.control.scarce` — a rule's forced mode on top) and
   the safety rule (:func:`optimiser.control.safety.decide`: a failed or invalid plan gives
   safe settings), then the budgeted apply below; or, in **ideal** control, the battery is
   told the plan's net charge/discharge for the slot directly (``Settings.dispatch_kw``);
4. **physics**: :func:`optimiser.domain.powerwall.step_through` runs the real load and solar
   at the data's resolution until the next decision.

**Command budget**: the settings go to a simulated device through
:class:`optimiser.control.backends.MemoryBackend` — the production ``apply`` algorithm (only
differences are sent; when the daily :class:`~optimiser.control.budget.CommandBudget`
(``control.limits``, ``control.safety_commands`` kept for reverts) is short, the
changes worth most are kept and the rest skipped) — after production's all-or-nothing rule for
forced states (:func:`optimiser.control.apply_now.afford_forced`: a forced state the budget
cannot pay for becomes the safe settings, sent as a safety revert). The battery then steps
under what the device really holds, so a skipped change keeps the previous settings. Sent and
skipped commands and refused forced states are counted in ``stats["commands"]``.

Time-based control under an uploaded tariff is the shared model's
(:mod:`optimiser.domain.powerwall`, read through :class:`~simulations.replay.uploaded.
UploadedTariffs`): full-power grid charging to full in the tariff's cheapest buy period (grid
charging on), full-power battery export down to the reserve where sell ≥ the day's highest buy
(export rule ``battery_ok``), self-power down to the reserve otherwise, slow reserve-rate grid
charging below the reserve; one daily pattern, no weekday split, no forecast-driven holding of
its own (Tesla's optimiser may hold energy for the peak by itself; the model does not, so the
scarce policy's holds are paid writes in the replay).

Stated simplifications: decisions fall on slot boundaries and settings act at once (the service
decides ``control.settle_minutes`` before each boundary, from the state then, and the device
takes about that long to act; both act on the span due after the settle margin); a rule's
``no_export`` of solar in a followed plan becomes the export rule ``never`` (the control layer
has no other way to stop solar export).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.control.backends import MemoryBackend
from optimiser.control.budget import BudgetState, CommandBudget
from optimiser.control.budget_decision import afford_forced, budget_shortfall
from optimiser.control.decision import decide_plan_settings
from optimiser.control.safety import decide
from optimiser.control.scarce import control_style
from optimiser.control.value import Outlook
from optimiser.domain.device import ExportRule, OperationMode, Settings
from optimiser.domain.history import History
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState, step_through
from optimiser.domain.units import kwh_to_app_percent
from optimiser.planner import Plan
from optimiser.planning import Forecasting, PlanRequest, PlanResult, build_request, plan_cycle
from rules.schema import RulesFile
from simulations.replay.commands import CommandRecord, command_stats
from simulations.replay.data import ReplayData
from simulations.replay.forecasts import ServiceHistory, forecaster_for, new_forecasting
from simulations.replay.ledger import Ledger, StrategyRun
from simulations.replay.options import ClosedLoopOptions, ControlMode, ForecastMode, Strategy
from simulations.replay.prices import PeriodPrices
from simulations.replay.site import SiteModel
from simulations.replay.uploaded import UploadedTariffs

Progress = Callable[[int, int], None]  # (steps done, steps in total)
FALLBACK = "fallback"  # the intent recorded when planning failed
DISPATCH = "dispatch"  # the intent recorded under ideal control


@dataclass(frozen=True, slots=True)
class SimulatedSite:
    """What the planning cycle reads from a gateway, taken from the simulated battery."""

    soe_kwh: float
    capacity_kwh: float
    max_charge_kw: float
    max_discharge_kw: float
    round_trip_efficiency: float
    grid_up: bool = True

    @classmethod
    def of(cls, spec: PowerwallSpec, state: PowerwallState) -> SimulatedSite:
        """The battery ``spec`` holding ``state``."""
        return cls(
            soe_kwh=state.soe_kwh,
            capacity_kwh=spec.capacity_kwh,
            max_charge_kw=spec.max_charge_kw,
            max_discharge_kw=spec.max_discharge_kw,
            round_trip_efficiency=spec.round_trip_efficiency,
        )

    @property
    def app_percent(self) -> float:
        """State of charge on the Tesla app's scale. [%]"""
        return kwh_to_app_percent(self.soe_kwh, self.capacity_kwh)


def run_closed_loop(
    data: ReplayData,
    prices: PeriodPrices,
    site: SiteModel,
    *,
    options: ClosedLoopOptions = ClosedLoopOptions(),  # noqa: B008 - frozen
    rules: RulesFile | None = None,
    progress: Progress | None = None,
) -> StrategyRun:
    """Replay the production loop over ``data`` under ``prices`` (see the module docstring),
    one decision after another (:mod:`simulations.replay.parallel` splits it in time)."""
    loop = ClosedLoop(data, prices, site, options, rules)
    ledger = loop.new_ledger()
    state = PowerwallState(soe_kwh=site.initial_soe_kwh)
    previous = None
    intents: list[str] = []
    forecasting = loop.new_forecasting()
    n = len(data.trace.epoch_s)
    commands: list[CommandRecord] = []
    for d in range(loop.count):
        state, previous, intent = loop.decide(d, state, previous, forecasting, ledger)
        intents.append(intent)
        commands.append(loop.last_control)
        if progress is not None:
            progress(int(loop.bounds[d, 1]), n)
    return loop.finish(ledger, intents, forecasting.fits, commands=commands)


class ClosedLoop:
    """The closed loop's fixed parts (site, prices, forecaster, decision times), one decision
    at a time.

    Attributes
    ----------
    bounds : numpy.ndarray
        Per decision, the data steps it governs: ``[first, end)`` (shape ``(decisions, 2)``).
    count : int
        Number of decisions.
    seconds : dict
        Time spent building the ``request``, to ``plan``, on ``control`` and ``physics``. [s]
    """

    def __init__(
        self,
        data: ReplayData,
        prices: PeriodPrices,
        site: SiteModel,
        options: ClosedLoopOptions,
        rules: RulesFile | None = None,
    ) -> None:
        config = site.config
        self.data, self.prices, self.site, self.options = data, prices, site, options
        self.rules = rules
        self.config = config
        self.tz = ZoneInfo(config.site.timezone)
        self.minutes = config.planner.slot_minutes
        slot_s = self.minutes * 60
        decision_s = (options.decision_minutes or self.minutes) * 60
        if decision_s % slot_s:
            raise ValueError(
                f"decision_minutes must be a multiple of the {self.minutes}-minute slot, "
                f"got {options.decision_minutes}"
            )
        self.decision_s = decision_s
        epoch = data.trace.epoch_s
        n = len(epoch)
        self.dt_h = data.step_s / 3600.0
        end_s = float(epoch[-1]) + data.step_s
        # Decision boundaries: multiples of the decision interval (UTC), plus the data's start.
        first_decision = np.floor(epoch[0] / decision_s) * decision_s
        times = np.arange(first_decision + decision_s, end_s, decision_s)
        cuts = np.concatenate([[0], np.searchsorted(epoch, times - 1e-6), [n]])
        pairs = np.stack([cuts[:-1], cuts[1:]], axis=1).astype(np.int64)
        self.bounds = pairs[pairs[:, 0] < pairs[:, 1]]
        self.count = len(self.bounds)
        self.ideal = options.control is ControlMode.IDEAL
        self.uploaded = UploadedTariffs(prices.tariff, self.tz, doctor=True)
        self.forecaster = forecaster_for(options, data, config)
        self.history = (
            None
            if options.forecasts is ForecastMode.PERFECT
            else ServiceHistory(data.history, data.start, config)
        )
        self.seconds = {"request": 0.0, "plan": 0.0, "control": 0.0, "physics": 0.0}
        # What the simulated device holds and the day's command budget (carried between
        # decisions like the stored energy): the hold tolerance compares with the device, and
        # the commands a real backend would send are counted and rationed against it. Starts
        # at the safe settings with a fresh budget.
        budget = None
        if site.capabilities.commands_per_day is not None:
            per_day = site.capabilities.commands_per_day
            budget = CommandBudget(
                per_day,
                None,
                safety_reserve=min(config.control.safety_commands, per_day - 1),
                tariff_per_month=site.capabilities.tariff_changes_per_month,
            )
        self.backend = MemoryBackend(
            site.capabilities,
            initial=Settings(backup_reserve_app_percent=site.policy.reserve_floor_app_percent),
            budget=budget,
        )
        self.last_control = CommandRecord()

    @property
    def device(self) -> Settings:
        """What the simulated device holds."""
        return self.backend.device

    @device.setter
    def device(self, settings: Settings) -> None:
        self.backend.device = settings

    @property
    def budget_counted(self) -> BudgetState:
        """The command budget's state: the day's writes and the month's tariff changes."""
        budget = self.backend.budget
        return BudgetState() if budget is None else budget.counted()

    @budget_counted.setter
    def budget_counted(self, counted: BudgetState) -> None:
        if self.backend.budget is not None:
            self.backend.budget.restore(counted)

    def budget_used(self, d: int) -> int:
        """Commands spent on decision ``d``'s UTC day before it (carried state). [-]"""
        budget = self.backend.budget
        return 0 if budget is None else budget.used(self.now_at(d))

    def new_ledger(self) -> Ledger:
        """An empty ledger over the whole period."""
        return Ledger(self.data.trace.epoch_s, self.dt_h)

    def new_forecasting(self) -> Forecasting:
        """A fresh forecast cache (the forecaster fits at its first decision)."""
        return new_forecasting(self.forecaster, self.options.forecasts, self.options.refit)

    def now_at(self, d: int) -> datetime:
        """Decision ``d``'s time (UTC)."""
        return datetime.fromtimestamp(float(self.data.trace.epoch_s[self.bounds[d, 0]]), UTC)

    def fit_points(self) -> list[int]:
        """Decisions at which the sequential replay (re-)fits its forecaster.

        The forecaster's state after a fit depends only on that decision's time, horizon and
        history, so a replay started fresh at a fit point forecasts exactly as the sequential
        one does. Fitting at every plan (production's policy), every decision qualifies.
        """
        schedule = self.new_forecasting()
        if schedule.refit.every_plan:
            return list(range(self.count))
        points = []
        for d in range(self.count):
            now = self.now_at(d)
            grid = self.options.horizon.grid(now, self.minutes, self.tz)
            if schedule.due(grid, now) is not None:
                points.append(d)
        return points

    def history_at(self, now: datetime) -> History | None:
        """The history the forecaster may learn from at ``now`` (None: perfect forecasts)."""
        return None if self.history is None else self.history.at(now)

    def request_at(
        self,
        now: datetime,
        state: PowerwallState,
        previous: Plan | None,
        forecasting: Forecasting,
    ) -> PlanRequest:
        """The request the service would build at ``now`` with the battery in ``state``."""
        return build_request(
            self.config,
            SimulatedSite.of(self.site.spec, state),
            now=now,
            tariff=self.prices.tariff,
            history=self.history_at(now),
            rules=self.rules,
            context=self.options.context,
            previous=previous,
            capabilities=None if self.ideal else self.site.capabilities,
            forecasting=forecasting,
            horizon=self.options.horizon,
            prices=self.prices,
            uploaded_for=self.uploaded.uploaded_for,
        )

    def decide(
        self,
        d: int,
        state: PowerwallState,
        previous: Plan | None,
        forecasting: Forecasting,
        ledger: Ledger,
    ) -> tuple[PowerwallState, Plan | None, str]:
        """Decision ``d`` from ``state`` and the ``previous`` plan: plan, control, physics.

        Records the governed steps in ``ledger``; returns the state after them, the plan made
        (None when planning failed) and the intent acted on.
        """
        trace = self.data.trace
        a, b = (int(x) for x in self.bounds[d])
        now = self.now_at(d)
        t0 = _time.perf_counter()
        request = self.request_at(now, state, previous, forecasting)
        t1 = _time.perf_counter()
        result = plan_cycle(request, self.config, cost_rules=False, baselines=False)
        t2 = _time.perf_counter()
        plan = result.outcome.plan
        if self.ideal and plan is not None:
            net_kwh = float(plan.discharge_kwh[0] - plan.charge_kwh[0])
            settings = Settings(
                mode=OperationMode.SELF_CONSUMPTION,
                backup_reserve_app_percent=0.0,
                export_rule=ExportRule.BATTERY_OK,
                dispatch_kw=net_kwh / request.grid.hours,
            )
            intent = DISPATCH
            self.last_control = CommandRecord()
        else:
            held, intent = self._control(result, now)
            followed = result if intent != FALLBACK else None
            settings = self._physics_settings(held, followed)
            if self.ideal:
                self.last_control = CommandRecord()
        t3 = _time.perf_counter()
        stepped = step_through(
            self.site.spec,
            state,
            settings,
            load_kw=trace.load_kw[a:b],
            solar_kw=trace.solar_kw[a:b],
            dt_h=self.dt_h,
            epoch_s=trace.epoch_s[a:b],
        )
        ledger.record(a, stepped)
        t4 = _time.perf_counter()
        seconds = self.seconds
        seconds["request"] += t1 - t0
        seconds["plan"] += t2 - t1
        seconds["control"] += t3 - t2
        seconds["physics"] += t4 - t3
        return stepped.end, plan, intent

    def _control(self, result: PlanResult, now: datetime) -> tuple[Settings, str]:
        """Production control for ``result`` at ``now``: the span due after the settle margin
        with a rule's forced mode on top (:func:`decide_plan_settings`), the safety rule
        (:func:`decide`: a failed or invalid plan gives safe settings), then :meth:`_apply`.
        Returns (what the device holds afterwards, the intent acted on or ``FALLBACK``)."""
        site = self.site
        decision = decide_plan_settings(
            self.config,
            result,
            now,
            capabilities=site.capabilities,
            read=lambda: self.device,
            tariff=self.prices.tariff,
            uploaded_for=self.uploaded.uploaded_for,
        )
        failure = decision.failure
        target = decide(
            now,
            decision.valid_until,
            decision.settings,
            failure,
            policy=site.policy,
            lease=decision.lease,
        )
        if failure is not None or decision.span is None:
            intent = FALLBACK
            reason = f"safety: {failure.value if failure else 'no plan'}"
        else:
            intent = decision.span.action.value
            reason = f"plan: {intent}"
        outlook = decision.outlook if failure is None else None
        return self._apply(target, now, reason=reason, outlook=outlook), intent

    def _apply(
        self,
        target: Settings,
        now: datetime,
        *,
        reason: str,
        outlook: Outlook | None = None,
    ) -> Settings:
        """Apply ``target`` to the simulated device as production does (all or nothing for a
        forced state, keeping commands for the day's more valuable later spans (``outlook``),
        then the backend's budgeted ``apply``); returns what the device holds."""
        backend = self.backend
        backend.now = now
        budget = backend.budget
        caps = self.site.capabilities

        def short(t: Settings) -> str | None:
            if budget is None:
                return None
            return budget_shortfall(backend.device, t, caps, budget.remaining(now), outlook)

        target, forced, refused = afford_forced(
            target,
            now,
            policy=self.site.policy,
            short=short,
            current=backend.device,
            style=control_style(self.config, caps),
        )
        report = backend.apply(target, reason=reason, safety=not forced)
        self.last_control = CommandRecord(
            tuple(str(c) for c in report.sent),
            tuple(str(c) for c in report.skipped),
            refused is not None,
        )
        return backend.device

    def _physics_settings(self, device: Settings, followed: PlanResult | None) -> Settings:
        """What the shared model steps under while the device holds ``device`` (a rule's
        forced mode is already in it). A rule's ``no_export`` in a ``followed`` plan (None
        after a plan failure) becomes the export rule ``never``."""
        if followed is not None and float(followed.inputs.export_limit_kw[0]) <= 0.0:
            return replace(device, export_rule=ExportRule.NEVER, notes=())
        return replace(device, notes=())

    def finish(
        self,
        ledger: Ledger,
        intents: list[str],
        fits: int,
        *,
        extra_stats: dict | None = None,
        commands: list[CommandRecord] | None = None,
    ) -> StrategyRun:
        """The run from a filled ledger and the intent of every decision.

        ``commands`` (per decision, the Fleet commands a real backend would have sent and
        skipped) are counted in ``stats["commands"]`` (see :func:`command_stats`).
        """
        counts: dict[str, int] = {}
        for intent in intents:
            counts[intent] = counts.get(intent, 0) + 1
        failures = counts.get(FALLBACK, 0)
        notes = []
        if failures:
            notes.append(f"{failures} plans failed; safe settings instead (as the budget allowed)")
        stats = {
            "decisions": len(intents),
            "plan_failures": failures,
            "forecast_fits": fits,
            "intents": counts,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            **(extra_stats or {}),
        }
        if commands is not None:
            decided_s = self.data.trace.epoch_s[self.bounds[: len(commands), 0]]
            stats["commands"] = command_stats(commands, decided_s, self.backend.budget)
        return StrategyRun.from_ledger(
            ledger,
            strategy=Strategy.WATTPLAN,
            prices=self.prices,
            initial_soe_kwh=self.site.initial_soe_kwh,
            capacity_kwh=self.site.spec.capacity_kwh,
            tz=self.tz,
            notes=tuple(notes),
            stats=stats,
        )
