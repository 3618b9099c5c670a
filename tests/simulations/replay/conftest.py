"""Shared fixtures for the replay tests: short demo periods and the Flux snapshot."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from optimiser.config import Config
from simulations.replay import SiteModel, demo_data, period_prices
from tariffs import get_tariff

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="session")
def flux():
    return get_tariff("flux", "C")


@pytest.fixture(scope="session")
def site():
    return SiteModel.from_config(Config())


def period(tariff, start: date, days: int, *, step_minutes: int = 5, margin_hours: float = 50):
    """Demo data and the tariff's prices over it."""
    data = demo_data(start, days, tz=LONDON, step_minutes=step_minutes)
    return data, period_prices(tariff, data.start, data.end, 30, margin_hours)
