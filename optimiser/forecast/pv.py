"""PV array output from irradiance: pvlib clear-sky, PVWatts DC and AC, all offline.

Pure functions over arrays of sample times (seconds since the Unix epoch, UTC). The Linke
turbidity comes from pvlib's bundled climatology file (no network), looked up once per
location and month and cached.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pvlib

from optimiser.config import SiteConfig

# Typical UK ratio of PV output to clear-sky PV output by month (Jan..Dec). [-]
# Measured on the demo weather model (simulations.datasets.demo, 12 seeds, smoothed), whose
# monthly yields follow PVGIS-like UK shares and ~890 kWh/kWp a year; used with no history.
UK_MONTHLY_CLEARNESS = (0.37, 0.45, 0.52, 0.59, 0.64, 0.67, 0.66, 0.62, 0.56, 0.47, 0.40, 0.35)

INVERTER_EFFICIENCY = 0.96
TEMPERATURE_COEFFICIENT = -0.004  # PVWatts default for crystalline silicon [1/°C]


@dataclass(frozen=True, slots=True)
class ArrayModel:
    """A fixed PV array at a site.

    Attributes
    ----------
    latitude, longitude : float
        Site position. [°]
    kwp : float
        Peak DC power at standard test conditions. [kWp]
    tilt_deg, azimuth_deg : float
        Panel tilt from horizontal and azimuth (180 = south). [°]
    losses : float
        PVWatts system losses (wiring, soiling, mismatch…). [-]
    inverter_kw : float
        AC limit of the inverter. [kW]
    altitude_m : float
        Site altitude. [m]
    """

    latitude: float = 51.48
    longitude: float = 0.0
    kwp: float = 4.0
    tilt_deg: float = 35.0
    azimuth_deg: float = 180.0
    losses: float = 0.14
    inverter_kw: float = 3.68
    altitude_m: float = 20.0

    @classmethod
    def from_site(cls, site: SiteConfig) -> ArrayModel:
        """The array described by the config's ``site`` section."""
        return cls(
            latitude=site.latitude,
            longitude=site.longitude,
            kwp=site.solar.kwp,
            tilt_deg=site.solar.tilt_deg,
            azimuth_deg=site.solar.azimuth_deg,
            losses=site.solar.losses,
            inverter_kw=max(site.solar.kwp * 0.92, 0.001),
        )


@lru_cache(maxsize=32)
def monthly_linke_turbidity(latitude: float, longitude: float) -> tuple[float, ...]:
    """Climatological Linke turbidity for Jan..Dec from pvlib's bundled file. [-]"""
    mid_months = pd.DatetimeIndex([f"2025-{m:02d}-15" for m in range(1, 13)], tz="UTC")
    values = pvlib.clearsky.lookup_linke_turbidity(
        mid_months, latitude, longitude, interp_turbidity=False
    )
    return tuple(float(v) for v in values)


@dataclass(frozen=True, slots=True)
class SkyGeometry:
    """Sun position and clear-sky irradiance at sample times (arrays, one per time)."""

    times: pd.DatetimeIndex
    zenith: np.ndarray
    apparent_zenith: np.ndarray
    azimuth: np.ndarray
    ghi: np.ndarray
    dni: np.ndarray
    dhi: np.ndarray
    dni_extra: np.ndarray
    temp_air: np.ndarray


def sky_geometry(epoch_s: np.ndarray, array: ArrayModel) -> SkyGeometry:
    """Sun position, Ineichen clear-sky irradiance and a climatological air temperature."""
    times = pd.DatetimeIndex(pd.to_datetime(np.asarray(epoch_s, dtype="int64"), unit="s", utc=True))
    with warnings.catch_warnings():  # pvlib 0.16 uses a pandas accessor pandas 3 deprecates
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        position = pvlib.solarposition.ephemeris(times, array.latitude, array.longitude)
    apparent_zenith = position["apparent_elevation"].to_numpy()
    apparent_zenith = 90.0 - apparent_zenith
    zenith = 90.0 - position["elevation"].to_numpy()
    azimuth = position["azimuth"].to_numpy()
    linke = np.asarray(monthly_linke_turbidity(array.latitude, array.longitude))[
        times.month.to_numpy() - 1
    ]
    relative = pvlib.atmosphere.get_relative_airmass(apparent_zenith)
    pressure = pvlib.atmosphere.alt2pres(array.altitude_m)
    absolute = pvlib.atmosphere.get_absolute_airmass(relative, pressure)
    dni_extra = pvlib.irradiance.get_extra_radiation(times.day_of_year.to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):  # night: pvlib divides by zero
        clear = pvlib.clearsky.ineichen(
            apparent_zenith, absolute, linke, altitude=array.altitude_m, dni_extra=dni_extra
        )
    doy = times.day_of_year.to_numpy()
    hour = times.hour.to_numpy() + times.minute.to_numpy() / 60.0
    # UK climatology: ~5 °C in January, ~18 °C in July; warmest mid-afternoon.
    temp_air = (
        11.5
        + 6.5 * np.cos(2 * np.pi * (doy - 200) / 365.25)
        + 3.5 * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
    )
    return SkyGeometry(
        times=times,
        zenith=zenith,
        apparent_zenith=apparent_zenith,
        azimuth=azimuth,
        ghi=np.nan_to_num(np.asarray(clear["ghi"], dtype=float)),
        dni=np.nan_to_num(np.asarray(clear["dni"], dtype=float)),
        dhi=np.nan_to_num(np.asarray(clear["dhi"], dtype=float)),
        dni_extra=np.asarray(dni_extra, dtype=float),
        temp_air=temp_air,
    )


def ac_power_kw(
    sky: SkyGeometry, array: ArrayModel, clearness: np.ndarray | float = 1.0
) -> np.ndarray:
    """AC output of the array when GHI is ``clearness`` × clear-sky GHI. [kW]

    Below clear sky the global irradiance is split into beam and diffuse with the Erbs model,
    so an overcast sky is mostly diffuse, as it is in reality. Output is never negative.
    """
    clearness = np.broadcast_to(np.asarray(clearness, dtype=float), sky.ghi.shape)
    if np.all(clearness == 1.0):
        ghi, dni, dhi = sky.ghi, sky.dni, sky.dhi
    else:
        ghi = sky.ghi * clearness
        split = pvlib.irradiance.erbs(ghi, sky.zenith, sky.times.day_of_year.to_numpy())
        dni = np.nan_to_num(np.asarray(split["dni"], dtype=float))
        dhi = np.nan_to_num(np.asarray(split["dhi"], dtype=float))
    return ac_power_from_irradiance(sky, array, ghi, dni, dhi)


def ac_power_from_irradiance(
    sky: SkyGeometry, array: ArrayModel, ghi: np.ndarray, dni: np.ndarray, dhi: np.ndarray
) -> np.ndarray:
    """AC output of the array under global, direct normal and diffuse horizontal irradiance
    at ``sky``'s times (air temperature from ``sky.temp_air``). [W/m²] in, [kW] out."""
    poa = pvlib.irradiance.get_total_irradiance(
        array.tilt_deg,
        array.azimuth_deg,
        sky.apparent_zenith,
        sky.azimuth,
        dni,
        ghi,
        dhi,
        dni_extra=sky.dni_extra,
        model="haydavies",
    )
    aoi = pvlib.irradiance.aoi(array.tilt_deg, array.azimuth_deg, sky.apparent_zenith, sky.azimuth)
    iam = pvlib.iam.ashrae(aoi)
    beam = np.nan_to_num(np.asarray(poa["poa_direct"], dtype=float)) * np.nan_to_num(iam)
    diffuse = np.nan_to_num(np.asarray(poa["poa_diffuse"], dtype=float))
    effective = np.maximum(beam + diffuse, 0.0)
    temp_cell = pvlib.temperature.faiman(effective, sky.temp_air, wind_speed=2.0)
    pdc_kw = pvlib.pvsystem.pvwatts_dc(effective, temp_cell, array.kwp, TEMPERATURE_COEFFICIENT)
    pdc_kw = np.asarray(pdc_kw, dtype=float) * (1.0 - array.losses)
    if array.kwp <= 0:
        return np.zeros_like(pdc_kw)
    pac_kw = pvlib.inverter.pvwatts(
        pdc_kw, array.inverter_kw / INVERTER_EFFICIENCY, eta_inv_nom=INVERTER_EFFICIENCY
    )
    return np.clip(np.nan_to_num(np.asarray(pac_kw, dtype=float)), 0.0, None)


def clear_sky_kw(epoch_s: np.ndarray, array: ArrayModel) -> np.ndarray:
    """Clear-sky AC output at each sample time. [kW]"""
    return ac_power_kw(sky_geometry(epoch_s, array), array)


def typical_clearness(epoch_s: np.ndarray) -> np.ndarray:
    """Typical UK PV clearness (output / clear-sky output) at each time, smooth over the year."""
    doy = pd.to_datetime(np.asarray(epoch_s, dtype="int64"), unit="s", utc=True).day_of_year
    return monthly_interpolate(UK_MONTHLY_CLEARNESS, np.asarray(doy, dtype=float))


def monthly_interpolate(table: tuple[float, ...], day_of_year: np.ndarray) -> np.ndarray:
    """Interpolate a Jan..Dec table (values at mid-month) to days of year, periodically."""
    mids = (np.arange(12) + 0.5) * 365.25 / 12
    x = np.concatenate([mids - 365.25, mids, mids + 365.25])
    y = np.tile(np.asarray(table, dtype=float), 3)
    return np.interp(day_of_year, x, y)
