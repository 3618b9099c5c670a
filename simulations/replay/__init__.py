"""The replay simulator: what wattplan would have done, in pounds, on recorded data.

The replay runs the production loop over recorded (or demo) load and solar: at each decision
time it builds the request the service would (:func:`optimiser.planning.build_request`:
production's horizon, forecasts fitted at every plan on the history the service would hold,
the control backend's limits), plans with :func:`optimiser.planning.plan_cycle`, translates
the plan into Powerwall settings with the production control code, and steps the shared
Powerwall model (:func:`optimiser.domain.powerwall.step_through`) through the real data under
those settings. Baseline strategies (no battery, Tesla self-powered, Tesla time-based, perfect
foresight) step the same model over the same data and prices.

Modules, in the order data flows: ``data`` (recorded or demo data in, with its quality
report), ``prices`` (the tariff a ``--tariff`` value names, and its prices over the replayed
period), ``site`` (the battery and site from the config), ``options`` (strategies, forecast
and control modes, the closed loop's options), ``forecasts`` (the history the service would
hold, or the truth), ``uploaded`` (tariffs as the device holds them after an upload),
``closed_loop`` (wattplan, one decision at a time), ``commands`` (what its control cost in
Fleet commands), ``strategies`` (every strategy by name), ``parallel`` (the closed loop split
in time, tariff × strategy jobs over processes), ``ledger`` (realised flows and costs per
step), ``report`` (per-day tables, JSON, CSV, plots), ``validate`` (against what the battery
really did).

Errors::

    ReplayError              the replay cannot run as asked; stop and tell the user
     └── ReplayDataError     the data or the period asked for is unusable
"""

from simulations.replay.closed_loop import run_closed_loop
from simulations.replay.data import ReplayData, demo_data, generated_data, load_data
from simulations.replay.errors import ReplayDataError, ReplayError
from simulations.replay.ledger import StrategyRun
from simulations.replay.options import (
    REFERENCES,
    ClosedLoopOptions,
    ControlMode,
    ForecastMode,
    Strategy,
)
from simulations.replay.parallel import Job, run_closed_loop_parallel, run_jobs
from simulations.replay.prices import PeriodPrices, period_prices, tariff_for
from simulations.replay.site import SiteModel
from simulations.replay.strategies import run_strategy

__all__ = [
    "REFERENCES",
    "ClosedLoopOptions",
    "ControlMode",
    "ForecastMode",
    "Job",
    "PeriodPrices",
    "ReplayData",
    "ReplayDataError",
    "ReplayError",
    "SiteModel",
    "Strategy",
    "StrategyRun",
    "demo_data",
    "generated_data",
    "load_data",
    "period_prices",
    "run_closed_loop",
    "run_closed_loop_parallel",
    "run_jobs",
    "run_strategy",
    "tariff_for",
]
