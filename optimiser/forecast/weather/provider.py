"""What a weather provider's forecast is, once parsed, and how it can fail.

A provider answers with either **irradiance** (Open-Meteo: global and diffuse horizontal,
interval means) that wattplan turns into AC power with its own PV model, or **power** (Forecast.
Solar, Solcast: the provider's own model of the array). Both become a
:class:`ProviderForecast`: values per interval, stamped at each interval's middle.

Errors (all caught by the weather forecaster, which falls back to history and says why; the
next plan tries again)::

    WeatherUnavailable       no usable provider forecast (temporary)
     ├── QuotaExhausted      the provider refused for its quota (HTTP 429) or ours is spent
     │                       (temporary)
     └── InvalidResponse     the answer is not what the provider's format promises (protocol)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from optimiser.domain.errors import ErrorKind, NextStep
from optimiser.forecast.errors import ForecastError


class WeatherUnavailable(ForecastError):
    """No usable provider forecast: the caller falls back to history and says why."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


class QuotaExhausted(WeatherUnavailable):
    """The provider's quota (or the calls per day wattplan allows itself) is used up."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


class InvalidResponse(WeatherUnavailable):
    """A provider's answer does not have the documented shape."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.PROTOCOL


class Provider(StrEnum):
    """Weather-aware solar forecast sources."""

    OPEN_METEO = "open-meteo"
    FORECAST_SOLAR = "forecast-solar"
    SOLCAST = "solcast"
    SYNTHETIC = "synthetic"  # a replay study's stand-in with a documented error model


DEFAULT_CALLS_PER_DAY = {
    Provider.OPEN_METEO: 48,  # free for non-commercial use up to 10,000 a day
    Provider.FORECAST_SOLAR: 24,  # public plan: 12 calls an hour per IP address
    Provider.SOLCAST: 10,  # hobbyist plan: 10 calls a day
}


def _frozen(values: np.ndarray | None) -> np.ndarray | None:
    if values is None:
        return None
    array = np.array(values, dtype=float, copy=True).reshape(-1)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class ProviderForecast:
    """A provider's forecast at one site.

    Attributes
    ----------
    provider : Provider
        Who made it.
    epoch_s : numpy.ndarray
        Middle of each interval, seconds since the Unix epoch (UTC), increasing. [s]
    interval_s : float
        Interval length. [s]
    ghi_w_m2, dhi_w_m2 : numpy.ndarray or None
        Global and diffuse horizontal irradiance, interval means. [W/m²]
    temp_air_c : numpy.ndarray or None
        Air temperature at 2 m. [°C]
    ac_kw : numpy.ndarray or None
        The provider's own AC power estimate, interval means. [kW]
    """

    provider: Provider
    epoch_s: np.ndarray
    interval_s: float
    ghi_w_m2: np.ndarray | None = None
    dhi_w_m2: np.ndarray | None = None
    temp_air_c: np.ndarray | None = None
    ac_kw: np.ndarray | None = None

    def __post_init__(self) -> None:
        epoch_s = _frozen(self.epoch_s)
        n = len(epoch_s)
        if n < 2:
            raise InvalidResponse(f"{self.provider}: expected at least 2 forecast times, got {n}")
        if not np.all(np.diff(epoch_s) > 0):
            raise InvalidResponse(f"{self.provider}: forecast times must increase")
        if not self.interval_s > 0:
            raise InvalidResponse(f"{self.provider}: interval must be > 0 s, got {self.interval_s}")
        if self.ghi_w_m2 is None and self.ac_kw is None:
            raise InvalidResponse(f"{self.provider}: expected irradiance or power, got neither")
        object.__setattr__(self, "epoch_s", epoch_s)
        columns = {
            "ghi_w_m2": _frozen(self.ghi_w_m2),
            "dhi_w_m2": _frozen(self.dhi_w_m2),
            "temp_air_c": _frozen(self.temp_air_c),
            "ac_kw": _frozen(self.ac_kw),
        }
        for name, values in columns.items():
            if values is not None and len(values) != n:
                raise InvalidResponse(
                    f"{self.provider}: {name} has {len(values)} values for {n} forecast times"
                )
            object.__setattr__(self, name, values)

    @property
    def start_s(self) -> float:
        """Start of the first interval. [s]"""
        return float(self.epoch_s[0] - self.interval_s / 2)

    @property
    def end_s(self) -> float:
        """End of the last interval. [s]"""
        return float(self.epoch_s[-1] + self.interval_s / 2)
