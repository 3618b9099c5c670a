"""Load and solar forecasts per slot, learned only from data before the decision time.

Public names: :class:`Forecast` (per-slot kW), :class:`Forecaster` (the protocol),
:class:`HistoryForecaster` (production), :class:`PerfectForecaster` (the replay's perfect
foresight). They learn from :class:`optimiser.domain.history.History`, the one history type.

Errors::

    ForecastError            a forecast cannot be made; stop and tell the user
"""

from optimiser.forecast.base import Forecast, Forecaster
from optimiser.forecast.errors import ForecastError
from optimiser.forecast.history_forecaster import HistoryForecaster
from optimiser.forecast.perfect import PerfectForecaster

__all__ = [
    "Forecast",
    "ForecastError",
    "Forecaster",
    "HistoryForecaster",
    "PerfectForecaster",
]
