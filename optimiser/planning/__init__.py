"""Planning: one request builder and one planning cycle, shared by ``plan``, ``run`` and
``simulate``.

- :mod:`~optimiser.planning.request` — :func:`build_request` reads the world at decision time
  into a frozen :class:`PlanRequest`: the horizon (:class:`Horizon`), prices, forecasts, the
  control backend's limits (:class:`ControlLimits`), rules and context.
- :mod:`~optimiser.planning.forecasting` — the forecaster and its refit policy
  (:class:`Forecasting`, :class:`Refit`; production fits at every plan).
- :mod:`~optimiser.planning.cycle` — :func:`plan_cycle`: inputs, rules as a hook, the LP,
  baselines → :class:`PlanResult`.
"""

from optimiser.planning.cycle import PlanResult, RulesReport, build_inputs, plan_cycle
from optimiser.planning.forecasting import EVERY_PLAN, Forecasting, Refit
from optimiser.planning.request import (
    DEFAULT_EFFICIENCY,
    PRODUCTION_HORIZON,
    ControlLimits,
    Horizon,
    PlanRequest,
    PriceSource,
    SiteReading,
    battery_inputs,
    build_request,
    control_limits,
    horizon,
)

__all__ = [
    "DEFAULT_EFFICIENCY",
    "EVERY_PLAN",
    "PRODUCTION_HORIZON",
    "ControlLimits",
    "Forecasting",
    "Horizon",
    "PlanRequest",
    "PlanResult",
    "PriceSource",
    "Refit",
    "RulesReport",
    "SiteReading",
    "battery_inputs",
    "build_inputs",
    "build_request",
    "control_limits",
    "horizon",
    "plan_cycle",
]
