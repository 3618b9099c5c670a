"""Fetching through the cache and the scheduler from a loopback server; falling back."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug import Request, Response

from optimiser.config import SiteConfig, SolarArrayConfig, WeatherConfig
from optimiser.forecast.weather import (
    Provider,
    QuotaExhausted,
    WeatherSource,
    WeatherUnavailable,
)
from tests.optimiser.forecast.weather.conftest import NOW, SITE, response


def _source(config: WeatherConfig, tmp_path: Path, site: SiteConfig = SITE) -> WeatherSource:
    return WeatherSource(config, site, tmp_path)


def test_open_meteo_is_called_once_then_served_from_the_cache(httpserver, weather_config, tmp_path):
    httpserver.expect_request("/v1/forecast").respond_with_json(response("open_meteo.json"))
    source = _source(weather_config, tmp_path)
    first = source.fetch(NOW)
    again = source.fetch(NOW + timedelta(minutes=30))
    assert first.forecast.provider == Provider.OPEN_METEO
    assert first.note == again.note == ""
    assert len(httpserver.log) == 1
    request = httpserver.log[0][0]
    assert request.args["latitude"] == "51.4800"
    assert "shortwave_radiation" in request.args["hourly"]
    # A new process reads the same cache.
    assert _source(weather_config, tmp_path).fetch(NOW + timedelta(minutes=50)).note == ""
    assert len(httpserver.log) == 1


def test_a_down_provider_falls_back_and_is_not_asked_again_at_once(
    httpserver, weather_config, tmp_path
):
    httpserver.expect_request("/v1/forecast").respond_with_data("busy", status=503)
    source = _source(weather_config, tmp_path)
    with pytest.raises(WeatherUnavailable, match="HTTP 503"):
        source.fetch(NOW)
    with pytest.raises(WeatherUnavailable, match="next try in 25 min"):
        source.fetch(NOW + timedelta(minutes=5))
    assert len(httpserver.log) == 1


def test_a_failure_after_a_good_answer_uses_the_cached_forecast(
    httpserver, weather_config, tmp_path
):
    httpserver.expect_oneshot_request("/v1/forecast").respond_with_json(response("open_meteo.json"))
    source = _source(weather_config, tmp_path)
    source.fetch(NOW)
    httpserver.expect_request("/v1/forecast").respond_with_data("down", status=500)
    later = source.fetch(NOW + timedelta(hours=3))
    assert "HTTP 500" in later.note
    assert "using the forecast of 180 min ago" in later.note


def test_quota_refusal_is_reported_as_quota(httpserver, weather_config, tmp_path):
    httpserver.expect_request("/v1/forecast").respond_with_json(
        {"error": True, "reason": "Daily API request limit exceeded"}, status=429
    )
    with pytest.raises(QuotaExhausted, match="HTTP 429"):
        _source(weather_config, tmp_path).fetch(NOW)


def test_a_silent_server_costs_the_deadline_only(httpserver, tmp_path):
    release = threading.Event()

    def stall(request: Request) -> Response:
        release.wait(10)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/v1/forecast").respond_with_handler(stall)
    config = WeatherConfig(open_meteo_url=httpserver.url_for("/v1/forecast"), timeout_s=0.2)
    try:
        with pytest.raises(WeatherUnavailable, match=r"no answer from .* within 0\.2 s"):
            _source(config, tmp_path).fetch(NOW)
    finally:
        release.set()


def test_nothing_listening_fails_fast(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = WeatherConfig(open_meteo_url=f"http://127.0.0.1:{port}/v1/forecast", timeout_s=2)
    with pytest.raises(WeatherUnavailable, match=r"cannot reach 127\.0\.0\.1"):
        _source(config, tmp_path).fetch(NOW)


def test_forecast_solar_path_carries_key_and_array_but_errors_do_not(
    httpserver, weather_config, tmp_path
):
    key_file = tmp_path / "fs.key"
    key_file.write_text("SECRETKEY\n", encoding="utf-8")
    site = SiteConfig(solar=SolarArrayConfig(kwp=4.2, tilt_deg=30, azimuth_deg=135))
    path = "/SECRETKEY/estimate/51.4800/-0.0000/30/-45/4.2"
    httpserver.expect_oneshot_request(path).respond_with_json(response("forecast_solar.json"))
    config = weather_config.model_copy(
        update={"provider": "forecast-solar", "forecast_solar_key_file": key_file}
    )
    assert _source(config, tmp_path, site).fetch(NOW).forecast.provider == Provider.FORECAST_SOLAR
    httpserver.expect_request(path).respond_with_json(
        response("forecast_solar_429.json"), status=429
    )
    with pytest.raises(QuotaExhausted) as caught:
        _source(config, tmp_path / "other", site).fetch(NOW)
    assert "SECRETKEY" not in str(caught.value)


def test_solcast_sends_the_key_as_a_bearer_token(httpserver, weather_config, tmp_path):
    key_file = tmp_path / "solcast.key"
    key_file.write_text("abc123", encoding="utf-8")
    httpserver.expect_request(
        "/rooftop_sites/ab12-cd34/forecasts", headers={"Authorization": "Bearer abc123"}
    ).respond_with_json(response("solcast.json"))
    config = weather_config.model_copy(
        update={
            "provider": "solcast",
            "solcast_key_file": key_file,
            "solcast_resource_id": "ab12-cd34",
        }
    )
    assert _source(config, tmp_path).fetch(NOW).forecast.provider == Provider.SOLCAST


def test_unreadable_key_file_is_unavailable_not_a_crash(weather_config, tmp_path):
    config = weather_config.model_copy(
        update={
            "provider": "solcast",
            "solcast_key_file": tmp_path / "missing.key",
            "solcast_resource_id": "x",
        }
    )
    with pytest.raises(WeatherUnavailable, match="cannot read the key file"):
        _source(config, tmp_path).fetch(NOW)
