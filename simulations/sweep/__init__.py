"""Sweeps at scale: many households × tariffs × strategies × battery sizes × budgets on Dask.

Each (household, tariff, region, strategy, battery, budget) cell is one replay through the
engine of ``wattplan simulate`` (:mod:`simulations.replay`), so a cell is the same to the
penny as ``simulate`` on that household alone. Modules, in the order a sweep runs: ``axes``
(the cells), ``households`` (recordings, or a generated population), ``task`` (one household's
cells on a worker), ``runner`` (one Dask task per household, retries, progress), ``store``
(one Parquet file per household, resumable; the combined table), ``summary`` (per tariff ×
battery: savings quantiles and how often each tariff is best; plots).

Errors: a sweep asked wrongly raises :class:`simulations.replay.ReplayError` (stop and tell);
:class:`SchedulerUnreachable` when no scheduler answers at ``--scheduler`` (try again later).
A household's own bad data is not an error of the sweep: it is reported and the rest carry on.
"""

from simulations.sweep.axes import CONFIG_BUDGET, Axes, Battery, Budget
from simulations.sweep.households import (
    Generated,
    Household,
    Recording,
    Window,
    population,
    recordings,
)
from simulations.sweep.runner import (
    DEFAULT_RETRIES,
    SchedulerUnreachable,
    SweepOutcome,
    dask_client,
    run_sweep,
)
from simulations.sweep.store import SCHEMA, ResultStore
from simulations.sweep.summary import plot_savings, summarise
from simulations.sweep.task import HouseholdResult, SweepSpec, run_household

__all__ = [
    "CONFIG_BUDGET",
    "DEFAULT_RETRIES",
    "SCHEMA",
    "Axes",
    "Battery",
    "Budget",
    "Generated",
    "Household",
    "HouseholdResult",
    "Recording",
    "ResultStore",
    "SchedulerUnreachable",
    "SweepOutcome",
    "SweepSpec",
    "Window",
    "dask_client",
    "plot_savings",
    "population",
    "recordings",
    "run_household",
    "run_sweep",
    "summarise",
]
