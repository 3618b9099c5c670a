"""The closed loop: forecast → production planning cycle → control translation → physics.

At every decision time ``now`` (each slot by default):

1. **forecast** load and solar on the horizon from data that ended before ``now``
   (:class:`optimiser.forecast.HistoryForecaster`, re-fitted every ``refit_minutes`` — the fit
   uses only data before the fit time, which is at or before ``now``), or the truth
   (:class:`optimiser.forecast.PerfectForecaster`);
2. **plan** with :func:`optimiser.planning.plan_cycle` — the one planning path production uses —
   with the user's rules and the control backend's limits (:func:`planner_limits`);
3. **control**: the plan's current intent (:func:`intents_from_plan`, :func:`span_at`) becomes
   device settings (:func:`settings_for`, Fleet capabilities by default; a doctored tariff from
   :func:`tariffs.tesla.to_tesla_tariff` for exports), then Powerwall ``Settings`` (app → raw
   reserve, the uploaded tariff as a ``TouSchedule``); or, in **ideal** control, the battery is
   told the plan's net charge/discharge for the slot directly (``Settings.dispatch_kw``);
4. **physics**: :func:`simulations.powerwall.step` runs through the real load and solar at the
   data's resolution until the next decision.

Stated simplifications: settings act at once (no settle delay, no command budget); a failed
plan falls back to self-powered at the reserve floor (counted); a rule's ``no_export`` of solar
becomes the export rule ``never`` (the control layer has no other way to stop solar export).
"""

from __future__ import annotations

import itertools
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.control.intents import Intent, intents_from_plan, span_at
from optimiser.control.translate import app_to_raw, planner_limits, settings_for
from optimiser.forecast import History, HistoryForecaster, PerfectForecaster
from optimiser.planning import PlanRequest, plan_cycle
from simulations.powerwall import (
    ExportRule,
    OperationMode,
    PowerwallState,
    Settings,
    TouSchedule,
    step,
)
from simulations.replay.data import ReplayData
from simulations.replay.ledger import Ledger, StrategyRun
from simulations.replay.prices import PeriodPrices
from simulations.replay.site import SiteModel
from tariffs.slots import SlotGrid

Progress = Callable[[int, int], None]


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

    def at(self, now: datetime, grid: SlotGrid) -> tuple[np.ndarray, np.ndarray]:
        t = now.timestamp()
        if t >= self._fit_until or grid.end.timestamp() > self._grid_end:
            self._slot_s = grid.minutes * 60
            extra = int(np.ceil(self._refit_s / self._slot_s))
            fit_grid = SlotGrid(grid.start, grid.minutes, grid.count + extra)
            fc = self._forecaster.forecast(fit_grid, self._history, now)
            self._load, self._solar = fc.load_kw, fc.solar_kw
            self._fit_start = grid.start.timestamp()
            self._fit_until = t + self._refit_s
            self._grid_end = fit_grid.end.timestamp()
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


def run_closed_loop(
    data: ReplayData,
    prices: PeriodPrices,
    site: SiteModel,
    *,
    options: ClosedLoopOptions = ClosedLoopOptions(),
    rules: Any = None,
    strategy: str = "wattplan",
    progress: Progress | None = None,
) -> StrategyRun:
    """Replay the production loop over ``data`` under ``prices`` (see the module docstring)."""
    config = site.config
    tz = ZoneInfo(config.site.timezone)
    minutes = config.planner.slot_minutes
    slot_s = minutes * 60
    decision_s = (options.decision_minutes or minutes) * 60
    if decision_s % slot_s:
        raise ValueError(f"decision_minutes must be a multiple of the {minutes}-minute slot")
    trace = data.trace
    epoch = trace.epoch_s
    n = len(epoch)
    dt_s = data.step_s
    dt_h = dt_s / 3600.0
    end_s = float(epoch[-1]) + dt_s
    if options.forecasts == "perfect":
        forecasts: Any = _PerfectForecasts(data, prices.grid)
    else:
        forecasts = _HistoryForecasts(
            HistoryForecaster(config.site, config.forecast),
            data.history,
            options.refit_minutes * 60.0,
        )
    exports = _ExportTariffs(prices.tariff, tz, doctor=True)
    spec = site.spec
    cap = spec.capacity_kwh
    eff = spec.round_trip_efficiency
    state = PowerwallState(soe_kwh=site.initial_soe_kwh)
    ledger = Ledger(epoch, dt_h)
    price_start = prices.grid.start.timestamp()
    price_end = prices.grid.end.timestamp()
    # Decision boundaries: multiples of the decision interval (UTC), plus the data's start.
    first_decision = np.floor(epoch[0] / decision_s) * decision_s
    bounds = np.arange(first_decision + decision_s, end_s, decision_s)
    cuts = np.concatenate([[0], np.searchsorted(epoch, bounds - 1e-6), [n]])
    ideal = options.control == "ideal"  # direct dispatch: no reserve-rate charging limit
    previous = None
    failures = 0
    intents: dict[str, int] = {}
    plan_s = forecast_s = control_s = physics_s = 0.0
    notes: list[str] = []
    for a, b in itertools.pairwise(cuts):
        if a >= b:
            continue
        now_s = float(epoch[a])
        now = datetime.fromtimestamp(now_s, UTC)
        grid_start = np.floor(now_s / slot_s) * slot_s
        if options.horizon_hours is None:
            horizon_end = end_s
        else:
            horizon_end = min(grid_start + options.horizon_hours * 3600.0, price_end)
        count = max(int(np.ceil((horizon_end - grid_start) / slot_s)), 1)
        grid = SlotGrid(datetime.fromtimestamp(grid_start, UTC), minutes, count)
        t0 = _time.perf_counter()
        load_kw, solar_kw = forecasts.at(now, grid)
        t1 = _time.perf_counter()
        first = round((grid_start - price_start) / slot_s)
        request = PlanRequest(
            now=now,
            grid=grid,
            state=SimulatedSite(
                soe_kwh=state.soe_kwh,
                capacity_kwh=cap,
                max_charge_kw=spec.max_charge_kw,
                max_discharge_kw=spec.max_discharge_kw,
                round_trip_efficiency=eff,
            ),
            import_price=prices.import_price[first : first + count],
            export_price=prices.export_price[first : first + count],
            load_kw=load_kw,
            solar_kw=solar_kw,
            rules=rules,
            context=options.context or {},
            previous=previous,
            limits={} if ideal else planner_limits(site.capabilities, count),
        )
        result = plan_cycle(request, config, cost_rules=False, baselines=False)
        t2 = _time.perf_counter()
        plan = result.outcome.plan
        if plan is None:
            failures += 1
            settings = Settings(
                mode=OperationMode.SELF_CONSUMPTION,
                backup_reserve_percent=site.floor_raw_percent,
            )
            intent = "fallback"
        elif ideal:
            net_kwh = float(plan.discharge_kwh[0] - plan.charge_kwh[0])
            settings = Settings(
                mode=OperationMode.SELF_CONSUMPTION,
                backup_reserve_percent=0.0,
                export_rule=ExportRule.BATTERY_OK,
                dispatch_kw=net_kwh / grid.hours,
            )
            intent = "dispatch"
        else:
            settings, intent = _settings(plan, result, now, state.soe_kwh, site, exports)
        previous = plan
        intents[intent] = intents.get(intent, 0) + 1
        reserve_kwh = settings.backup_reserve_percent / 100.0 * cap
        if settings.mode is OperationMode.BACKUP:
            reserve_kwh = cap
        t3 = _time.perf_counter()
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
        forecast_s += t1 - t0
        plan_s += t2 - t1
        control_s += t3 - t2
        physics_s += t4 - t3
        if progress is not None:
            progress(int(b), n)
    if failures:
        notes.append(f"{failures} plans failed; self-powered at the reserve floor instead")
    stats = {
        "decisions": int(sum(intents.values())),
        "plan_failures": failures,
        "forecast_fits": forecasts.fits,
        "intents": intents,
        "seconds": {
            "forecast": round(forecast_s, 3),
            "plan": round(plan_s, 3),
            "control": round(control_s, 3),
            "physics": round(physics_s, 3),
        },
    }
    return StrategyRun.from_ledger(
        ledger,
        strategy=strategy,
        prices=prices,
        initial_soe_kwh=site.initial_soe_kwh,
        capacity_kwh=cap,
        tz=tz,
        notes=tuple(notes),
        stats=stats,
    )


def _settings(
    plan: Any,
    result: Any,
    now: datetime,
    soe_kwh: float,
    site: SiteModel,
    exports: _ExportTariffs,
) -> tuple[Settings, str]:
    """The production translation of the plan's current intent into Powerwall settings."""
    spans = intents_from_plan(plan, capacity_kwh=site.capacity_kwh, initial_soe_kwh=soe_kwh)
    span = span_at(spans, now) or spans[0]
    export_content = None
    schedule = None
    if span.intent is Intent.EXPORT:
        export_content, schedule = exports.at(now)
    device = settings_for(
        span,
        soe_now_kwh=soe_kwh,
        policy=site.policy,
        capabilities=site.capabilities,
        export_tariff=export_content,
    )
    mode = device.mode
    forced = result.force_mode[0]
    if forced is not None:
        mode = OperationMode(str(forced))
    export_rule = device.export_rule
    if float(result.inputs.export_limit_kw[0]) <= 0.0:
        export_rule = ExportRule.NEVER
    tariff = schedule if device.tariff_content is not None else None
    settings = Settings(
        mode=mode,
        backup_reserve_percent=min(app_to_raw(device.backup_reserve_app_percent), 100.0),
        grid_charging=device.grid_charging,
        export_rule=export_rule,
        tariff=tariff,
    )
    return settings, span.intent.value
