"""pvlib's models in numpy give pvlib's floats (pvlib is imported here only, to compare)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pvlib
import pytest

from optimiser.forecast import solar_models as sm
from optimiser.forecast.pv import ArrayModel, ac_power_kw, sky_geometry

YEAR_2025 = np.arange(1735689600, 1735689600 + 365 * 86400, 300)


def _pvlib_ac_kw(epoch_s: np.ndarray, array: ArrayModel, clearness: np.ndarray) -> np.ndarray:
    """The PV chain as written with pvlib before the numpy port."""
    times = pd.DatetimeIndex(pd.to_datetime(epoch_s, unit="s", utc=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        position = pvlib.solarposition.ephemeris(times, array.latitude, array.longitude)
    app_zen = 90.0 - position["apparent_elevation"].to_numpy()
    zen = 90.0 - position["elevation"].to_numpy()
    az = position["azimuth"].to_numpy()
    mid = pd.DatetimeIndex([f"2025-{m:02d}-15" for m in range(1, 13)], tz="UTC")
    linke = pvlib.clearsky.lookup_linke_turbidity(
        mid, array.latitude, array.longitude, interp_turbidity=False
    ).to_numpy()[times.month.to_numpy() - 1]
    am = pvlib.atmosphere.get_absolute_airmass(
        pvlib.atmosphere.get_relative_airmass(app_zen), pvlib.atmosphere.alt2pres(array.altitude_m)
    )
    doy = times.day_of_year.to_numpy()
    extra = pvlib.irradiance.get_extra_radiation(doy)
    with np.errstate(divide="ignore", invalid="ignore"):
        clear = pvlib.clearsky.ineichen(app_zen, am, linke, array.altitude_m, dni_extra=extra)
    ghi = np.nan_to_num(clear["ghi"]) * clearness
    split = pvlib.irradiance.erbs(ghi, zen, doy)
    dni, dhi = np.nan_to_num(split["dni"]), np.nan_to_num(split["dhi"])
    poa = pvlib.irradiance.get_total_irradiance(
        array.tilt_deg,
        array.azimuth_deg,
        app_zen,
        az,
        dni,
        ghi,
        dhi,
        dni_extra=extra,
        model="haydavies",
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        iam = pvlib.iam.ashrae(pvlib.irradiance.aoi(array.tilt_deg, array.azimuth_deg, app_zen, az))
    beam = np.nan_to_num(poa["poa_direct"]) * np.nan_to_num(iam)
    eff = np.maximum(beam + np.nan_to_num(poa["poa_diffuse"]), 0.0)
    hour = times.hour.to_numpy() + times.minute.to_numpy() / 60.0
    temp_air = (
        11.5
        + 6.5 * np.cos(2 * np.pi * (doy - 200) / 365.25)
        + 3.5 * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
    )
    cell = pvlib.temperature.faiman(eff, temp_air, wind_speed=2.0)
    pdc = pvlib.pvsystem.pvwatts_dc(eff, cell, array.kwp, -0.004) * (1.0 - array.losses)
    pac = pvlib.inverter.pvwatts(pdc, array.inverter_kw / 0.96, eta_inv_nom=0.96)
    return np.clip(np.nan_to_num(pac), 0.0, None)


@pytest.mark.parametrize(
    "array",
    [ArrayModel(), ArrayModel(latitude=57.5, longitude=-4.2, tilt_deg=20, azimuth_deg=120)],
)
def test_the_pv_chain_gives_pvlibs_floats_over_a_year(array):
    clearness = np.random.default_rng(1).uniform(0.05, 1.1, YEAR_2025.size)
    ours = ac_power_kw(sky_geometry(YEAR_2025, array), array, clearness)
    assert np.array_equal(ours, _pvlib_ac_kw(YEAR_2025, array, clearness))


def test_utc_fields_are_pandas_fields():
    times = pd.to_datetime(YEAR_2025[::97], unit="s", utc=True)
    when = sm.utc_fields(YEAR_2025[::97])
    assert np.array_equal(when.day_of_year, times.day_of_year)
    assert np.array_equal(when.month, times.month)
    assert np.array_equal(when.year, times.year)
    assert np.array_equal(when.hour * 60 + when.minute, times.hour * 60 + times.minute)


def test_a_site_off_the_linke_grid_is_refused():
    with pytest.raises(ValueError, match="expected 200"):
        sm.monthly_linke_turbidity(0.0, 200.0)
