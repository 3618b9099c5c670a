"""The closed loop: forecast → production planning cycle → control translation → physics.

At every decision time ``now`` (each slot by default):

1. **forecast** load and solar on the horizon from data that ended before ``now``
   (:class:`optimiser.forecast.HistoryForecaster`, re-fitted every ``refit_minutes`` — the fit
   uses only data before the fit time, which is at or before ``now``), or the truth
   (:class:`optimiser.forecast.PerfectForecaster`);
2. **plan** with :func:`optimiser.planning.plan_cycle` — the one planning path production uses —
   with the user's rules and the control backend's limits (:func:`planner_limits`);
3. **control**: production's :func:`optimiser.control.decision.decide_plan_settings` (the
   span due ``control.settle_minutes`` ahead, its device settings with a doctored tariff for
   exports and fast charging, a rule's forced mode on top) and the safety rule
   (:func:`optimiser.control.safety.decide`: a failed or invalid plan gives safe settings),
   then the budgeted apply below; or, in **ideal** control, the battery is told the plan's
   net charge/discharge for the slot directly (``Settings.dispatch_kw``);
4. **physics**: :func:`optimiser.domain.powerwall.step` runs through the real load and solar at the
   data's resolution until the next decision.

**Command budget**: the settings go to a simulated device through
:class:`optimiser.control.backends.MemoryBackend` — the production ``apply`` algorithm (only
differences are sent; when the daily :class:`~optimiser.control.budget.CommandBudget`
(``control.commands_per_day``, ``control.safety_commands`` kept for reverts) is short, the
changes worth most are kept and the rest skipped) — after production's all-or-nothing rule for
forced states (:func:`optimiser.control.budget_decision.afford_forced`: a forced state the budget
cannot pay for becomes the safe settings, sent as a safety revert). The battery then steps
under what the device really holds, so a skipped change keeps the previous settings. Sent and
skipped commands and refused forced states are counted in ``stats["commands"]``.

Stated simplifications: settings act at once (the span due after the settle margin is chosen
as production does, but the device acts without delay); a rule's ``no_export`` of solar in a
followed plan becomes the export rule ``never`` (the control layer has no other way to stop
solar export). A failed plan sends the safe settings like production (counted); the battery
steps under what the device holds, so a revert the budget skipped keeps the previous settings.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.control.backends import MemoryBackend
from optimiser.control.budget import CommandBudget
from optimiser.control.budget_decision import afford_forced, budget_shortfall
from optimiser.control.decision import decide_plan_settings
from optimiser.control.limits import fast_charge_slots, planner_limits
from optimiser.control.safety import decide
from optimiser.control.value import BudgetOutlook
from optimiser.domain.device import (
    ExportRule,
    OperationMode,
    Settings,
    TouSchedule,
    UploadedTariff,
)
from optimiser.domain.powerwall import PowerwallState, step
from optimiser.domain.slots import SlotGrid
from optimiser.domain.units import app_percent_to_kwh
from optimiser.forecast import History, HistoryForecaster, PerfectForecaster
from optimiser.planning import PlanRequest, plan_cycle
from simulations.replay.data import ReplayData
from simulations.replay.ledger import Ledger, StrategyRun
from simulations.replay.prices import PeriodPrices
from simulations.replay.site import SiteModel

Progress = Callable[[int, int], None]
FALLBACK = "fallback"  # the intent recorded when planning failed


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """What one decision cost in commands.

    Attributes
    ----------
    sent : tuple of str
        Commands a backend would have sent.
    skipped : tuple of str
        Changes left unsent because the daily budget was short.
    refused : bool
        A forced state the budget could not pay for became the safe settings.
    """

    sent: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    refused: bool = False


@dataclass(frozen=True)
class ClosedLoopOptions:
    """How the closed loop runs.

    Attributes
    ----------
    forecasts : str
        ``history`` (production forecaster on data before each decision) or ``perfect``.
    control : str
        ``settings`` (the production control translation) or ``ideal`` (direct dispatch of
        the plan's net battery energy).
    horizon_hours : float or None
        Planning horizon from each decision [h]; None plans to the end of the period (a
        shrinking horizon, as a one-shot plan would see it).
    decision_minutes : int or None
        Minutes between decisions (a multiple of the slot length); None: every slot. [min]
    refit_minutes : float
        How often the history forecaster is re-fitted; between fits its forecast (made from
        data before the fit) is sliced for each decision. [min]
    context : dict
        Context facts for the rules (constant over the replay).
    """

    forecasts: str = "history"
    control: str = "settings"
    horizon_hours: float | None = 24.0
    decision_minutes: int | None = None
    refit_minutes: float = 1440.0
    context: dict | None = None


@dataclass(frozen=True, slots=True)
class SimulatedSite:
    """What the planning cycle reads from a gateway, taken from the simulated battery."""

    soe_kwh: float
    capacity_kwh: float
    max_charge_kw: float
    max_discharge_kw: float
    round_trip_efficiency: float
    grid_up: bool = True

    @property
    def app_percent(self) -> float:
        """State of charge on the Tesla app's scale. [%]"""
        return min(max((100.0 * self.soe_kwh / self.capacity_kwh - 5.0) / 0.95, 0.0), 100.0)


class _PerfectForecasts:
    """The truth per slot, computed once over the price grid and sliced per decision."""

    def __init__(self, data: ReplayData, grid: SlotGrid) -> None:
        truth = PerfectForecaster(data.trace).forecast(grid, None, grid.start)
        self._start = grid.start.timestamp()
        self._slot_s = grid.minutes * 60
        self._load, self._solar = truth.load_kw, truth.solar_kw
        self.fits = 1

    def at(self, now: datetime, grid: SlotGrid) -> tuple[np.ndarray, np.ndarray]:
        first = round((grid.start.timestamp() - self._start) / self._slot_s)
        last = first + grid.count
        return self._load[first:last], self._solar[first:last]


class _HistoryForecasts:
    """The production forecaster, re-fitted every ``refit_s`` on data before the fit time."""

    def __init__(self, forecaster: HistoryForecaster, history: History, refit_s: float) -> None:
        self._forecaster = forecaster
        self._history = history
        self._refit_s = refit_s
        self._fit_start = self._fit_until = self._grid_end = -np.inf
        self._slot_s = 1800
        self._load = self._solar = np.zeros(0)
        self.fits = 0

    def book(self, now: datetime, grid: SlotGrid) -> SlotGrid | None:
        """The grid to fit on at ``now`` (bookkeeping updated), or None when no fit is due."""
        t = now.timestamp()
        if t < self._fit_until and grid.end.timestamp() <= self._grid_end:
            return None
        self._slot_s = grid.minutes * 60
        extra = int(np.ceil(self._refit_s / self._slot_s))
        fit_grid = SlotGrid(grid.start, grid.minutes, grid.count + extra)
        self._fit_start = grid.start.timestamp()
        self._fit_until = t + self._refit_s
        self._grid_end = fit_grid.end.timestamp()
        return fit_grid

    def at(self, now: datetime, grid: SlotGrid) -> tuple[np.ndarray, np.ndarray]:
        fit_grid = self.book(now, grid)
        if fit_grid is not None:
            fc = self._forecaster.forecast(fit_grid, self._history, now)
            self._load, self._solar = fc.load_kw, fc.solar_kw
            self.fits += 1
        first = round((grid.start.timestamp() - self._fit_start) / self._slot_s)
        return self._load[first : first + grid.count], self._solar[first : first + grid.count]


class _ExportTariffs:
    """Doctored (export) tariffs per local day, converted once each."""

    def __init__(self, tariff: Any, tz: ZoneInfo, doctor: bool) -> None:
        self._tariff, self._tz, self._doctor = tariff, tz, doctor
        self._cache: dict[date, tuple[dict, TouSchedule]] = {}

    def for_day(self, day: date) -> tuple[dict, TouSchedule]:
        if day not in self._cache:
            from tariffs.tesla import to_tesla_tariff, tou_schedule_from_content

            content = to_tesla_tariff(self._tariff, day, doctor_for_export=self._doctor).content
            schedule = tou_schedule_from_content(content, str(self._tz))
            self._cache[day] = (content, schedule)
        return self._cache[day]

    def at(self, now: datetime) -> tuple[dict, TouSchedule]:
        return self.for_day(now.astimezone(self._tz).date())

    def uploaded_for(self, day: date) -> tuple[UploadedTariff | None, str | None]:
        """(The tariff kept uploaded on local ``day``, or None and why not), as
        :func:`optimiser.control.tariff_upload.uploaded_tariff_for` says it, converted once."""
        if self._tariff is None:
            return None, "no tariff given to doctor for export"
        key = ("uploaded_for", day)
        if key not in self._cache:
            from tariffs.errors import TariffError

            try:
                content, schedule = self.for_day(day)
            except (TariffError, ValueError) as exc:
                self._cache[key] = (None, f"cannot doctor the tariff for export: {exc}")  # type: ignore[assignment]
                return self._cache[key]  # type: ignore[return-value]
            self._cache[key] = (UploadedTariff(content, schedule), None)  # type: ignore[assignment]
        return self._cache[key]  # type: ignore[return-value]

    def uploaded(self, now: datetime) -> UploadedTariff:
        """The tariff kept uploaded at ``now`` (export and fast charging)."""
        day = now.astimezone(self._tz).date()
        key = ("uploaded", day)
        if key not in self._cache:
            content, schedule = self.for_day(day)
            self._cache[key] = UploadedTariff(content, schedule)  # type: ignore[assignment]
        return self._cache[key]  # type: ignore[return-value]


def run_closed_loop(
    data: ReplayData,
    prices: PeriodPrices,
    site: SiteModel,
    *,
    options: ClosedLoopOptions = ClosedLoopOptions(),
    rules: Any = None,
    strategy: str = "wattplan",
    progress: Progress | None = None,
    workers: int | None = 1,
) -> StrategyRun:
    """Replay the production loop over ``data`` under ``prices`` (see the module docstring).

    ``workers`` > 1 (None: one per CPU) replays chunks of the period in parallel processes and
    fixes them up exactly (:mod:`simulations.replay.parallel`): the result is identical.
    """
    if workers != 1:
        from simulations.replay.parallel import Job, run_jobs

        job = Job(strategy, data, prices, site, options, rules, closed_loop=True)
        report = None if progress is None else (lambda _job, done, total: progress(done, total))
        return run_jobs([job], workers=workers, progress=report)[0]
    loop = ClosedLoop(data, prices, site, options, rules)
    ledger = loop.new_ledger()
    state = PowerwallState(soe_kwh=site.initial_soe_kwh)
    previous = None
    intents: list[str] = []
    forecasts = loop.new_forecasts()
    n = len(data.trace.epoch_s)
    commands: list[CommandRecord] = []
    for d in range(loop.count):
        state, previous, intent = loop.decide(d, state, previous, forecasts, ledger)
        intents.append(intent)
        commands.append(loop.last_control)
        if progress is not None:
            progress(int(loop.bounds[d, 1]), n)
    return loop.finish(ledger, intents, forecasts.fits, strategy, commands=commands)


class ClosedLoop:
    """The closed loop's fixed parts (forecasts, tariffs, decision times), one decision at a time.

    Attributes
    ----------
    bounds : numpy.ndarray
        Per decision, the data steps it governs: ``[first, end)`` (shape ``(decisions, 2)``).
    count : int
        Number of decisions.
    seconds : dict
        Time spent in ``forecast``, ``plan``, ``control``, ``physics`` so far. [s]
    """

    def __init__(
        self,
        data: ReplayData,
        prices: PeriodPrices,
        site: SiteModel,
        options: ClosedLoopOptions,
        rules: Any = None,
    ) -> None:
        config = site.config
        self.data, self.prices, self.site, self.options, self.rules = (
            data,
            prices,
            site,
            options,
            rules,
        )
        self.config = config
        self.tz = ZoneInfo(config.site.timezone)
        self.minutes = config.planner.slot_minutes
        self.slot_s = self.minutes * 60
        decision_s = (options.decision_minutes or self.minutes) * 60
        if decision_s % self.slot_s:
            raise ValueError(
                f"decision_minutes must be a multiple of the {self.minutes}-minute slot"
            )
        self.decision_s = decision_s
        epoch = data.trace.epoch_s
        n = len(epoch)
        self.dt_h = data.step_s / 3600.0
        self.end_s = float(epoch[-1]) + data.step_s
        self.exports = _ExportTariffs(prices.tariff, self.tz, doctor=True)
        self.price_start = prices.grid.start.timestamp()
        self.price_end = prices.grid.end.timestamp()
        # Decision boundaries: multiples of the decision interval (UTC), plus the data's start.
        first_decision = np.floor(epoch[0] / decision_s) * decision_s
        times = np.arange(first_decision + decision_s, self.end_s, decision_s)
        cuts = np.concatenate([[0], np.searchsorted(epoch, times - 1e-6), [n]])
        pairs = np.stack([cuts[:-1], cuts[1:]], axis=1).astype(np.int64)
        self.bounds = pairs[pairs[:, 0] < pairs[:, 1]]
        self.count = len(self.bounds)
        self.ideal = options.control == "ideal"  # direct dispatch: no reserve-rate limit
        self.seconds = {"forecast": 0.0, "plan": 0.0, "control": 0.0, "physics": 0.0}
        self._perfect: _PerfectForecasts | None = None
        self.fast_charge = (
            not self.ideal and site.capabilities.can_fast_charge and prices.tariff is not None
        )
        # What the simulated device holds and the day's command budget (carried between
        # decisions like the stored energy): the hold tolerance compares with the device, and
        # the commands a real backend would send are counted and rationed against it. Starts
        # at the safe settings with a fresh budget.
        control = config.control
        budget = None
        if site.capabilities.commands_per_day is not None:
            per_day = site.capabilities.commands_per_day
            budget = CommandBudget(
                per_day, None, safety_reserve=min(control.safety_commands, per_day - 1)
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
    def budget_counted(self) -> tuple[date | None, int]:
        """The command budget's state: (UTC day counted, commands spent on it)."""
        budget = self.backend.budget
        return (None, 0) if budget is None else budget.counted()

    @budget_counted.setter
    def budget_counted(self, counted: tuple[date | None, int]) -> None:
        if self.backend.budget is not None:
            self.backend.budget.restore(counted)

    def budget_used(self, d: int) -> int:
        """Commands spent on decision ``d``'s UTC day before it (carried state). [-]"""
        budget = self.backend.budget
        return 0 if budget is None else budget.used(self.grid_at(d)[0])

    @property
    def last_commands(self) -> tuple[str, ...]:
        """Commands the last decision sent."""
        return self.last_control.sent

    def new_ledger(self) -> Ledger:
        """An empty ledger over the whole period."""
        return Ledger(self.data.trace.epoch_s, self.dt_h)

    def new_forecasts(self) -> Any:
        """A fresh forecast source (the history forecaster fits at its first decision)."""
        if self.options.forecasts == "perfect":
            if self._perfect is None:
                self._perfect = _PerfectForecasts(self.data, self.prices.grid)
            return self._perfect
        return _HistoryForecasts(
            HistoryForecaster(self.config.site, self.config.forecast),
            self.data.history,
            self.options.refit_minutes * 60.0,
        )

    def grid_at(self, d: int) -> tuple[datetime, SlotGrid]:
        """Decision ``d``'s time and planning horizon."""
        now_s = float(self.data.trace.epoch_s[self.bounds[d, 0]])
        grid_start = np.floor(now_s / self.slot_s) * self.slot_s
        if self.options.horizon_hours is None:
            horizon_end = self.end_s
        else:
            horizon_end = min(grid_start + self.options.horizon_hours * 3600.0, self.price_end)
        count = max(int(np.ceil((horizon_end - grid_start) / self.slot_s)), 1)
        return datetime.fromtimestamp(now_s, UTC), SlotGrid(
            datetime.fromtimestamp(grid_start, UTC), self.minutes, count
        )

    def fit_points(self) -> list[int]:
        """Decisions at which the sequential replay (re-)fits its forecaster.

        The forecaster's state after a fit depends only on that decision's time and horizon,
        so a replay started fresh at a fit point forecasts exactly as the sequential one does.
        With perfect forecasts every decision qualifies.
        """
        if self.options.forecasts == "perfect":
            return list(range(self.count))
        schedule = _HistoryForecasts(None, None, self.options.refit_minutes * 60.0)
        return [d for d in range(self.count) if schedule.book(*self.grid_at(d)) is not None]

    def decide(
        self,
        d: int,
        state: PowerwallState,
        previous: Any,
        forecasts: Any,
        ledger: Ledger,
    ) -> tuple[PowerwallState, Any, str]:
        """Decision ``d`` from ``state`` and the ``previous`` plan: plan, control, physics.

        Records the governed steps in ``ledger``; returns the state after them, the plan made
        (None when planning failed) and the intent acted on.
        """
        spec, prices = self.site.spec, self.prices
        trace = self.data.trace
        epoch = trace.epoch_s
        cap = spec.capacity_kwh
        a, b = (int(x) for x in self.bounds[d])
        now, grid = self.grid_at(d)
        count = grid.count
        t0 = _time.perf_counter()
        load_kw, solar_kw = forecasts.at(now, grid)
        t1 = _time.perf_counter()
        first = round((grid.start.timestamp() - self.price_start) / self.slot_s)
        request = PlanRequest(
            now=now,
            grid=grid,
            state=SimulatedSite(
                soe_kwh=state.soe_kwh,
                capacity_kwh=cap,
                max_charge_kw=spec.max_charge_kw,
                max_discharge_kw=spec.max_discharge_kw,
                round_trip_efficiency=spec.round_trip_efficiency,
            ),
            import_price=prices.import_price[first : first + count],
            export_price=prices.export_price[first : first + count],
            load_kw=load_kw,
            solar_kw=solar_kw,
            rules=self.rules,
            context=self.options.context or {},
            previous=previous,
            limits={} if self.ideal else self._limits(grid),
        )
        result = plan_cycle(request, self.config, cost_rules=False, baselines=False)
        t2 = _time.perf_counter()
        plan = result.outcome.plan
        if self.ideal and plan is not None:
            net_kwh = float(plan.discharge_kwh[0] - plan.charge_kwh[0])
            settings = Settings(
                mode=OperationMode.SELF_CONSUMPTION,
                backup_reserve_app_percent=0.0,
                export_rule=ExportRule.BATTERY_OK,
                dispatch_kw=net_kwh / grid.hours,
            )
            intent = "dispatch"
        else:
            held, intent = self._control(result, now)
            settings = _physics_settings(held, result if intent != FALLBACK else None)
        if self.ideal:
            self.last_control = CommandRecord()
        reserve_kwh = app_percent_to_kwh(settings.backup_reserve_app_percent, cap)
        if settings.dispatch_kw is not None:
            reserve_kwh = 0.0
        elif settings.mode is OperationMode.BACKUP:
            reserve_kwh = cap
        t3 = _time.perf_counter()
        dt_h = self.dt_h
        for k in range(a, b):
            state, flows = step(
                spec,
                state,
                settings,
                load_kw=float(trace.load_kw[k]),
                solar_kw=float(trace.solar_kw[k]),
                dt_h=dt_h,
                when=datetime.fromtimestamp(float(epoch[k]), UTC)
                if settings.tariff is not None
                else None,
            )
            ledger.record(k, state, flows, reserve_kwh)
        t4 = _time.perf_counter()
        seconds = self.seconds
        seconds["forecast"] += t1 - t0
        seconds["plan"] += t2 - t1
        seconds["control"] += t3 - t2
        seconds["physics"] += t4 - t3
        return state, plan, intent

    def _control(self, result: Any, now: datetime) -> tuple[Settings, str]:
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
            uploaded_for=self.exports.uploaded_for,
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
        outlook: BudgetOutlook | None = None,
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
            target, now, policy=self.site.policy, short=short, current=backend.device
        )
        report = backend.apply(target, reason=reason, safety=not forced)
        self.last_control = CommandRecord(
            tuple(str(c) for c in report.sent),
            tuple(str(c) for c in report.skipped),
            refused is not None,
        )
        return backend.device

    def _command_stats(self, commands: list[CommandRecord]) -> dict[str, Any]:
        """Commands a Fleet backend would have sent (per kind, per UTC day: mean and max),
        changes skipped for the budget and forced states it refused."""
        by_kind: dict[str, int] = {}
        skipped: dict[str, int] = {}
        refused = 0
        per_day: dict[date, int] = {}
        epoch = self.data.trace.epoch_s
        for d, record in enumerate(commands):
            day = datetime.fromtimestamp(float(epoch[self.bounds[d, 0]]), UTC).date()
            per_day[day] = per_day.get(day, 0) + len(record.sent)
            for command in record.sent:
                by_kind[command] = by_kind.get(command, 0) + 1
            for command in record.skipped:
                skipped[command] = skipped.get(command, 0) + 1
            refused += record.refused
        total = sum(by_kind.values())
        budget = self.backend.budget
        return {
            "total": total,
            "by_command": by_kind,
            "days": len(per_day),
            "mean_per_day": round(total / len(per_day), 2) if per_day else 0.0,
            "max_per_day": max(per_day.values(), default=0),
            "per_day_budget": None if budget is None else budget.per_day,
            "safety_commands": None if budget is None else budget.safety_reserve,
            "skipped_total": sum(skipped.values()),
            "skipped_by_command": skipped,
            "forced_refused": refused,
        }

    def _limits(self, grid: SlotGrid) -> dict[str, np.ndarray]:
        """The control backend's per-slot limits (fast grid charging in the cheapest period)."""
        caps = self.site.capabilities
        if not self.fast_charge:
            return planner_limits(caps, grid.count)
        mask = fast_charge_slots(grid.starts, grid.minutes, self.exports.uploaded)
        return planner_limits(
            caps, grid.count, fast_slots=mask, full_charge_kw=self.site.spec.max_charge_kw
        )

    def finish(
        self,
        ledger: Ledger,
        intents: list[str],
        fits: int,
        strategy: str,
        extra_stats: dict | None = None,
        commands: list[CommandRecord] | None = None,
    ) -> StrategyRun:
        """The run from a filled ledger and the intent of every decision.

        ``commands`` (per decision, the Fleet commands a real backend would have sent and
        skipped) are counted in ``stats["commands"]`` (see :meth:`_command_stats`).
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
            stats["commands"] = self._command_stats(commands)
        return StrategyRun.from_ledger(
            ledger,
            strategy=strategy,
            prices=self.prices,
            initial_soe_kwh=self.site.initial_soe_kwh,
            capacity_kwh=self.site.spec.capacity_kwh,
            tz=self.tz,
            notes=tuple(notes),
            stats=stats,
        )


def _physics_settings(device: Settings, result: Any) -> Settings:
    """What the shared model steps under while the device holds ``device`` (a rule's forced
    mode is already in it). A rule's ``no_export`` in a followed plan (``result``; None after a
    plan failure) becomes the export rule ``never``."""
    if result is not None and float(result.inputs.export_limit_kw[0]) <= 0.0:
        return replace(device, export_rule=ExportRule.NEVER, notes=())
    return replace(device, notes=())
