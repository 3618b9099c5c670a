"""Every strategy the replay compares, by name, on the same data, prices and battery.

=====================  =======================================================================
``no-battery``         the house alone: import the deficit, export the surplus up to the limit
``self-powered``       Tesla ``self_consumption`` with the reserve at the configured floor and
                       solar-only export (what most owners run)
``time-based``         Tesla ``autonomous`` (time-based control) with the *true* tariff
                       uploaded as Tesla would take it (:func:`to_tesla_tariff`, no doctoring),
                       export rule ``battery_ok``: the shared model's reading of Tesla's
                       behaviour — charge in the cheapest period, self-power otherwise, export
                       from the battery only where sell ≥ the day's highest buy
``wattplan``           the closed loop (:mod:`simulations.replay.engine`)
``perfect-foresight``  the production LP once over the whole period on the true load, solar
                       and prices, followed exactly by direct dispatch: the upper bound
=====================  =======================================================================

All of them step :func:`optimiser.domain.powerwall.step` at the data's resolution (no-battery is
the same arithmetic, vectorised).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff
from optimiser.domain.powerwall import PowerwallState, step
from optimiser.domain.slots import SlotGrid
from optimiser.domain.units import app_percent_to_kwh
from optimiser.forecast import PerfectForecaster
from optimiser.planning import PlanRequest, plan_cycle
from simulations.replay.data import ReplayData
from simulations.replay.engine import (
    ClosedLoopOptions,
    Progress,
    SimulatedSite,
    _ExportTariffs,
    run_closed_loop,
)
from simulations.replay.errors import ReplayError
from simulations.replay.ledger import Ledger, StrategyRun, local_days
from simulations.replay.prices import PeriodPrices
from simulations.replay.site import SiteModel

STRATEGIES = ("wattplan", "self-powered", "time-based", "perfect-foresight", "no-battery")


def run_strategy(
    name: str,
    data: ReplayData,
    prices: PeriodPrices,
    site: SiteModel,
    *,
    options: ClosedLoopOptions = ClosedLoopOptions(),  # noqa: B008 - frozen
    rules: Any = None,
    progress: Progress | None = None,
) -> StrategyRun:
    """Replay strategy ``name`` (one of :data:`STRATEGIES`)."""
    if name == "wattplan":
        return run_closed_loop(data, prices, site, options=options, rules=rules, progress=progress)
    if name == "no-battery":
        return no_battery(data, prices, site)
    if name == "self-powered":
        return self_powered(data, prices, site, progress=progress)
    if name == "time-based":
        return time_based(data, prices, site, progress=progress)
    if name == "perfect-foresight":
        return perfect_foresight(data, prices, site, rules=rules, progress=progress)
    raise ReplayError(f"expected a strategy among {', '.join(STRATEGIES)}, got {name!r}")


def _tz(site: SiteModel) -> ZoneInfo:
    return ZoneInfo(site.config.site.timezone)


def no_battery(data: ReplayData, prices: PeriodPrices, site: SiteModel) -> StrategyRun:
    """The house alone; surplus beyond the export limit is curtailed."""
    trace = data.trace
    ledger = Ledger(trace.epoch_s, data.step_s / 3600.0)
    solar = np.maximum(trace.solar_kw, 0.0)
    load = np.maximum(trace.load_kw, 0.0)
    net = load - solar
    grid = np.maximum(net, -site.spec.export_limit_kw)
    ledger.grid_kw[:] = grid
    ledger.curtailed_kw[:] = grid - net
    ledger.solar_kw[:] = solar - ledger.curtailed_kw
    ledger.load_kw[:] = load
    return StrategyRun.from_ledger(
        ledger,
        strategy="no-battery",
        prices=prices,
        initial_soe_kwh=0.0,
        capacity_kwh=site.capacity_kwh,
        tz=_tz(site),
    )


def _step_through(
    data: ReplayData,
    prices: PeriodPrices,
    site: SiteModel,
    settings_for_day: Callable[[date], Settings],
    strategy: str,
    progress: Progress | None,
) -> StrategyRun:
    """Step the model through the data with settings that change only per local day."""
    tz = _tz(site)
    trace = data.trace
    epoch = trace.epoch_s
    dt_h = data.step_s / 3600.0
    ledger = Ledger(epoch, dt_h)
    state = PowerwallState(soe_kwh=site.initial_soe_kwh)
    spec = site.spec
    days = local_days(epoch, tz)
    current: date | None = None
    settings = reserve = None
    for k in range(len(epoch)):
        if days[k] != current:
            current = days[k]
            settings = settings_for_day(current)
            reserve = app_percent_to_kwh(settings.backup_reserve_app_percent, spec.capacity_kwh)
            if progress is not None:
                progress(k, len(epoch))
        when = None
        if settings.tariff is not None:
            when = datetime.fromtimestamp(float(epoch[k]), UTC)
        state, flows = step(
            spec,
            state,
            settings,
            load_kw=float(trace.load_kw[k]),
            solar_kw=float(trace.solar_kw[k]),
            dt_h=dt_h,
            when=when,
        )
        ledger.record(k, state, flows, reserve)
    if progress is not None:
        progress(len(epoch), len(epoch))
    return StrategyRun.from_ledger(
        ledger,
        strategy=strategy,
        prices=prices,
        initial_soe_kwh=site.initial_soe_kwh,
        capacity_kwh=spec.capacity_kwh,
        tz=tz,
    )


def self_powered(
    data: ReplayData, prices: PeriodPrices, site: SiteModel, *, progress: Progress | None = None
) -> StrategyRun:
    """Tesla self-powered: ``self_consumption``, reserve at the floor, solar-only export."""
    settings = Settings(
        mode=OperationMode.SELF_CONSUMPTION,
        backup_reserve_app_percent=site.policy.reserve_floor_app_percent,
        grid_charging=True,
        export_rule=ExportRule.PV_ONLY,
    )
    return _step_through(data, prices, site, lambda _day: settings, "self-powered", progress)


def time_based(
    data: ReplayData, prices: PeriodPrices, site: SiteModel, *, progress: Progress | None = None
) -> StrategyRun:
    """Tesla time-based control with the true tariff uploaded (re-uploaded each local day)."""
    tariffs = _ExportTariffs(prices.tariff, _tz(site), doctor=False)

    def settings_for_day(day: date) -> Settings:
        return Settings(
            mode=OperationMode.AUTONOMOUS,
            backup_reserve_app_percent=site.policy.reserve_floor_app_percent,
            grid_charging=True,
            export_rule=ExportRule.BATTERY_OK,
            tariff=UploadedTariff(*tariffs.for_day(day)),
        )

    return _step_through(data, prices, site, settings_for_day, "time-based", progress)


def perfect_foresight(
    data: ReplayData,
    prices: PeriodPrices,
    site: SiteModel,
    *,
    rules: Any = None,
    progress: Progress | None = None,
) -> StrategyRun:
    """The production LP once over the whole period on the truth, then direct dispatch."""
    config = site.config
    minutes = config.planner.slot_minutes
    slot_s = minutes * 60
    epoch = data.trace.epoch_s
    start_s = float(np.floor(epoch[0] / slot_s) * slot_s)
    count = int(np.ceil((float(epoch[-1]) + data.step_s - start_s) / slot_s))
    grid = SlotGrid(datetime.fromtimestamp(start_s, UTC), minutes, count)
    truth = PerfectForecaster(data.trace).forecast(grid, None, grid.start)
    first = round((start_s - prices.grid.start.timestamp()) / slot_s)
    spec = site.spec
    request = PlanRequest(
        now=grid.start,
        grid=grid,
        state=SimulatedSite(
            soe_kwh=site.initial_soe_kwh,
            capacity_kwh=spec.capacity_kwh,
            max_charge_kw=spec.max_charge_kw,
            max_discharge_kw=spec.max_discharge_kw,
            round_trip_efficiency=spec.round_trip_efficiency,
        ),
        import_price=prices.import_price[first : first + count],
        export_price=prices.export_price[first : first + count],
        load_kw=truth.load_kw,
        solar_kw=truth.solar_kw,
        rules=rules,
    )
    result = plan_cycle(request, config, cost_rules=False, baselines=False)
    plan = result.outcome.require()
    net_kw = (plan.discharge_kwh - plan.charge_kwh) / grid.hours
    slot_of = ((epoch - start_s) // slot_s).astype(int)
    tz = _tz(site)
    dt_h = data.step_s / 3600.0
    ledger = Ledger(epoch, dt_h)
    state = PowerwallState(soe_kwh=site.initial_soe_kwh)
    trace = data.trace
    last = -1
    settings = None
    for k in range(len(epoch)):
        s = int(slot_of[k])
        if s != last:
            last = s
            settings = Settings(
                mode=OperationMode.SELF_CONSUMPTION,
                backup_reserve_app_percent=0.0,
                export_rule=ExportRule.BATTERY_OK,
                dispatch_kw=float(net_kw[s]),
            )
        state, flows = step(
            spec,
            state,
            settings,
            load_kw=float(trace.load_kw[k]),
            solar_kw=float(trace.solar_kw[k]),
            dt_h=dt_h,
        )
        ledger.record(k, state, flows, 0.0)
    if progress is not None:
        progress(len(epoch), len(epoch))
    return StrategyRun.from_ledger(
        ledger,
        strategy="perfect-foresight",
        prices=prices,
        initial_soe_kwh=site.initial_soe_kwh,
        capacity_kwh=spec.capacity_kwh,
        tz=tz,
        stats={
            "plan_cost_gbp": round(plan.cost_gbp, 4),
            "slots": count,
            "solve_ms": round(result.outcome.timings_ms.get("solve", 0.0), 1),
        },
    )
