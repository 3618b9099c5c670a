"""Forecast load and solar from recorded history, falling back to typical UK values.

Load: a profile by local time of day (15-minute bins) for weekdays and for weekends, each day
weighted by ``0.5 ** (age / half_life_days)``; a weekday or weekend bin with little data leans
on the pooled bin, and a pooled bin with little data on the typical UK profile scaled to the
history's level. Then the **recent level**: the last 72 hours' demand over what the profile
expected for them (an away week, a busy spell, a cold snap) scales the profile by
``load_level_weight`` of its departure, fading with lead time (:data:`LOAD_LEVEL_FADE_H`).
Solar: pvlib clear-sky output of the configured array × typical UK
clearness × a lasting factor (recorded / expected energy over ``half_life_days``, per local
hour where enough energy backs it: array size, shading) × the recent weather anomaly (over
``solar_half_life_days``), fading towards climatology with lead time; **today's sky**: the
clear-sky index observed over the last :data:`SOLAR_NOW_HOURS` of daylight is blended into the
next hours (weight ``solar_today_weight``, fading over :data:`SOLAR_NOW_FADE_H`). With less than
``min_history_days`` of usable history each part falls back to the typical UK household
profile and clear-sky × typical UK monthly clearness.

Only samples that end at or before ``now`` are used; the history is sliced here, whatever the
caller passes. What depends on a time alone (local time, typical load, clear-sky output) is
kept between forecasts (:mod:`optimiser.forecast.features`), so fitting at every plan costs
little more than the fit itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.config import ForecastConfig, SiteConfig
from optimiser.domain.history import History
from optimiser.domain.slots import SlotGrid, require_aware
from optimiser.forecast.base import Forecast, sub_sample_times
from optimiser.forecast.features import FeatureCache, TimeFeatures
from optimiser.forecast.household import expected_load_at_local
from optimiser.forecast.pv import ArrayModel

BIN_MINUTES = 15
BINS_PER_DAY = 24 * 60 // BIN_MINUTES
DAY_S = 86400.0
PRIOR_DAYS = 0.5  # pseudo-days of data a bin's prior counts for
WEATHER_PERSISTENCE = 0.5  # how much of recent days' weather anomaly carries to the next day
SOLAR_HOUR_PRIOR = 0.25  # share of the best hour's clear-sky energy an hour's prior counts for
HORIZON_AHEAD_DAYS = 2  # forecast points kept beyond a horizon, for the next plans' [d]
# Recent-level and today's-sky terms, chosen on the realistic set's tuning households
# (benchmarks/forecast_quality.py --part tuning); their weights are in ForecastConfig.
LOAD_LEVEL_HOURS = 72.0  # the recent level is measured over this window [h]
LOAD_LEVEL_FADE_H = 36.0  # e-folding lead time of the level's share [h]
SOLAR_NOW_HOURS = 3.0  # today's sky is read over this much recent time [h]
SOLAR_NOW_FADE_H = 3.0  # e-folding lead time of today's sky's weight [h]
SOLAR_NOW_MIN_SHARE = 0.05  # read today's sky only when the window held this share of the
# array's clear-sky peak hour of expected energy [-]


@dataclass(frozen=True)
class HistoryForecaster:
    """Forecasts from recorded history (see the module docstring)."""

    site: SiteConfig
    config: ForecastConfig
    _samples: FeatureCache = field(init=False, repr=False, compare=False)
    _points: FeatureCache = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        array, tz = ArrayModel.from_site(self.site), ZoneInfo(self.site.timezone)
        ahead = HORIZON_AHEAD_DAYS * 24 * 12  # 5-minute points
        object.__setattr__(self, "_samples", FeatureCache(array, tz))
        object.__setattr__(self, "_points", FeatureCache(array, tz, ahead=ahead))

    @property
    def array(self) -> ArrayModel:
        """The PV array the solar forecast models."""
        return ArrayModel.from_site(self.site)

    @property
    def tz(self) -> ZoneInfo:
        """The site's local time zone."""
        return ZoneInfo(self.site.timezone)

    def forecast(self, grid: SlotGrid, history: History | None, now: datetime) -> Forecast:
        """Expected load and solar per slot of ``grid`` from history before ``now``. [kW]"""
        now_s = require_aware(now, "now").timestamp()
        points = sub_sample_times(grid)
        flat = points.reshape(-1)
        at = self._points.of(flat)
        recent = _recent(history, now, self.config.lookback_days)
        load = self._load_kw(flat, at, recent, now_s)
        solar = self._solar_kw(flat, at, recent, now_s)
        shape = points.shape
        return Forecast(
            load_kw=np.maximum(load.reshape(shape).mean(axis=1), 0.0),
            solar_kw=np.maximum(solar.reshape(shape).mean(axis=1), 0.0),
        )

    # -- load ---------------------------------------------------------------------------

    def _sample_features(self, recent: History) -> TimeFeatures:
        """The features of the recorded samples' times (clear sky mid-interval)."""
        return self._samples.of(recent.epoch_s, offset_s=recent.interval_s / 2)

    def _load_kw(
        self, at_s: np.ndarray, at: TimeFeatures, recent: History | None, now_s: float
    ) -> np.ndarray:
        typical = at.typical_load_kw
        if recent is None:
            return typical
        ok = np.isfinite(recent.load_kw) & (recent.load_kw >= 0)
        hours = recent.sample_hours()[ok]
        if hours.sum() < self.config.min_history_days * 24:
            return typical
        t = recent.epoch_s[ok]
        values = recent.load_kw[ok]
        weight = hours * 0.5 ** ((now_s - t) / DAY_S / self.config.half_life_days)
        when = self._sample_features(recent)
        bins = _bin(when.hour[ok])
        weekend = when.weekend[ok].astype(int)
        # The history's level against the typical profile, for bins with no data at all.
        level = float(np.sum(weight * values) / np.sum(weight * when.typical_load_kw[ok]))
        typical_bins = level * _typical_bins(float(at.day_of_year[0]))
        pooled_w = np.bincount(bins, weight, BINS_PER_DAY)
        pooled_s = np.bincount(bins, weight * values, BINS_PER_DAY)
        prior_w = PRIOR_DAYS * BIN_MINUTES / 60 * _mean_daily_weight(weight, hours)
        pooled = (pooled_s + prior_w * typical_bins.mean(axis=0)) / (pooled_w + prior_w)
        profile = np.empty((2, BINS_PER_DAY))
        for kind in (0, 1):
            mask = weekend == kind
            w = np.bincount(bins[mask], weight[mask], BINS_PER_DAY)
            s = np.bincount(bins[mask], weight[mask] * values[mask], BINS_PER_DAY)
            profile[kind] = _smooth((s + prior_w * pooled) / (w + prior_w))
        expected = profile[at.weekend.astype(int), _bin(at.hour)]
        fitted = profile[weekend, bins]  # what the profile says of the recorded samples
        age_h = (now_s - t) / 3600.0
        lead_h = np.maximum(at_s - now_s, 0.0) / 3600.0
        window = age_h <= LOAD_LEVEL_HOURS
        if self.config.load_level_weight > 0 and hours[window].sum() >= LOAD_LEVEL_HOURS / 2:
            got, wanted = hours[window] * values[window], hours[window] * fitted[window]
            ratio = np.sum(got) / max(np.sum(wanted), 1e-9)
            share = self.config.load_level_weight * np.exp(-lead_h / LOAD_LEVEL_FADE_H)
            expected = expected * (1.0 + share * (np.clip(ratio, 0.3, 3.0) - 1.0))
        return expected

    # -- solar --------------------------------------------------------------------------

    def _solar_kw(
        self, at_s: np.ndarray, at: TimeFeatures, recent: History | None, now_s: float
    ) -> np.ndarray:
        array = self.array
        typical = at.clear_sky_kw * at.clearness
        if recent is None or array.kwp <= 0:
            return typical
        ok = np.isfinite(recent.solar_kw)
        hours = recent.sample_hours()[ok]
        if hours.sum() < self.config.min_history_days * 24:
            return typical
        t = recent.epoch_s[ok]
        # An interval average is best compared with clear sky at the interval's middle.
        then = self._sample_features(recent)
        clear_then = then.clear_sky_kw[ok]
        daylight = clear_then > 0.02 * array.kwp
        if not np.any(daylight):
            return typical
        t, hours = t[daylight], hours[daylight]
        expected = clear_then[daylight] * then.clearness[ok][daylight]  # climatology then
        recorded = np.maximum(recent.solar_kw[ok][daylight], 0.0)
        age_days = (now_s - t) / DAY_S
        # Lasting factor (array size, shading by hour, the season so far): the long window.
        slow = hours * 0.5 ** (age_days / self.config.half_life_days)
        lasting = float(np.sum(slow * recorded) / np.sum(slow * expected))
        hour_of = then.hour[ok][daylight].astype(int)
        exp_by_hour = np.bincount(hour_of, slow * expected, 24)
        rec_by_hour = np.bincount(hour_of, slow * recorded, 24)
        prior = SOLAR_HOUR_PRIOR * exp_by_hour.max()
        by_hour = (rec_by_hour + prior * lasting) / (exp_by_hour + prior)
        # Weather of the last days, relative to the lasting factor; it fades with lead time.
        fast = hours * 0.5 ** (age_days / self.config.solar_half_life_days)
        anomaly = float(np.sum(fast * recorded) / max(np.sum(fast * expected) * lasting, 1e-9))
        lead_days = np.maximum(at_s - now_s, 0.0) / DAY_S
        persistence = WEATHER_PERSISTENCE * WEATHER_PERSISTENCE**lead_days
        weather = np.clip(1.0 + persistence * (anomaly - 1.0), 0.2, 2.0)
        # Today's sky so far: recorded over expected (with the hour's lasting factor).
        now_window = age_days * 24.0 <= SOLAR_NOW_HOURS
        expected_now = expected[now_window] * by_hour[hour_of[now_window]] * hours[now_window]
        today = self.config.solar_today_weight
        if today > 0 and expected_now.sum() >= SOLAR_NOW_MIN_SHARE * array.kwp:
            sky = float(np.sum(recorded[now_window] * hours[now_window]) / expected_now.sum())
            weight = today * np.exp(-lead_days * 24.0 / SOLAR_NOW_FADE_H)
            weather = weight * np.clip(sky, 0.05, 2.0) + (1.0 - weight) * weather
        target_hour = at.hour.astype(int)
        return typical * np.clip(by_hour[target_hour], 0.0, 3.0) * weather


def _recent(history: History | None, now: datetime, lookback_days: float) -> History | None:
    """Samples known at ``now`` and no older than the lookback; None when there are none."""
    if history is None:
        return None
    known = history.before(now)
    oldest = now.timestamp() - lookback_days * DAY_S
    start = int(np.searchsorted(known.epoch_s, oldest, side="left"))
    if start >= len(known):
        return None
    return History(
        known.epoch_s[start:], known.load_kw[start:], known.solar_kw[start:], known.interval_s
    )


def _bin(hour: np.ndarray) -> np.ndarray:
    return np.minimum((hour * 60 // BIN_MINUTES).astype(int), BINS_PER_DAY - 1)


def _smooth(profile: np.ndarray) -> np.ndarray:
    """Light circular smoothing over neighbouring bins: appliance spikes are not habits."""
    return 0.25 * np.roll(profile, 1) + 0.5 * profile + 0.25 * np.roll(profile, -1)


def _mean_daily_weight(weight: np.ndarray, hours: np.ndarray) -> float:
    """Average decay weight per recorded hour (so priors scale with the data's weights)."""
    return float(np.sum(weight) / max(np.sum(hours), 1e-9))


@lru_cache(maxsize=400)
def _typical_bins(day_of_year: float) -> np.ndarray:
    """Typical UK demand per (weekday, weekend) × local bin on a day of the year. [kW]"""
    centres = (np.arange(BINS_PER_DAY) + 0.5) * BIN_MINUTES / 60
    days = np.full(BINS_PER_DAY, day_of_year)
    bins = np.vstack(
        [
            expected_load_at_local(centres, np.full(BINS_PER_DAY, kind), days)
            for kind in (False, True)
        ]
    )
    bins.setflags(write=False)
    return bins
