"""A typical UK household's expected demand by local time of day, day type and season.

A parametric profile in the spirit of Elexon's domestic Profile Class 1: a constant base load
(fridge, standby, router), a morning peak, a quiet weekday daytime, a busier weekend daytime
with a lunch bump, and the evening peak that dominates; winter demand is higher (lighting,
longer evenings indoors). :func:`expected_load_kw` is the smooth mean (what a forecaster with
no history should assume); the demo dataset perturbs the shape per household and adds noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.domain.localtime import utc_offsets_s
from optimiser.domain.slots import LONDON

HOURS_PER_YEAR = 8766.0


@dataclass(frozen=True, slots=True)
class HouseholdShape:
    """Parameters of the household profile.

    Attributes
    ----------
    annual_kwh : float
        Expected annual consumption. [kWh]
    base_kw : float
        Always-on demand. [kW]
    wake_h : float
        Weekday wake-up time, local. [h]
    weekend_lie_in_h : float
        How much later the weekend morning starts. [h]
    evening_peak_h : float
        Centre of the evening peak, local. [h]
    bed_h : float
        Time the evening activity winds down, local. [h]
    morning_weight, evening_weight, weekday_day_weight, weekend_day_weight : float
        Relative sizes of the activity components. [-]
    winter_swing : float
        Relative extra activity in midwinter (and less in midsummer). [-]
    """

    annual_kwh: float = 3600.0
    base_kw: float = 0.25
    wake_h: float = 6.75
    weekend_lie_in_h: float = 1.5
    evening_peak_h: float = 18.5
    bed_h: float = 23.0
    morning_weight: float = 0.45
    evening_weight: float = 0.9
    weekday_day_weight: float = 0.12
    weekend_day_weight: float = 0.3
    winter_swing: float = 0.3


TYPICAL_UK = HouseholdShape()


def _bump(hour: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((hour - centre) / width) ** 2)


def _step(hour: np.ndarray, at: float, width: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(hour - at) / width))


def activity_shape(
    hour: np.ndarray, weekend: np.ndarray, day_of_year: np.ndarray, shape: HouseholdShape
) -> np.ndarray:
    """Unscaled activity above base load at local ``hour`` (0–24). [arbitrary]"""
    wake = shape.wake_h + np.where(weekend, shape.weekend_lie_in_h, 0.0)
    morning = shape.morning_weight * _bump(hour, wake + 0.9, np.where(weekend, 1.3, 0.8))
    awake = _step(hour, wake, 0.3) * (1.0 - _step(hour, shape.bed_h, 0.5))
    day = np.where(weekend, shape.weekend_day_weight, shape.weekday_day_weight) * awake
    lunch = np.where(weekend, 0.25, 0.05) * _bump(hour, 12.75, 0.8)
    evening = shape.evening_weight * _bump(hour, shape.evening_peak_h, 1.4)
    late = 0.25 * _step(hour, 17.0, 0.5) * (1.0 - _step(hour, shape.bed_h, 0.5))
    season = 1.0 + shape.winter_swing * np.cos(2 * np.pi * (day_of_year - 15) / 365.25)
    # Lighting: dark winter evenings add more than the rest of the day.
    lighting = 0.15 * np.clip(season - 1.0, 0, None) / max(shape.winter_swing, 1e-9)
    lighting = lighting * _step(hour, 16.0, 0.5) * (1.0 - _step(hour, shape.bed_h, 0.5))
    return (morning + day + lunch + evening + late) * season + lighting


@dataclass(frozen=True, slots=True)
class LocalTime:
    """Local calendar facts for an array of UTC sample times."""

    hour: np.ndarray
    weekend: np.ndarray
    day_of_year: np.ndarray
    weekday: np.ndarray


def local_time(epoch_s: np.ndarray, tz: ZoneInfo = LONDON) -> LocalTime:
    """Local hour of day (fractional), weekend flag, day of year and weekday (Mon=0)."""
    utc = np.asarray(epoch_s, dtype=np.int64)
    local = utc + utc_offsets_s(utc, tz)
    day = local // 86400
    seconds = local - day * 86400
    hour = seconds // 3600 + (seconds % 3600 // 60) / 60.0 + (seconds % 60) / 3600
    dates = day.astype("datetime64[D]")
    day_of_year = (dates - dates.astype("datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    return LocalTime(
        hour=hour.astype(float),
        weekend=weekday >= 5,
        day_of_year=(day_of_year + 1).astype(float),
        weekday=weekday,
    )


@lru_cache(maxsize=64)
def activity_kw_per_unit(shape: HouseholdShape) -> float:
    """Demand per unit of :func:`activity_shape` so that a year meets ``annual_kwh``. [kW]"""
    start = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
    epoch_s = start + np.arange(0, 365 * 86400, 900) + 450
    when = local_time(epoch_s)
    mean_activity = float(np.mean(activity_shape(when.hour, when.weekend, when.day_of_year, shape)))
    activity_kwh = shape.annual_kwh - shape.base_kw * HOURS_PER_YEAR
    if activity_kwh <= 0:
        raise ValueError(
            f"annual_kwh {shape.annual_kwh} is below the base load's "
            f"{shape.base_kw * HOURS_PER_YEAR:.0f} kWh"
        )
    return activity_kwh / HOURS_PER_YEAR / mean_activity


def expected_load_kw(
    epoch_s: np.ndarray, shape: HouseholdShape = TYPICAL_UK, tz: ZoneInfo = LONDON
) -> np.ndarray:
    """Mean household demand at each UTC time (spikes included on average). [kW]"""
    when = local_time(epoch_s, tz)
    activity = activity_shape(when.hour, when.weekend, when.day_of_year, shape)
    return shape.base_kw + activity_kw_per_unit(shape) * activity


def expected_load_at_local(
    hour: np.ndarray,
    weekend: np.ndarray,
    day_of_year: np.ndarray,
    shape: HouseholdShape = TYPICAL_UK,
) -> np.ndarray:
    """Mean household demand at local ``hour`` on a weekend or weekday of the year. [kW]"""
    return shape.base_kw + activity_kw_per_unit(shape) * activity_shape(
        hour, weekend, day_of_year, shape
    )
