"""History load plus provider solar, and the fallback that says so."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from optimiser.config import (
    Config,
    ConfigError,
    ForecastConfig,
    GatewayConfig,
    WeatherConfig,
    load_config,
)
from optimiser.domain.slots import SlotGrid
from optimiser.forecast import HistoryForecaster
from optimiser.forecast.weather import WeatherForecaster, forecaster_for
from tests.optimiser.forecast.weather.conftest import NOW, SITE, response

GRID = SlotGrid.covering(NOW, NOW + timedelta(hours=96), 30)


def _config(weather: WeatherConfig) -> Config:
    return Config(
        gateway=GatewayConfig(host="192.0.2.1"),  # never contacted here
        site=SITE,
        forecast=ForecastConfig(weather=weather),
    )


def test_provider_solar_where_it_reaches_history_after(httpserver, weather_config, tmp_path):
    httpserver.expect_request("/v1/forecast").respond_with_json(response("open_meteo.json"))
    forecaster = forecaster_for(_config(weather_config), tmp_path)
    assert isinstance(forecaster, WeatherForecaster)
    made = forecaster.forecast(GRID, None, NOW)
    plain = HistoryForecaster(SITE, ForecastConfig()).forecast(GRID, None, NOW)
    np.testing.assert_array_equal(made.load_kw, plain.load_kw)
    covered = 3 * 48 - 14  # the answer ends at 00:00 UTC on 13 June
    np.testing.assert_array_equal(made.solar_kw[covered:], plain.solar_kw[covered:])
    assert not np.allclose(made.solar_kw[:covered], plain.solar_kw[:covered])
    assert made.notes == ("solar from open-meteo for 65 h of the plan, history after",)


def test_down_provider_gives_the_history_forecast_and_a_note(httpserver, weather_config, tmp_path):
    httpserver.expect_request("/v1/forecast").respond_with_data("", status=502)
    made = forecaster_for(_config(weather_config), tmp_path).forecast(GRID, None, NOW)
    plain = HistoryForecaster(SITE, ForecastConfig()).forecast(GRID, None, NOW)
    np.testing.assert_array_equal(made.solar_kw, plain.solar_kw)
    host = f"{httpserver.host}:{httpserver.port}"
    assert made.notes == (f"solar from history: open-meteo: {host} answered HTTP 502",)


def test_provider_none_is_the_history_forecaster(tmp_path):
    forecaster = forecaster_for(_config(WeatherConfig(provider="none")), tmp_path)
    assert isinstance(forecaster, HistoryForecaster)


def test_the_embedded_emulator_gets_the_history_forecaster(tmp_path):
    assert isinstance(forecaster_for(Config(), tmp_path), HistoryForecaster)


def test_weather_config_is_strict_and_solcast_needs_its_site(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text("forecast:\n  weather:\n    provider: open-meteo\n    colour: red\n")
    with pytest.raises(ConfigError, match="colour"):
        load_config(path)
    path.write_text("forecast:\n  weather:\n    provider: solcast\n")
    with pytest.raises(ConfigError, match="solcast_key_file and solcast_resource_id"):
        load_config(path)
    path.write_text("forecast:\n  weather:\n    provider: none\n")
    assert load_config(path).forecast.weather.provider == "none"
