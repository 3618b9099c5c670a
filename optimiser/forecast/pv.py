"""PV array output from irradiance: Ineichen clear sky, PVWatts DC and AC, all offline.

Pure functions over arrays of sample times (seconds since the Unix epoch, UTC), on pvlib's
models as :mod:`optimiser.forecast.solar_models` writes them (no pvlib import). The Linke
turbidity comes from pvlib's bundled climatology file (no network), looked up once per
location and month and cached.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimiser.config import SiteConfig
from optimiser.forecast import solar_models as sm

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


@dataclass(frozen=True, slots=True)
class SkyGeometry:
    """Sun position and clear-sky irradiance at sample times (arrays, one per time)."""

    day_of_year: np.ndarray
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
    when = sm.utc_fields(epoch_s)
    position = sm.ephemeris(when, array.latitude, array.longitude)
    apparent_zenith = 90.0 - position.apparent_elevation
    zenith = 90.0 - position.elevation
    linke = np.asarray(sm.monthly_linke_turbidity(array.latitude, array.longitude))[when.month - 1]
    relative = sm.relative_airmass(apparent_zenith)
    absolute = relative * sm.altitude_to_pressure(array.altitude_m) / 101325.0
    dni_extra = sm.extra_radiation(when.day_of_year)
    with np.errstate(divide="ignore", invalid="ignore"):  # night: the model divides by zero
        ghi, dni, dhi = sm.ineichen(
            apparent_zenith, absolute, linke, altitude=array.altitude_m, dni_extra=dni_extra
        )
    doy = when.day_of_year
    hour = when.hour + when.minute / 60.0
    # UK climatology: ~5 °C in January, ~18 °C in July; warmest mid-afternoon.
    temp_air = (
        11.5
        + 6.5 * np.cos(2 * np.pi * (doy - 200) / 365.25)
        + 3.5 * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
    )
    return SkyGeometry(
        day_of_year=doy,
        zenith=zenith,
        apparent_zenith=apparent_zenith,
        azimuth=position.azimuth,
        ghi=np.nan_to_num(ghi),
        dni=np.nan_to_num(dni),
        dhi=np.nan_to_num(dhi),
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
        dni, dhi = sm.erbs(ghi, sky.zenith, sky.day_of_year)
        dni, dhi = np.nan_to_num(dni), np.nan_to_num(dhi)
    return ac_power_from_irradiance(sky, array, ghi, dni, dhi)


def ac_power_from_irradiance(
    sky: SkyGeometry, array: ArrayModel, ghi: np.ndarray, dni: np.ndarray, dhi: np.ndarray
) -> np.ndarray:
    """AC output of the array under global, direct normal and diffuse horizontal irradiance
    at ``sky``'s times (air temperature from ``sky.temp_air``). [W/m²] in, [kW] out."""
    direct, diffuse = sm.poa_hay_davies(
        array.tilt_deg,
        array.azimuth_deg,
        sky.apparent_zenith,
        sky.azimuth,
        dni,
        ghi,
        dhi,
        dni_extra=sky.dni_extra,
    )
    angle = sm.aoi(array.tilt_deg, array.azimuth_deg, sky.apparent_zenith, sky.azimuth)
    beam = np.nan_to_num(direct) * np.nan_to_num(sm.iam_ashrae(angle))
    effective = np.maximum(beam + np.nan_to_num(diffuse), 0.0)
    temp_cell = sm.faiman_cell_temperature(effective, sky.temp_air, wind_speed=2.0)
    pdc_kw = sm.pvwatts_dc(effective, temp_cell, array.kwp, TEMPERATURE_COEFFICIENT)
    pdc_kw = pdc_kw * (1.0 - array.losses)
    if array.kwp <= 0:
        return np.zeros_like(pdc_kw)
    pac_kw = sm.pvwatts_ac(
        pdc_kw, array.inverter_kw / INVERTER_EFFICIENCY, eta_inv_nom=INVERTER_EFFICIENCY
    )
    return np.clip(np.nan_to_num(np.asarray(pac_kw, dtype=float)), 0.0, None)


def clear_sky_kw(epoch_s: np.ndarray, array: ArrayModel) -> np.ndarray:
    """Clear-sky AC output at each sample time. [kW]"""
    return ac_power_kw(sky_geometry(epoch_s, array), array)


def typical_clearness(epoch_s: np.ndarray) -> np.ndarray:
    """Typical UK PV clearness (output / clear-sky output) at each time, smooth over the year."""
    doy = sm.utc_fields(epoch_s).day_of_year
    return monthly_interpolate(UK_MONTHLY_CLEARNESS, doy.astype(float))


def monthly_interpolate(table: tuple[float, ...], day_of_year: np.ndarray) -> np.ndarray:
    """Interpolate a Jan..Dec table (values at mid-month) to days of year, periodically."""
    mids = (np.arange(12) + 0.5) * 365.25 / 12
    x = np.concatenate([mids - 365.25, mids, mids + 365.25])
    y = np.tile(np.asarray(table, dtype=float), 3)
    return np.interp(day_of_year, x, y)
