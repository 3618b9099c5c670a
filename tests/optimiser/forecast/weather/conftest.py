"""Recorded-shaped provider answers and a config pointing every provider at a loopback server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from optimiser.config import SiteConfig, WeatherConfig

RESPONSES = Path(__file__).parent / "responses"
# 08:00 BST on the first day of the recorded-shaped answers.
NOW = datetime(2025, 6, 10, 7, 0, tzinfo=UTC)
SITE = SiteConfig(latitude=51.48, longitude=0.0)


def response(name: str) -> object:
    """A provider answer from ``responses/``, decoded."""
    return json.loads((RESPONSES / name).read_text(encoding="utf-8"))


@pytest.fixture
def weather_config(httpserver) -> WeatherConfig:
    """Open-Meteo on the loopback test server; a short deadline."""
    return WeatherConfig(
        provider="open-meteo",
        open_meteo_url=httpserver.url_for("/v1/forecast"),
        forecast_solar_url=httpserver.url_for("/"),
        solcast_url=httpserver.url_for("/"),
        timeout_s=2.0,
    )
