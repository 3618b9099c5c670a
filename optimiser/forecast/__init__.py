"""Load and solar forecasts per slot, learned only from data before the decision time.

Public names: :class:`History` (recorded data), :class:`Forecast` (per-slot kW),
:class:`Forecaster` (the protocol), :class:`HistoryForecaster` (production),
:class:`PerfectForecaster` (the replay's perfect foresight).

Errors::

    ForecastError            a forecast cannot be made; stop and tell the user
     └── InvalidHistory      the recorded history is malformed
"""

from optimiser.forecast.base import Forecast, Forecaster
from optimiser.forecast.errors import ForecastError, InvalidHistory
from optimiser.forecast.history import History
from optimiser.forecast.history_forecaster import HistoryForecaster
from optimiser.forecast.perfect import PerfectForecaster

__all__ = [
    "Forecast",
    "ForecastError",
    "Forecaster",
    "History",
    "HistoryForecaster",
    "InvalidHistory",
    "PerfectForecaster",
]
