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
``wattplan``           the closed loop (:mod:`simulations.replay.closed_loop`)
``perfect-foresight``  the production LP once over the whole period on the true load, solar
                       and prices (the request built by production's builder), followed
                       exactly by direct dispatch: the upper bound
=====================  =======================================================================

All of them step the shared model with :func:`optimiser.domain.powerwall.step_through` at the
data's resolution (no-battery is the same arithmetic, vectorised).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.domain.device import ExportRule, OperationMode, Settings
from optimiser.domain.powerwall import PowerwallState, step_through
from optimiser.forecast import PerfectForecaster
from optimiser.planning import Forecasting, Horizon, build_request, plan_cycle
from rules.schema import RulesFile
from simulations.replay.closed_loop import Progress, SimulatedSite, run_closed_loop
from simulations.replay.data import ReplayData
from simulations.replay.ledger import Ledger, StrategyRun, local_days
from simulations.replay.options import ClosedLoopOptions, Strategy
from simulations.replay.prices import PeriodPrices
from simulations.replay.site import SiteModel
from simulations.replay.uploaded import UploadedTariffs


def run_strategy(
    strategy: Strategy,
    data: ReplayData,
    prices: PeriodPrices,
    site: SiteModel,
    *,
    options: ClosedLoopOptions = ClosedLoopOptions(),  # noqa: B008 - frozen
    rules: RulesFile | None = None,
    progress: Progress | None = None,
) -> StrategyRun:
    """Replay ``strategy`` (the closed loop with ``options``; rules for the planned ones)."""
    match strategy:
        case Strategy.WATTPLAN:
            return run_closed_loop(
                data, prices, site, options=options, rules=rules, progress=progress
            )
        case Strategy.NO_BATTERY:
            return no_battery(data, prices, site)
        case Strategy.SELF_POWERED:
            return self_powered(data, prices, site, progress=progress)
        case Strategy.TIME_BASED:
            return time_based(data, prices, site, progress=progress)
        case Strategy.PERFECT_FORESIGHT:
            return perfect_foresight(data, prices, site, rules=rules, progress=progress)


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
        strategy=Strategy.NO_BATTERY,
        prices=prices,
        initial_soe_kwh=0.0,
        capacity_kwh=site.capacity_kwh,
        tz=_tz(site),
    )


def _follow(
    data: ReplayData,
    prices: PeriodPrices,
    site: SiteModel,
    strategy: Strategy,
    settings: Sequence[Settings],
    progress: Progress | None,
    stats: dict | None = None,
) -> StrategyRun:
    """Step the model through the data under ``settings`` (one per step), a local day at a
    time (the progress is told after each)."""
    trace = data.trace
    epoch = trace.epoch_s
    tz = _tz(site)
    ledger = Ledger(epoch, data.step_s / 3600.0)
    state = PowerwallState(soe_kwh=site.initial_soe_kwh)
    days = np.array([d.toordinal() for d in local_days(epoch, tz)])
    cuts = [*np.flatnonzero(np.diff(days)) + 1, len(epoch)]
    first = 0
    for end in cuts:
        stepped = step_through(
            site.spec,
            state,
            settings[first:end],
            load_kw=trace.load_kw[first:end],
            solar_kw=trace.solar_kw[first:end],
            dt_h=ledger.dt_h,
            epoch_s=epoch[first:end],
        )
        ledger.record(first, stepped)
        state, first = stepped.end, end
        if progress is not None:
            progress(end, len(epoch))
    return StrategyRun.from_ledger(
        ledger,
        strategy=strategy,
        prices=prices,
        initial_soe_kwh=site.initial_soe_kwh,
        capacity_kwh=site.spec.capacity_kwh,
        tz=tz,
        stats=stats,
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
    each = [settings] * len(data.trace.epoch_s)
    return _follow(data, prices, site, Strategy.SELF_POWERED, each, progress)


def time_based(
    data: ReplayData, prices: PeriodPrices, site: SiteModel, *, progress: Progress | None = None
) -> StrategyRun:
    """Tesla time-based control with the true tariff uploaded (re-uploaded each local day)."""
    tariffs = UploadedTariffs(prices.tariff, _tz(site), doctor=False)
    per_day: dict[date, Settings] = {}
    each = []
    for day in local_days(data.trace.epoch_s, _tz(site)):
        if day not in per_day:
            per_day[day] = Settings(
                mode=OperationMode.AUTONOMOUS,
                backup_reserve_app_percent=site.policy.reserve_floor_app_percent,
                grid_charging=True,
                export_rule=ExportRule.BATTERY_OK,
                tariff=tariffs.for_day(day),
            )
        each.append(per_day[day])
    return _follow(data, prices, site, Strategy.TIME_BASED, each, progress)


def perfect_foresight(
    data: ReplayData,
    prices: PeriodPrices,
    site: SiteModel,
    *,
    rules: RulesFile | None = None,
    progress: Progress | None = None,
) -> StrategyRun:
    """The production LP once over the whole period on the truth, then direct dispatch."""
    config = site.config
    request = build_request(
        config,
        SimulatedSite.of(site.spec, PowerwallState(soe_kwh=site.initial_soe_kwh)),
        now=data.start,
        tariff=prices.tariff,
        history=None,
        rules=rules,
        forecasting=Forecasting(PerfectForecaster(data.trace)),
        horizon=Horizon(until=data.end),
        prices=prices,
    )
    result = plan_cycle(request, config, cost_rules=False, baselines=False)
    plan = result.outcome.require()
    grid = request.grid
    net_kw = (plan.discharge_kwh - plan.charge_kwh) / grid.hours
    slot_s = grid.minutes * 60
    slot_of = ((data.trace.epoch_s - grid.start.timestamp()) // slot_s).astype(int)
    per_slot = [
        Settings(
            mode=OperationMode.SELF_CONSUMPTION,
            backup_reserve_app_percent=0.0,
            export_rule=ExportRule.BATTERY_OK,
            dispatch_kw=float(kw),
        )
        for kw in net_kw
    ]
    stats = {
        "plan_cost_gbp": round(plan.cost_gbp, 4),
        "slots": grid.count,
        "solve_ms": round(result.outcome.timings_ms.get("solve", 0.0), 1),
    }
    each = [per_slot[s] for s in slot_of]
    return _follow(data, prices, site, Strategy.PERFECT_FORESIGHT, each, progress, stats)
