"""One entry point for every provider's answer: decoded JSON in, :class:`ProviderForecast` out.

Pure: the same payload always gives the same forecast, so cached answers are re-parsed rather
than stored twice, and tests feed recorded-shaped answers straight in.
"""

from __future__ import annotations

from collections.abc import Callable

from optimiser.forecast.weather.forecast_solar import parse_forecast_solar
from optimiser.forecast.weather.open_meteo import parse_open_meteo
from optimiser.forecast.weather.provider import Provider, ProviderForecast
from optimiser.forecast.weather.solcast import parse_solcast

PARSERS: dict[Provider, Callable[[object], ProviderForecast]] = {
    Provider.OPEN_METEO: parse_open_meteo,
    Provider.FORECAST_SOLAR: parse_forecast_solar,
    Provider.SOLCAST: parse_solcast,
}


def parse_response(provider: Provider, payload: object) -> ProviderForecast:
    """The forecast in ``provider``'s decoded JSON answer; raises ``InvalidResponse``."""
    return PARSERS[provider](payload)
