"""The pure parsers: each provider's documented answer in, a ProviderForecast out."""

from __future__ import annotations

import numpy as np
import pytest

from optimiser.forecast.weather import InvalidResponse, Provider, parse_response
from tests.optimiser.forecast.weather.conftest import response


def test_open_meteo_hours_end_at_their_time_and_keep_every_column():
    forecast = parse_response(Provider.OPEN_METEO, response("open_meteo.json"))
    times = response("open_meteo.json")["hourly"]["time"]
    assert forecast.interval_s == 3600
    assert forecast.epoch_s[0] == times[0] - 1800  # middle of the hour that ends at times[0]
    assert forecast.end_s == times[-1]
    assert len(forecast.ghi_w_m2) == len(forecast.dhi_w_m2) == len(forecast.temp_air_c) == 72
    assert np.isnan(forecast.temp_air_c[5])  # null stays unknown
    assert forecast.ac_kw is None


def test_open_meteo_error_answer_is_an_invalid_response_with_its_reason():
    with pytest.raises(InvalidResponse, match="Latitude must be in range"):
        parse_response(Provider.OPEN_METEO, response("open_meteo_error.json"))


@pytest.mark.parametrize(
    "payload",
    [[], {"hourly": {}}, {"hourly": {"time": [1, 2], "shortwave_radiation": [1.0]}}],
)
def test_open_meteo_malformed_answers_are_refused(payload):
    with pytest.raises(InvalidResponse):
        parse_response(Provider.OPEN_METEO, payload)


def test_forecast_solar_local_stamps_become_utc_kilowatts():
    forecast = parse_response(Provider.FORECAST_SOLAR, response("forecast_solar.json"))
    watts = response("forecast_solar.json")["result"]["watts"]
    # 2025-06-10 12:00 BST is 11:00 UTC.
    noon = 1749553200.0
    i = int(np.flatnonzero(forecast.epoch_s == noon)[0])
    assert forecast.ac_kw[i] == pytest.approx(watts["2025-06-10 12:00:00"] / 1000)
    assert forecast.ghi_w_m2 is None
    assert len(forecast.epoch_s) == len(watts)


def test_forecast_solar_error_message_is_kept():
    with pytest.raises(InvalidResponse, match="Rate limit"):
        parse_response(Provider.FORECAST_SOLAR, response("forecast_solar_429.json"))


def test_solcast_periods_are_centred_and_seven_digit_fractions_read():
    forecast = parse_response(Provider.SOLCAST, response("solcast.json"))
    rows = response("solcast.json")["forecasts"]
    assert forecast.interval_s == 1800
    assert forecast.epoch_s[0] == 1749537000.0 - 900  # 06:30Z period end, 30-min period
    assert forecast.ac_kw[0] == pytest.approx(rows[0]["pv_estimate"])


def test_solcast_without_forecasts_is_refused():
    with pytest.raises(InvalidResponse, match="forecasts"):
        parse_response(Provider.SOLCAST, {"response_status": {"error_code": "Forbidden"}})
