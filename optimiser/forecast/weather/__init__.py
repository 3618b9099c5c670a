"""Weather-aware solar forecasts from Open-Meteo (default, no key), Forecast.Solar or Solcast.

:func:`forecaster_for` gives the forecaster the config asks for. Modules: ``provider`` (the
parsed forecast and the errors), ``open_meteo``, ``forecast_solar``, ``solcast`` (each
provider's request and pure parser), ``parse`` (one entry point for every answer), ``http``
(one GET with a hard deadline), ``cache`` (answers and call log on disk), ``scheduler`` (when
to call), ``source`` (the three together), ``pv_power`` (irradiance to AC power per slot with
:mod:`optimiser.forecast.pv`), ``forecaster`` (history load + provider solar, with fallback),
``archive`` (forecasts as issued, for the replay to judge a provider).

Errors::

    WeatherUnavailable       no usable provider forecast: use the history forecast, say why
                             (gap and retry: the next plan asks again)
     ├── QuotaExhausted      the provider's quota, or the calls per day allowed, is used up
     └── InvalidResponse     the answer is not what the provider's format promises
"""

from optimiser.forecast.weather.archive import ForecastArchive, IssuedForecast
from optimiser.forecast.weather.forecaster import WeatherForecaster, forecaster_for
from optimiser.forecast.weather.parse import parse_response
from optimiser.forecast.weather.provider import (
    InvalidResponse,
    Provider,
    ProviderForecast,
    QuotaExhausted,
    WeatherUnavailable,
)
from optimiser.forecast.weather.pv_power import slot_solar_kw
from optimiser.forecast.weather.source import SourcedForecast, WeatherSource

__all__ = [
    "ForecastArchive",
    "InvalidResponse",
    "IssuedForecast",
    "Provider",
    "ProviderForecast",
    "QuotaExhausted",
    "SourcedForecast",
    "WeatherForecaster",
    "WeatherSource",
    "WeatherUnavailable",
    "forecaster_for",
    "parse_response",
    "slot_solar_kw",
]
