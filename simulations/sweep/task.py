"""One household's cells: what a Dask worker runs for one task.

The worker reads or generates the household's data (:mod:`simulations.sweep.households`),
prices every tariff over its period and replays every cell with the replay engine of
``wattplan simulate`` (:func:`simulations.replay.run_jobs`, one process: the task is the unit
of parallelism), then returns one row per cell. A household whose data or tariff cannot be
replayed (an error whose policy is *stop and tell*) comes back as a failure with the reason;
anything else raises, so Dask retries the task.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from optimiser.config import Config
from optimiser.domain.errors import NextStep, WattplanError
from simulations.replay.data import ReplayData
from simulations.replay.ledger import StrategyRun
from simulations.replay.options import ClosedLoopOptions, Strategy
from simulations.replay.parallel import Job, run_jobs
from simulations.replay.prices import period_prices, tariff_for
from simulations.replay.site import SiteModel
from simulations.sweep.axes import Axes, Battery, Budget
from simulations.sweep.households import Household, Window

Row = dict[str, str | float | int | bool | None]


@dataclass(frozen=True)
class SweepSpec:
    """Everything but the household that a task needs (the same for every task).

    Attributes
    ----------
    axes : Axes
        The cells.
    window : Window
        The part of each household's data replayed.
    config : Config
        The user's config (a generated home replaces its site's location and PV array).
    options : ClosedLoopOptions
        How the closed loop plans (horizon, refit, decisions), as ``wattplan simulate``.
    """

    axes: Axes
    window: Window
    config: Config
    options: ClosedLoopOptions = field(default_factory=ClosedLoopOptions)


@dataclass(frozen=True)
class HouseholdResult:
    """A household's rows, or why it could not be replayed.

    Attributes
    ----------
    key, source : str
        The household and where its data came from.
    rows : tuple of dict
        One per cell (empty on failure).
    error : str or None
        What went wrong (None on success).
    seconds : float
        Wall time of the task on the worker. [s]
    cpu_seconds : float
        CPU time of the task on the worker. [s]
    """

    key: str
    source: str
    rows: tuple[Row, ...] = ()
    error: str | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0


@dataclass(frozen=True)
class _Cell:
    tariff: str
    region: str | None
    strategy: Strategy
    battery: Battery | None
    budget: Budget | None


def run_household(household: Household, spec: SweepSpec) -> HouseholdResult:
    """Replay every cell of ``household`` (see the module docstring)."""
    started = time.perf_counter()
    cpu = time.process_time()
    try:
        data, config = household.load(spec.window, spec.config)
        cells, jobs = _jobs(data, config, spec)
        runs = run_jobs(jobs, workers=1)
    except WattplanError as exc:
        if exc.next_step is not NextStep.STOP_AND_TELL:
            raise
        return HouseholdResult(household.key, household.source, error=str(exc))
    except (ValueError, OSError) as exc:
        return HouseholdResult(
            household.key, household.source, error=f"{type(exc).__name__}: {exc}"
        )
    rows = _rows(household, data, cells, runs)
    return HouseholdResult(
        household.key,
        household.source,
        rows=rows,
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu,
    )


def _jobs(data: ReplayData, config: Config, spec: SweepSpec) -> tuple[list[_Cell], list[Job]]:
    """Every cell's replay job, in the order :func:`_rows` reads them."""
    axes = spec.axes
    minutes = config.planner.slot_minutes
    cells: list[_Cell] = []
    jobs: list[Job] = []
    for key, region in axes.priced():
        tariff = tariff_for(key, region or config.tariff.region, config, data.start, data.end)
        prices = period_prices(
            tariff, data.start, data.end, minutes, spec.options.price_margin_hours
        )
        for b, battery in enumerate(axes.batteries):
            site = SiteModel.from_config(
                config, capacity_kwh=battery.capacity_kwh, power_kw=battery.power_kw
            )
            for strategy in axes.strategies:
                if strategy is Strategy.NO_BATTERY:
                    if b == 0:
                        cells.append(_Cell(key, region, strategy, None, None))
                        jobs.append(Job(strategy, data, prices, site, spec.options))
                    continue
                budgets: tuple[Budget | None, ...] = (
                    axes.budgets if strategy is Strategy.WATTPLAN else (None,)
                )
                for budget in budgets:
                    cells.append(_Cell(key, region, strategy, battery, budget))
                    jobs.append(Job(strategy, data, prices, _budgeted(site, budget), spec.options))
    return cells, jobs


def _budgeted(site: SiteModel, budget: Budget | None) -> SiteModel:
    """``site`` keeping to ``budget`` (as ``wattplan simulate --budgets`` sets it)."""
    if budget is None or budget.from_config:
        return site
    return replace(
        site, capabilities=replace(site.capabilities, commands_per_day=budget.writes_per_day)
    )


def _rows(
    household: Household, data: ReplayData, cells: list[_Cell], runs: list[StrategyRun]
) -> tuple[Row, ...]:
    """One row per cell; savings against no-battery and capture against perfect foresight
    under the same tariff, region and battery."""
    by_cell = dict(zip(cells, runs, strict=True))
    days = len(data.trace.epoch_s) * data.step_s / 86400.0
    rows: list[Row] = []
    for cell, run in by_cell.items():
        base = by_cell[_Cell(cell.tariff, cell.region, Strategy.NO_BATTERY, None, None)]
        savings = base.cost_gbp - run.cost_gbp
        capture = None
        if cell.battery is not None:
            best = by_cell[
                _Cell(cell.tariff, cell.region, Strategy.PERFECT_FORESIGHT, cell.battery, None)
            ]
            best_savings = base.cost_gbp - best.cost_gbp
            if best_savings > 1e-9:
                capture = savings / best_savings
        commands = run.stats.get("commands") or {}
        rows.append(
            {
                "household": household.key,
                "source": household.source,
                **household.attributes(),
                "days": round(days, 4),
                "tariff": cell.tariff,
                "tariff_name": run.tariff,
                "region": cell.region,
                "strategy": cell.strategy.value,
                "battery": "none" if cell.battery is None else cell.battery.label,
                "capacity_kwh": 0.0 if cell.battery is None else cell.battery.capacity_kwh,
                "power_kw": 0.0 if cell.battery is None else cell.battery.power_kw,
                "budget": None if cell.budget is None else cell.budget.label,
                "cost_gbp": run.cost_gbp,
                "energy_gbp": run.energy_gbp,
                "standing_gbp": run.standing_gbp,
                "savings_gbp": savings,
                "capture_ratio": capture,
                "commands": commands.get("total"),
                "commands_max_per_day": commands.get("max_per_day"),
                "cycles": run.cycles,
                "throughput_kwh": run.throughput_kwh,
                "import_kwh": float(run.import_kwh.sum()),
                "export_kwh": float(run.export_kwh.sum()),
                "peak_export_kw": float(np.max(-run.grid_kw, initial=0.0)),
                "peak_import_kw": float(np.max(run.grid_kw, initial=0.0)),
                "stored_change_kwh": run.stored_change_kwh,
            }
        )
    return tuple(rows)
