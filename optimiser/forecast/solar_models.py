"""The few pvlib models the PV forecast uses, on plain numpy arrays.

``import pvlib`` loads every pvlib module, with pandas and most of scipy (``scipy.integrate``
through ``pvlib.spectrum``): about a third of a second, more than ``wattplan plan`` spends on
everything else. These are the same formulas, written in the same order of operations as
pvlib 0.16 (BSD-3-Clause, https://github.com/pvlib/pvlib-python), so they give the same
floats: ``tests/optimiser/forecast/test_solar_models.py`` holds them equal to pvlib over a
year of 5-minute samples at several sites. Times are seconds since the Unix epoch (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

#: pvlib's bundled Linke turbidity climatology (2160 × 4320 × 12, uint8 = 20 × T_L).
LINKE_FILE = "LinkeTurbidities.h5"
SOLAR_CONSTANT_W_M2 = 1366.1


@dataclass(frozen=True, slots=True)
class UtcFields:
    """UTC calendar fields of sample times (arrays of the same length)."""

    year: np.ndarray
    day_of_year: np.ndarray
    month: np.ndarray
    hour: np.ndarray
    minute: np.ndarray
    second: np.ndarray


def utc_fields(epoch_s: np.ndarray) -> UtcFields:
    """Year, day of year (1…366), month (1…12), hour, minute and second of UTC instants."""
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    days = epoch_s // 86400
    dates = days.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    seconds = epoch_s - days * 86400
    return UtcFields(
        year=years.astype(np.int64) + 1970,
        day_of_year=(dates - years.astype("datetime64[D]")).astype(np.int64) + 1,
        month=dates.astype("datetime64[M]").astype(np.int64) % 12 + 1,
        hour=seconds // 3600,
        minute=seconds % 3600 // 60,
        second=seconds % 60,
    )


@dataclass(frozen=True, slots=True)
class SolarPosition:
    """Sun position at sample times. [°]"""

    elevation: np.ndarray
    apparent_elevation: np.ndarray
    azimuth: np.ndarray


def ephemeris(
    when: UtcFields,
    latitude: float,
    longitude: float,
    pressure: float = 101325.0,
    temperature: float = 12.0,
) -> SolarPosition:
    """Sun position from pvlib's ``solarposition.ephemeris`` (Grover Hughes' algorithm, with
    refraction). ``pressure`` [Pa], ``temperature`` [°C]."""
    lon = -1 * longitude
    abber = 20 / 3600.0
    lat_r = np.radians(latitude)
    dec_hours = when.hour + when.minute / 60.0 + when.second / 3600.0 + 0 / 3600.0e6
    univ_date = np.asarray(when.day_of_year)
    univ_hr = np.asarray(dec_hours)
    yr = np.asarray(when.year) - 1900
    yr_begin = 365 * yr + np.floor((yr - 1) / 4.0) - 0.5
    ezero = yr_begin + univ_date
    t = ezero / 36525.0
    gmst0 = 6 / 24.0 + 38 / 1440.0 + (45.836 + 8640184.542 * t + 0.0929 * t**2) / 86400.0
    gmst0 = 360 * (gmst0 - np.floor(gmst0))
    gmsti = np.mod(gmst0 + 360 * (1.0027379093 * univ_hr / 24.0), 360)
    loc_ast = np.mod((360 + gmsti - lon), 360)
    epoch_date = ezero + univ_hr / 24.0
    t1 = epoch_date / 36525.0
    obliquity_r = np.radians(23.452294 - 0.0130125 * t1 - 1.64e-06 * t1**2 + 5.03e-07 * t1**3)
    ml_perigee = 281.22083 + 4.70684e-05 * epoch_date + 0.000453 * t1**2 + (3e-06 * t1**3)
    mean_anom = np.mod(
        (358.47583 + 0.985600267 * epoch_date - 0.00015 * t1**2 - 3e-06 * t1**3), 360
    )
    eccen = 0.01675104 - 4.18e-05 * t1 - 1.26e-07 * t1**2
    eccen_anom = mean_anom
    e: np.ndarray | int = 0
    while np.max(abs(eccen_anom - e)) > 0.0001:
        e = eccen_anom
        eccen_anom = mean_anom + np.degrees(eccen) * np.sin(np.radians(e))
    true_anom = 2 * np.mod(
        np.degrees(
            np.arctan2(((1 + eccen) / (1 - eccen)) ** 0.5 * np.tan(np.radians(eccen_anom) / 2.0), 1)
        ),
        360,
    )
    ec_lon = np.mod(ml_perigee + true_anom, 360) - abber
    ec_lon_r = np.radians(ec_lon)
    dec_r = np.arcsin(np.sin(obliquity_r) * np.sin(ec_lon_r))
    rt_ascen = np.degrees(np.arctan2(np.cos(obliquity_r) * np.sin(ec_lon_r), np.cos(ec_lon_r)))
    hr_angle_r = np.radians(loc_ast - rt_ascen)
    sun_az = np.degrees(
        np.arctan2(
            -np.sin(hr_angle_r),
            np.cos(lat_r) * np.tan(dec_r) - np.sin(lat_r) * np.cos(hr_angle_r),
        )
    )
    sun_az[sun_az < 0] += 360
    sun_el = np.degrees(
        np.arcsin(
            np.cos(lat_r) * np.cos(dec_r) * np.cos(hr_angle_r) + np.sin(lat_r) * np.sin(dec_r)
        )
    )
    el = sun_el
    tan_el = np.tan(np.radians(el))
    refract = np.zeros(len(el))
    mask = (el > 5) & (el <= 85)
    refract[mask] = 58.1 / tan_el[mask] - 0.07 / (tan_el[mask] ** 3) + 8.6e-05 / (tan_el[mask] ** 5)
    mask = (el > -0.575) & (el <= 5)
    refract[mask] = (
        el[mask] * (-518.2 + el[mask] * (103.4 + el[mask] * (-12.79 + el[mask] * 0.711))) + 1735
    )
    mask = (el > -1) & (el <= -0.575)
    refract[mask] = -20.774 / tan_el[mask]
    refract *= (283 / (273.0 + temperature)) * (pressure / 101325.0) / 3600.0
    return SolarPosition(elevation=sun_el, apparent_elevation=sun_el + refract, azimuth=sun_az)


@lru_cache(maxsize=32)
def monthly_linke_turbidity(latitude: float, longitude: float) -> tuple[float, ...]:
    """Climatological Linke turbidity for Jan..Dec from pvlib's bundled file. [-]"""
    # h5py only reads this one file; imported here so that only a forecast needing a new
    # location pays for it (the values are cached per location).
    import h5py

    path = _pvlib_data_dir() / LINKE_FILE
    with h5py.File(path, "r") as lt:
        values = lt["LinkeTurbidity"][
            _degrees_to_index(latitude, 90, -90, 2160),
            _degrees_to_index(longitude, -180, 180, 4320),
        ]
    return tuple(float(v) / 20.0 for v in values)


def _pvlib_data_dir() -> Path:
    """pvlib's data folder, found without importing pvlib."""
    from importlib.util import find_spec  # see monthly_linke_turbidity

    spec = find_spec("pvlib")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("expected pvlib (for its Linke turbidity file), found none")
    return Path(spec.origin).parent / "data"


def _degrees_to_index(degrees: float, first: float, last: float, count: int) -> int:
    """Index of ``degrees`` on a grid of ``count`` cells from ``first`` to ``last`` [°]
    (pvlib's ``tools._degrees_to_index``)."""
    scale = count / (last - first)
    centre = first + 1 / scale / 2
    index = (degrees - centre) * scale
    top = count - 1
    if index > top:
        if index - top > 0.500001:
            raise ValueError(f"expected {degrees:g} within ({first:g}, {last:g})")
        return top
    if index < 0:
        if -index > 0.500001:
            raise ValueError(f"expected {degrees:g} within ({first:g}, {last:g})")
        return 0
    return int(np.round(index))


def relative_airmass(zenith: np.ndarray) -> np.ndarray:
    """Kasten & Young (1989) relative air mass, NaN below the horizon. [-]"""
    z = np.where(zenith > 90, np.nan, zenith)
    zenith_rad = np.radians(z)
    return 1.0 / (np.cos(zenith_rad) + 0.50572 * ((6.07995 + (90 - z)) ** -1.6364))


def altitude_to_pressure(altitude_m: float) -> float:
    """Standard-atmosphere pressure at an altitude. [m] in, [Pa] out."""
    return 100 * ((44331.514 - altitude_m) / 11880.516) ** (1 / 0.1902632)


def extra_radiation(day_of_year: np.ndarray) -> np.ndarray:
    """Extraterrestrial normal irradiance (Spencer 1971). [W/m²]"""
    b = (2.0 * np.pi / 365.0) * (day_of_year - 1)
    ratio = (
        1.00011
        + 0.034221 * np.cos(b)
        + 0.00128 * np.sin(b)
        + 0.000719 * np.cos(2 * b)
        + 7.7e-05 * np.sin(2 * b)
    )
    return SOLAR_CONSTANT_W_M2 * ratio


def ineichen(
    apparent_zenith: np.ndarray,
    airmass_absolute: np.ndarray,
    linke_turbidity: np.ndarray,
    altitude: float,
    dni_extra: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ineichen–Perez clear-sky (GHI, DNI, DHI). [W/m²]"""
    cos_zenith = np.maximum(np.cos(np.radians(apparent_zenith)), 0)
    tl = linke_turbidity
    fh1 = np.exp(-altitude / 8000.0)
    fh2 = np.exp(-altitude / 1250.0)
    cg1 = 5.09e-05 * altitude + 0.868
    cg2 = 3.92e-05 * altitude + 0.0387
    ghi = np.exp(-cg2 * airmass_absolute * (fh1 + fh2 * (tl - 1)))
    ghi = cg1 * dni_extra * cos_zenith * tl / tl * np.fmax(ghi, 0)
    b = 0.664 + 0.163 / fh1
    bnci = b * np.exp(-0.09 * airmass_absolute * (tl - 1))
    bnci = dni_extra * np.fmax(bnci, 0)
    bnci_2 = (1 - (0.1 - 0.2 * np.exp(-tl)) / (0.1 + 0.882 / fh1)) / cos_zenith
    bnci_2 = ghi * np.fmin(np.fmax(bnci_2, 0), 1e20)
    dni = np.minimum(bnci, bnci_2)
    dhi = ghi - dni * cos_zenith
    return ghi, dni, dhi


def erbs(
    ghi: np.ndarray, zenith: np.ndarray, day_of_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Erbs split of GHI into (DNI, DHI). [W/m²]"""
    i0h = extra_radiation(day_of_year) * np.maximum(np.cos(np.radians(zenith)), 0.065)
    kt = np.minimum(np.maximum(ghi / i0h, 0), 1)
    df = 1 - 0.09 * kt
    df = np.where(
        (kt > 0.22) & (kt <= 0.8),
        0.9511 - 0.1604 * kt + 4.388 * kt**2 - 16.638 * kt**3 + 12.336 * kt**4,
        df,
    )
    df = np.where(kt > 0.8, 0.165, df)
    dhi = df * ghi
    dni = (ghi - dhi) / np.cos(np.radians(zenith))
    bad = (zenith > 87) | (ghi < 0) | (dni < 0)
    return np.where(bad, 0, dni), np.where(bad, ghi, dhi)


def aoi_projection(
    tilt: float, azimuth: float, solar_zenith: np.ndarray, solar_azimuth: np.ndarray
) -> np.ndarray:
    """Cosine of the angle of incidence on a tilted plane, clipped to [−1, 1]. [-]"""
    projection = np.cos(np.radians(tilt)) * np.cos(np.radians(solar_zenith)) + np.sin(
        np.radians(tilt)
    ) * np.sin(np.radians(solar_zenith)) * np.cos(np.radians(solar_azimuth - azimuth))
    return np.clip(projection, -1, 1)


def aoi(
    tilt: float, azimuth: float, solar_zenith: np.ndarray, solar_azimuth: np.ndarray
) -> np.ndarray:
    """Angle of incidence on a tilted plane. [°]"""
    return np.rad2deg(np.arccos(aoi_projection(tilt, azimuth, solar_zenith, solar_azimuth)))


def poa_hay_davies(
    tilt: float,
    azimuth: float,
    solar_zenith: np.ndarray,
    solar_azimuth: np.ndarray,
    dni: np.ndarray,
    ghi: np.ndarray,
    dhi: np.ndarray,
    dni_extra: np.ndarray,
    albedo: float = 0.25,
) -> tuple[np.ndarray, np.ndarray]:
    """Plane-of-array (beam, diffuse) with the Hay–Davies sky and an albedo ground. [W/m²]"""
    cos_tt = np.maximum(aoi_projection(tilt, azimuth, solar_zenith, solar_azimuth), 0)
    rb = cos_tt / np.maximum(np.cos(np.radians(solar_zenith)), 0.01745)
    ai = dni / dni_extra
    term1 = 1 - ai
    term2 = 0.5 * (1 + np.cos(np.radians(tilt)))
    isotropic = np.maximum(dhi * term1 * term2, 0)
    circumsolar = np.maximum(dhi * (ai * rb), 0)
    sky = isotropic + circumsolar
    ground = ghi * albedo * (1 - np.cos(np.radians(tilt))) * 0.5
    angle = aoi(tilt, azimuth, solar_zenith, solar_azimuth)
    direct = np.maximum(dni * np.cos(np.radians(angle)), 0)
    return direct, sky + ground


def iam_ashrae(angle: np.ndarray, b: float = 0.05) -> np.ndarray:
    """ASHRAE incidence-angle modifier, 0 at or beyond 90°. [-]"""
    with np.errstate(divide="ignore", invalid="ignore"):
        iam = 1 - b * (1 / np.cos(np.radians(angle)) - 1)
    beyond = np.full_like(angle, False, dtype="bool")
    np.greater_equal(np.abs(angle), 90, where=~np.isnan(angle), out=beyond)
    return np.maximum(0, np.where(beyond, 0, iam))


def faiman_cell_temperature(
    poa: np.ndarray, temp_air: np.ndarray, wind_speed: float, u0: float = 25.0, u1: float = 6.84
) -> np.ndarray:
    """Faiman module temperature. [W/m²], [°C], [m/s] in, [°C] out."""
    return temp_air + poa / (np.asarray(u0) + np.asarray(u1) * wind_speed)


def pvwatts_dc(
    effective: np.ndarray, temp_cell: np.ndarray, pdc0: float, gamma: float
) -> np.ndarray:
    """PVWatts DC power, in the unit of ``pdc0``. [W/m²], [°C] in."""
    return effective * 0.001 * pdc0 * (1 + gamma * (temp_cell - 25.0))


def pvwatts_ac(
    pdc: np.ndarray, pdc0: float, eta_inv_nom: float = 0.96, eta_inv_ref: float = 0.9637
) -> np.ndarray:
    """PVWatts inverter AC power, in the unit of ``pdc``, never negative."""
    pac0 = eta_inv_nom * pdc0
    zeta = pdc / pdc0
    eta = np.zeros_like(pdc, dtype=float)
    nonzero = ~np.equal(pdc, 0)
    eta = (
        eta_inv_nom
        / eta_inv_ref
        * (-0.0162 * zeta - np.divide(0.0059, zeta, out=eta, where=nonzero) + 0.9858)
    )
    return np.maximum(0, np.minimum(pac0, eta * pdc))
