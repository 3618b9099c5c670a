"""The replay simulator: what wattplan would have done, in pounds, on recorded data.

The replay runs the production planning cycle (:func:`optimiser.planning.plan_cycle`) in a
closed loop over recorded (or demo) load and solar: at each decision time it forecasts from
data before that time only, plans, translates the plan into Powerwall settings with the
production control code, and steps the shared Powerwall model
(:func:`optimiser.domain.powerwall.step`) through the real data under those settings. Baseline
strategies (no battery, Tesla self-powered, Tesla time-based, perfect foresight) step the same
model over the same data and prices.

Modules: ``data`` (recorded or demo data in, with its quality report), ``prices`` (a tariff's
prices over the replayed period), ``site`` (the battery and site from the config), ``ledger``
(realised flows and costs per step), ``engine`` (the closed loop), ``strategies`` (every
strategy by name), ``report`` (per-day tables, JSON, CSV, plots), ``validate`` (against what
the battery really did).

Errors::

    ReplayError              the replay cannot run as asked; stop and tell the user
     └── ReplayDataError     the data or the period asked for is unusable
"""

from simulations.replay.data import ReplayData, demo_data, load_data
from simulations.replay.engine import ClosedLoopOptions, run_closed_loop
from simulations.replay.errors import ReplayDataError, ReplayError
from simulations.replay.ledger import StrategyRun
from simulations.replay.prices import PeriodPrices, period_prices
from simulations.replay.site import SiteModel
from simulations.replay.strategies import STRATEGIES, run_strategy

__all__ = [
    "STRATEGIES",
    "ClosedLoopOptions",
    "PeriodPrices",
    "ReplayData",
    "ReplayDataError",
    "ReplayError",
    "SiteModel",
    "StrategyRun",
    "demo_data",
    "load_data",
    "period_prices",
    "run_closed_loop",
    "run_strategy",
]
