"""The refit policy: production fits at every plan; a replay may fit less often and slice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from optimiser.config import ForecastConfig, SiteConfig
from optimiser.domain.slots import LONDON, SlotGrid
from optimiser.forecast import HistoryForecaster
from optimiser.planning import EVERY_PLAN, Forecasting, Refit, horizon
from simulations.datasets import demo_trace

NOW = datetime(2025, 4, 10, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history():
    return demo_trace(NOW - timedelta(days=20), NOW + timedelta(days=3))


def test_every_plan_fits_afresh_exactly_as_the_forecaster(history):
    forecaster = HistoryForecaster(SiteConfig(), ForecastConfig())
    forecasting = Forecasting(forecaster)
    assert forecasting.refit is EVERY_PLAN and EVERY_PLAN.every_plan
    for k in range(3):
        now = NOW + timedelta(minutes=30 * k)
        grid = horizon(now, 30, LONDON)
        got = forecasting.forecast(grid, history, now)
        fresh = HistoryForecaster(SiteConfig(), ForecastConfig()).forecast(grid, history, now)
        assert np.array_equal(got.solar_kw, fresh.solar_kw)
        assert np.array_equal(got.load_kw, fresh.load_kw)
    assert forecasting.fits == 3


def test_a_daily_refit_slices_one_fit_until_the_day_is_over(history):
    forecaster = HistoryForecaster(SiteConfig(), ForecastConfig())
    daily = Forecasting(forecaster, Refit(1440.0))
    first = horizon(NOW, 30, LONDON)
    made = daily.forecast(first, history, NOW)
    later = NOW + timedelta(hours=5)
    grid = horizon(later, 30, LONDON)
    sliced = daily.forecast(grid, history, later)
    assert daily.fits == 1
    fitted = forecaster.forecast(SlotGrid(first.start, 30, first.count + 48), history, NOW)
    assert np.array_equal(sliced.load_kw, fitted.load_kw[10 : 10 + grid.count])
    assert np.array_equal(made.load_kw, fitted.load_kw[: first.count])  # a day more was fitted
    # History read again in between waits for the next fit (the service reads it every plan).
    again = daily.forecast(grid, history.before(later), later)
    assert daily.fits == 1 and np.array_equal(again.load_kw, sliced.load_kw)
    tomorrow = NOW + timedelta(days=1)
    daily.forecast(horizon(tomorrow, 30, LONDON), history.before(later), tomorrow)
    assert daily.fits == 2


def test_refit_minutes_must_be_positive():
    with pytest.raises(ValueError, match="> 0"):
        Refit(0.0)
