"""The forecaster's per-time features are kept between forecasts without changing a value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from optimiser.config import ForecastConfig, SiteConfig
from optimiser.domain.slots import LONDON
from optimiser.forecast import HistoryForecaster
from optimiser.forecast.features import FeatureCache, time_features
from optimiser.forecast.pv import ArrayModel
from optimiser.planning import horizon
from simulations.datasets import demo_trace
from simulations.replay.data import coarsen

START = datetime(2025, 3, 29, 18, 0, tzinfo=UTC)  # across the spring clock change


def test_a_forecaster_fitted_at_every_plan_forecasts_as_a_fresh_one():
    recorded = coarsen(demo_trace(START - timedelta(days=30), START + timedelta(days=2)))
    kept = HistoryForecaster(SiteConfig(), ForecastConfig())
    for k in range(0, 40, 3):
        now = START + timedelta(minutes=30 * k)
        read = now - timedelta(hours=k % 7)  # the history as read some hours earlier
        history = recorded.before(read)
        grid = horizon(now, 30, LONDON)
        fresh = HistoryForecaster(SiteConfig(), ForecastConfig()).forecast(grid, history, now)
        again = kept.forecast(grid, history, now)
        assert np.array_equal(again.load_kw, fresh.load_kw), now
        assert np.array_equal(again.solar_kw, fresh.solar_kw), now


def test_the_cache_returns_each_times_own_features():
    array = ArrayModel()
    cache = FeatureCache(array, LONDON, ahead=12)
    times = START.timestamp() + 150.0 + 300.0 * np.arange(24)
    first = cache.of(times)
    later = cache.of(times[5:])
    direct = time_features(times[5:], offset_s=0.0, array=array, tz=LONDON)
    for name in ("hour", "weekend", "day_of_year", "typical_load_kw", "clear_sky_kw", "clearness"):
        assert np.array_equal(getattr(later, name), getattr(direct, name)), name
    assert len(first.hour) == 24
    shifted = cache.of(times, offset_s=450.0)  # clear sky mid-interval: computed anew
    assert np.array_equal(
        shifted.clear_sky_kw,
        time_features(times, offset_s=450.0, array=array, tz=LONDON).clear_sky_kw,
    )
