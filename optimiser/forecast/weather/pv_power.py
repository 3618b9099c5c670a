"""A provider's forecast as the array's AC power per slot, with wattplan's PV model.

Irradiance (Open-Meteo) becomes a clear-sky index (interval-mean GHI over the interval-mean
Ineichen clear-sky GHI at the site) and a diffuse fraction (DHI / GHI), both interpolated to the
forecasts' 5-minute points; there GHI = index × clear-sky GHI, DHI = fraction × GHI and DNI
closes GHI = DHI + DNI·cos(zenith), so the three stay consistent whatever the interpolation.
The forecast's air temperature replaces the climatology. :mod:`optimiser.forecast.pv` turns
them into AC power for the configured array (Hay–Davies, PVWatts), exactly as for clear sky.
Power forecasts (Forecast.Solar, Solcast) are interpolated to the same points.

A slot counts as covered when all its points lie inside the provider's span; the caller
keeps its own forecast for the others.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from optimiser.domain.slots import SlotGrid
from optimiser.forecast.base import SUB_STEP_S, sub_sample_times
from optimiser.forecast.pv import ArrayModel, ac_power_from_irradiance, sky_geometry
from optimiser.forecast.weather.provider import ProviderForecast

MIN_CLEAR_GHI = 20.0  # below this clear-sky GHI an index is meaningless (dawn, dusk) [W/m²]
MIN_COS_ZENITH = 0.065  # below this sun height all irradiance is taken as diffuse
MAX_INDEX = 1.3  # cloud enhancement can exceed clear sky a little, not more [-]


@dataclass(frozen=True, eq=False)
class SlotSolar:
    """Provider-based solar per slot.

    Attributes
    ----------
    solar_kw : numpy.ndarray
        Mean AC power per slot (0 where not covered). [kW]
    covered : numpy.ndarray
        True where the provider's forecast spans the whole slot.
    """

    solar_kw: np.ndarray
    covered: np.ndarray


def _interval_clear_ghi(forecast: ProviderForecast, array: ArrayModel) -> np.ndarray:
    """Mean clear-sky GHI over each of the forecast's intervals. [W/m²]"""
    pieces = max(round(forecast.interval_s / SUB_STEP_S), 1)
    offsets = (np.arange(pieces) + 0.5) / pieces - 0.5
    times = forecast.epoch_s[:, None] + offsets[None, :] * forecast.interval_s
    sky = sky_geometry(times.reshape(-1), array)
    return sky.ghi.reshape(times.shape).mean(axis=1)


def _fill(values: np.ndarray, default: float) -> np.ndarray:
    """NaNs replaced by the nearest known value (``default`` when none is known)."""
    known = np.isfinite(values)
    if not known.any():
        return np.full(len(values), default)
    index = np.arange(len(values))
    return np.interp(index, index[known], values[known])


def slot_solar_kw(forecast: ProviderForecast, grid: SlotGrid, array: ArrayModel) -> SlotSolar:
    """Mean AC power per slot of ``grid`` from ``forecast``. [kW]"""
    points = sub_sample_times(grid)
    flat = points.reshape(-1)
    inside = (flat >= forecast.start_s) & (flat <= forecast.end_s)
    covered = inside.reshape(points.shape).all(axis=1)
    if not covered.any() or array.kwp <= 0:
        return SlotSolar(np.zeros(grid.count), covered)
    if forecast.ac_kw is not None:
        power = np.maximum(np.interp(flat, forecast.epoch_s, forecast.ac_kw), 0.0)
    else:
        power = _irradiance_to_kw(forecast, flat, array)
    solar = np.where(covered, power.reshape(points.shape).mean(axis=1), 0.0)
    return SlotSolar(solar, covered)


def _irradiance_to_kw(
    forecast: ProviderForecast, at_s: np.ndarray, array: ArrayModel
) -> np.ndarray:
    assert forecast.ghi_w_m2 is not None  # ProviderForecast holds irradiance or power
    clear = _interval_clear_ghi(forecast, array)
    day = clear > MIN_CLEAR_GHI
    index = np.where(day, forecast.ghi_w_m2 / np.where(day, clear, 1.0), np.nan)
    index = np.clip(_fill(index, 1.0), 0.0, MAX_INDEX)
    if forecast.dhi_w_m2 is not None:
        ghi_ok = day & (forecast.ghi_w_m2 > 1.0) & np.isfinite(forecast.dhi_w_m2)
        fraction = np.where(
            ghi_ok, forecast.dhi_w_m2 / np.where(ghi_ok, forecast.ghi_w_m2, 1.0), np.nan
        )
        fraction = np.clip(_fill(fraction, 1.0), 0.0, 1.0)
    else:
        fraction = np.ones(len(index))
    sky = sky_geometry(at_s, array)
    if forecast.temp_air_c is not None and np.isfinite(forecast.temp_air_c).any():
        temp = np.interp(at_s, forecast.epoch_s, _fill(forecast.temp_air_c, 10.0))
        sky = replace(sky, temp_air=temp)
    ghi = np.interp(at_s, forecast.epoch_s, index) * sky.ghi
    dhi = np.interp(at_s, forecast.epoch_s, fraction) * ghi
    cos_zenith = np.cos(np.radians(sky.zenith))
    high = cos_zenith > MIN_COS_ZENITH
    dni = np.where(high, (ghi - dhi) / np.where(high, cos_zenith, 1.0), 0.0)
    dhi = np.where(high, dhi, ghi)
    return ac_power_from_irradiance(sky, array, ghi, np.maximum(dni, 0.0), dhi)
