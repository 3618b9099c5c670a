"""The archive of issued forecasts: only what was issued by a decision is used."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest

from optimiser.config import Config, ForecastConfig, GatewayConfig
from optimiser.domain.slots import SlotGrid
from optimiser.forecast import HistoryForecaster
from optimiser.forecast.weather import (
    ForecastArchive,
    WeatherForecaster,
    WeatherSource,
    WeatherUnavailable,
)
from optimiser.forecast.weather.archive import power_issue
from optimiser.forecast.weather.provider import Provider
from tests.optimiser.forecast.weather.conftest import NOW, SITE, response

HOUR = timedelta(hours=1)
GRID = SlotGrid.covering(NOW, NOW + 6 * HOUR, 30)


def _flat(issued, kw: float):
    start = NOW - 2 * HOUR
    return power_issue(issued.timestamp(), Provider.SYNTHETIC, start.timestamp(), 1800, [kw] * 24)


def test_each_decision_uses_the_latest_forecast_issued_by_then():
    archive = ForecastArchive([_flat(NOW + HOUR, 2.0), _flat(NOW - HOUR, 1.0)])
    forecaster = WeatherForecaster(HistoryForecaster(SITE, ForecastConfig()), archive)
    early = forecaster.forecast(GRID, None, NOW)
    assert np.allclose(early.solar_kw, 1.0)  # the later issue is not known yet
    late = forecaster.forecast(GRID, None, NOW + HOUR)
    assert np.allclose(late.solar_kw, 2.0)
    assert archive.latest(NOW - 2 * HOUR) is None
    with pytest.raises(WeatherUnavailable, match="no forecast issued by"):
        archive.fetch(NOW - 2 * HOUR)
    with pytest.raises(WeatherUnavailable, match="13 h old"):
        archive.fetch(NOW + 14 * HOUR)
    plain = HistoryForecaster(SITE, ForecastConfig()).forecast(GRID, None, NOW - 2 * HOUR)
    before = forecaster.forecast(GRID, None, NOW - 2 * HOUR)
    assert np.array_equal(before.solar_kw, plain.solar_kw)
    assert before.notes[0].startswith("solar from history: the archive has no forecast")


def test_power_records_round_trip_and_answers_load_as_issued(tmp_path):
    archive = ForecastArchive([_flat(NOW, 1.5)])
    path = tmp_path / "archive.jsonl"
    archive.save(path)
    loaded = ForecastArchive.load(path)
    assert len(loaded) == 1 and loaded.issues[0].issued_s == NOW.timestamp()
    assert np.allclose(loaded.issues[0].forecast.ac_kw, 1.5)
    answers = tmp_path / "answers.jsonl"
    record = {"issued_at": NOW.isoformat(), "provider": "open-meteo"}
    answers.write_text(json.dumps(record | {"answer": response("open_meteo.json")}) + "\n")
    issue = ForecastArchive.load(answers).issues[0]
    assert issue.forecast.provider == Provider.OPEN_METEO and issue.forecast.ghi_w_m2 is not None
    answers.write_text(json.dumps(record) + "\n")
    with pytest.raises(ValueError, match=r"answers.jsonl:1: expected an issued forecast"):
        ForecastArchive.load(answers)


def test_kept_answers_are_an_archive(httpserver, weather_config, tmp_path):
    """``forecast.weather.keep_answers``: every answer fetched is appended with its time."""
    httpserver.expect_request("/v1/forecast").respond_with_json(response("open_meteo.json"))
    weather = weather_config.model_copy(update={"keep_answers": True, "refresh_minutes": 1})
    config = Config(
        gateway=GatewayConfig(host="127.0.0.1"), site=SITE, forecast=ForecastConfig(weather=weather)
    )
    source = WeatherSource(config.forecast.weather, config.site, tmp_path)
    live = WeatherForecaster(HistoryForecaster(SITE, ForecastConfig()), source)
    made = live.forecast(GRID, None, NOW)
    source.fetch(NOW + 2 * HOUR)
    archive = ForecastArchive.load(tmp_path / "weather" / "answers-open-meteo.jsonl")
    assert [i.issued_s for i in archive.issues] == [NOW.timestamp(), (NOW + 2 * HOUR).timestamp()]
    replayed = WeatherForecaster(HistoryForecaster(SITE, ForecastConfig()), archive)
    assert np.array_equal(replayed.forecast(GRID, None, NOW).solar_kw, made.solar_kw)
