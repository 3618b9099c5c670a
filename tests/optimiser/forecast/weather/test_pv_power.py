"""Provider forecasts as the array's AC power per slot, through wattplan's PV model."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from optimiser.domain.slots import SlotGrid
from optimiser.forecast.base import sub_sample_times
from optimiser.forecast.pv import ArrayModel, clear_sky_kw, sky_geometry
from optimiser.forecast.weather import Provider, ProviderForecast, parse_response, slot_solar_kw
from tests.optimiser.forecast.weather.conftest import NOW, SITE, response

ARRAY = ArrayModel.from_site(SITE)
DAY = SlotGrid.covering(NOW.replace(hour=0), NOW.replace(hour=0) + timedelta(days=1), 30)


def _hourly(values_at, start_s: float, hours: int) -> np.ndarray:
    """Hour means of ``values_at`` (a function of times) over ``hours`` hours from start."""
    times = start_s + np.arange(hours * 12) * 300 + 150
    return values_at(times).reshape(hours, 12).mean(axis=1)


def _clear_sky_forecast() -> ProviderForecast:
    start = DAY.start.timestamp()
    sky = lambda t: sky_geometry(t, ARRAY)  # noqa: E731
    return ProviderForecast(
        provider=Provider.OPEN_METEO,
        epoch_s=start + np.arange(24) * 3600 + 1800,
        interval_s=3600,
        ghi_w_m2=_hourly(lambda t: sky(t).ghi, start, 24),
        dhi_w_m2=_hourly(lambda t: sky(t).dhi, start, 24),
    )


def test_clear_sky_irradiance_gives_the_clear_sky_output():
    slots = slot_solar_kw(_clear_sky_forecast(), DAY, ARRAY)
    expected = clear_sky_kw(sub_sample_times(DAY).reshape(-1), ARRAY).reshape(DAY.count, -1)
    expected = expected.mean(axis=1)
    assert slots.covered.all()
    assert slots.solar_kw.sum() == pytest.approx(expected.sum(), rel=0.03)
    midday = expected > 0.5 * expected.max()
    np.testing.assert_allclose(slots.solar_kw[midday], expected[midday], rtol=0.06)


def test_darker_sky_gives_less_and_night_gives_nothing():
    clear = _clear_sky_forecast()
    dull = ProviderForecast(
        provider=clear.provider,
        epoch_s=clear.epoch_s,
        interval_s=clear.interval_s,
        ghi_w_m2=clear.ghi_w_m2 * 0.3,
        dhi_w_m2=clear.ghi_w_m2 * 0.3,  # overcast: all diffuse
    )
    bright = slot_solar_kw(clear, DAY, ARRAY).solar_kw
    dark = slot_solar_kw(dull, DAY, ARRAY).solar_kw
    assert dark.sum() < 0.45 * bright.sum()
    assert dark.sum() > 0.15 * bright.sum()
    assert bright[:4].max() == 0.0  # 00:00–02:00 UTC


def test_recorded_shaped_open_meteo_answer_and_coverage():
    forecast = parse_response(Provider.OPEN_METEO, response("open_meteo.json"))
    grid = SlotGrid.covering(NOW, NOW + timedelta(days=4), 30)
    slots = slot_solar_kw(forecast, grid, ARRAY)
    covered_until = NOW.timestamp() + slots.covered.sum() * 1800
    assert covered_until == forecast.end_s  # the last hour ends the coverage
    assert not slots.covered[-1]
    assert slots.solar_kw[~slots.covered].sum() == 0
    # Day 1 (k ≈ 0.95) yields more than day 2 (k ≈ 0.45).
    per_day = slots.solar_kw[: 3 * 48 - 14].reshape(-1, 1)
    first = slots.solar_kw[:34].sum()  # rest of 10 June (from 07:00 UTC)
    second = slots.solar_kw[34:82].sum()
    assert per_day.max() <= ARRAY.inverter_kw
    assert first > second > 0


def test_power_forecasts_are_interpolated():
    forecast = parse_response(Provider.SOLCAST, response("solcast.json"))
    grid = SlotGrid.covering(NOW, NOW + timedelta(hours=12), 30)
    slots = slot_solar_kw(forecast, grid, ARRAY)
    assert slots.covered.all()
    rows = response("solcast.json")["forecasts"]
    # The slot 07:00–07:30 UTC is the period ending 07:30Z, up to interpolation.
    assert slots.solar_kw[0] == pytest.approx(rows[2]["pv_estimate"], rel=0.05)
