"""A deterministic, realistic UK household: 4 kWp of south-facing PV near London and ~3,600 kWh
a year of demand, generated on the fly from a few parameters and a seed.

Randomness is drawn per UTC day from a generator keyed by ``(seed, stream, day number)``, so
any window of the demo is exactly the same slice of the demo year (up to float rounding in
the intra-day filters), whatever the window's start and end. Everything is computed on a
5-minute base grid and averaged to coarser steps.

Solar: pvlib clear-sky (Ineichen, bundled Linke turbidity) times a cloudiness that has a
day-level clearness (Beta-distributed around a seasonal UK mean, persisting for a few days
like weather regimes do) and an autocorrelated intra-day variability; PVWatts DC and AC with
14% losses. Load: :mod:`optimiser.forecast.household`'s profile, perturbed for this household,
with day-level and intra-day variability and kettle and cooking spikes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from optimiser.domain.slots import require_aware
from optimiser.domain.traces import Trace
from optimiser.forecast.household import (
    TYPICAL_UK,
    HouseholdShape,
    activity_kw_per_unit,
    activity_shape,
    local_time,
)
from optimiser.forecast.pv import ArrayModel, ac_power_kw, monthly_interpolate, sky_geometry
from simulations.datasets.distributions import ar1_filter, beta_ppf, normal_cdf

BASE_STEP_S = 300
SAMPLES_PER_DAY = 86400 // BASE_STEP_S
DAY_S = 86400
WARM_UP_DAYS = 5

# Mean GHI clearness (GHI / clear-sky GHI) by month, Jan..Dec: 0.61 + 0.07·cos(2π(m − 5.7)/12),
# tuned so the demo array yields ~890 kWh/kWp a year (seeds 0–11: 846–943) with UK-like monthly
# shares (Dec 2.4%, Jan 3.5%, Jun 13.5%), as PVGIS gives for London.
DEMO_MONTHLY_GHI_CLEARNESS = (
    0.541,
    0.556,
    0.585,
    0.621,
    0.654,
    0.675,
    0.679,
    0.664,
    0.635,
    0.599,
    0.566,
    0.545,
)
CLEARNESS_CONCENTRATION = 3.0  # Beta a+b: low = more very dull and very clear days
DAY_PERSISTENCE = np.array([1.0, 0.6, 0.35, 0.2, 0.1])  # MA weights over recent days
CLOUD_AR = 0.93  # intra-day cloud autocorrelation per 5 minutes
LOAD_AR = 0.9  # intra-day load autocorrelation per 5 minutes
SPIKE_SHARE = 0.35  # share of activity energy in appliance spikes
KETTLE_KWH = 0.15
COOKING_KW = 2.0

_STREAM_WEATHER, _STREAM_LOAD, _STREAM_HOUSEHOLD = 11, 23, 37

DEMO_ARRAY = ArrayModel()


@dataclass(frozen=True, slots=True)
class _DayDraws:
    day_weather: np.ndarray  # (days,)
    day_load: np.ndarray  # (days,)
    cloud: np.ndarray  # (days, samples)
    load: np.ndarray  # (days, samples)
    base: np.ndarray  # (days, samples)
    kettle: np.ndarray  # (days, samples) uniforms
    cooking: np.ndarray  # (days, samples) uniforms
    cooking_steps: np.ndarray  # (days, samples) ints
    cooking_kw: np.ndarray  # (days, samples)


def _draw(seed: int, first_day: int, days: int) -> _DayDraws:
    """Random draws for each UTC day number in ``[first_day, first_day + days)``."""
    shape = (days, SAMPLES_PER_DAY)
    out = {
        name: np.empty(shape)
        for name in ("cloud", "load", "base", "kettle", "cooking", "cooking_kw")
    }
    steps = np.empty(shape, dtype=np.int64)
    day_weather = np.empty(days)
    day_load = np.empty(days)
    for i in range(days):
        day = first_day + i
        weather = np.random.default_rng([seed, _STREAM_WEATHER, day])
        day_weather[i] = weather.standard_normal()
        out["cloud"][i] = weather.standard_normal(SAMPLES_PER_DAY)
        load = np.random.default_rng([seed, _STREAM_LOAD, day])
        day_load[i] = load.standard_normal()
        out["load"][i] = load.standard_normal(SAMPLES_PER_DAY)
        out["base"][i] = load.standard_normal(SAMPLES_PER_DAY)
        out["kettle"][i] = load.random(SAMPLES_PER_DAY)
        out["cooking"][i] = load.random(SAMPLES_PER_DAY)
        steps[i] = load.integers(2, 10, SAMPLES_PER_DAY)
        out["cooking_kw"][i] = load.uniform(1.4, 2.6, SAMPLES_PER_DAY)
    return _DayDraws(day_weather=day_weather, day_load=day_load, cooking_steps=steps, **out)


def _persistent(innovations: np.ndarray) -> np.ndarray:
    """Unit-variance day series where each day leans on the few before it (exact MA)."""
    weights = DAY_PERSISTENCE / np.sqrt(np.sum(DAY_PERSISTENCE**2))
    return np.convolve(innovations, weights, mode="full")[: len(innovations)]


def _ar1(innovations: np.ndarray, phi: float) -> np.ndarray:
    """Unit-variance AR(1) along the flattened days (the first day serves as warm-up)."""
    flat = innovations.reshape(-1) * np.sqrt(1 - phi**2)
    return ar1_filter(flat, phi).reshape(innovations.shape)


# The demo's household: a UK family whose habits differ from the typical profile the way real
# homes do (someone at home in the day, dinner later, a longer weekend lie-in, more winter use).
DEMO_HOUSEHOLD = replace(
    TYPICAL_UK,
    wake_h=7.1,
    weekend_lie_in_h=2.0,
    evening_peak_h=19.3,
    bed_h=23.4,
    morning_weight=0.55,
    evening_weight=1.0,
    weekday_day_weight=0.3,
    weekend_day_weight=0.4,
    winter_swing=0.4,
)


def household_for(seed: int) -> HouseholdShape:
    """This seed's household: the demo household with habits shifted a little."""
    rng = np.random.default_rng([seed, _STREAM_HOUSEHOLD])
    base = DEMO_HOUSEHOLD
    return replace(
        base,
        wake_h=base.wake_h + rng.uniform(-0.3, 0.3),
        evening_peak_h=base.evening_peak_h + rng.uniform(-0.3, 0.3),
        bed_h=base.bed_h + rng.uniform(-0.3, 0.3),
        morning_weight=base.morning_weight * rng.uniform(0.85, 1.15),
        evening_weight=base.evening_weight * rng.uniform(0.85, 1.15),
        weekday_day_weight=base.weekday_day_weight * rng.uniform(0.85, 1.15),
        weekend_day_weight=base.weekend_day_weight * rng.uniform(0.85, 1.15),
    )


def _clearness(draws: _DayDraws, day_of_year: np.ndarray) -> np.ndarray:
    """GHI clearness per 5-minute sample, shape (days, samples). [-]"""
    mean = monthly_interpolate(DEMO_MONTHLY_GHI_CLEARNESS, day_of_year)
    z = _persistent(draws.day_weather)
    a = mean * CLEARNESS_CONCENTRATION
    b = (1 - mean) * CLEARNESS_CONCENTRATION
    day_k = beta_ppf(normal_cdf(z), a, b)
    spread = 0.9 * np.sqrt(day_k * (1 - day_k))
    intra = _ar1(draws.cloud, CLOUD_AR)
    return np.clip(day_k[:, None] + spread[:, None] * intra, 0.03, 1.15)


def _load_kw(draws: _DayDraws, epoch_s: np.ndarray, household: HouseholdShape) -> np.ndarray:
    """Household demand per 5-minute sample, shape (days, samples). [kW]"""
    when = local_time(epoch_s.reshape(-1))
    activity = activity_shape(when.hour, when.weekend, when.day_of_year, household)
    activity_kw = (activity * activity_kw_per_unit(household)).reshape(epoch_s.shape)
    day_level = np.exp(0.18 * _persistent(draws.day_load) - 0.5 * 0.18**2)
    intra = np.maximum(1.0 + 0.35 * _ar1(draws.load, LOAD_AR), 0.15)
    level_kw = activity_kw * day_level[:, None]
    smooth = (1 - SPIKE_SHARE) * level_kw * intra
    fridge = 0.04 * _ar1(draws.base, 0.7)
    base = household.base_kw * (
        1.0 + 0.05 * np.cos(2 * np.pi * (when.day_of_year.reshape(epoch_s.shape) - 15) / 365.25)
    )
    # Spikes: events whose expected energy is the spike share of the activity energy.
    spike_kwh = SPIKE_SHARE * level_kw * BASE_STEP_S / 3600
    kettle = (draws.kettle < 0.4 * spike_kwh / KETTLE_KWH) * KETTLE_KWH * 3600 / BASE_STEP_S
    cooking_kwh_mean = COOKING_KW * 5.5 * BASE_STEP_S / 3600
    starts = np.flatnonzero(
        draws.cooking.reshape(-1) < 0.6 * spike_kwh.reshape(-1) / cooking_kwh_mean
    )
    cooking = np.zeros(epoch_s.size)
    lengths = draws.cooking_steps.reshape(-1)[starts]
    index = np.repeat(starts, lengths) + (
        np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    power = np.repeat(draws.cooking_kw.reshape(-1)[starts], lengths)
    keep = index < cooking.size
    np.add.at(cooking, index[keep], power[keep])
    return np.maximum(base + fridge + smooth + kettle + cooking.reshape(epoch_s.shape), 0.05)


def _base_days(first_day: int, days: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5-minute (epoch_s, load_kw, solar_kw) for whole UTC days, with warm-up days dropped."""
    draws = _draw(seed, first_day - WARM_UP_DAYS, days + WARM_UP_DAYS)
    epoch_s = (first_day - WARM_UP_DAYS + np.arange(days + WARM_UP_DAYS))[
        :, None
    ] * DAY_S + np.arange(SAMPLES_PER_DAY)[None, :] * BASE_STEP_S
    keep = slice(WARM_UP_DAYS, None)
    household = household_for(seed)
    load = _load_kw(draws, epoch_s, household)[keep]
    # Solar only matters on the kept days; compute the sky there (the costly part).
    kept = epoch_s[keep]
    sky = sky_geometry(kept.reshape(-1) + BASE_STEP_S // 2, DEMO_ARRAY)
    day_of_year = sky.day_of_year.reshape(kept.shape)[:, 0].astype(float)
    clearness = _clearness(
        draws, np.concatenate([np.full(WARM_UP_DAYS, day_of_year[0]), day_of_year])
    )
    solar = ac_power_kw(sky, DEMO_ARRAY, clearness[keep].reshape(-1)).reshape(kept.shape)
    return kept.reshape(-1), load.reshape(-1), solar.reshape(-1)


def demo_trace(start: datetime, end: datetime, *, step_minutes: int = 5, seed: int = 0) -> Trace:
    """The demo household's load and solar over ``[start, end)``.

    Parameters
    ----------
    start, end : datetime
        Timezone-aware bounds; ``start`` is floored and ``end`` ceiled to the step (UTC).
    step_minutes : int
        Sample length: 1, or a multiple of 5 that divides a day. [min]
    seed : int
        Same seed, same household and weather.

    Returns
    -------
    Trace
        Average load and solar per sample [kW], solar ≥ 0.
    """
    start = require_aware(start, "start")
    end = require_aware(end, "end")
    if end <= start:
        raise ValueError(f"end {end.isoformat()} must be after start {start.isoformat()}")
    if not (step_minutes == 1 or (step_minutes % 5 == 0 and 1440 % step_minutes == 0)):
        raise ValueError(
            f"step_minutes must be 1 or a multiple of 5 dividing a day, got {step_minutes}"
        )
    step_s = step_minutes * 60
    t0 = int(start.timestamp()) // step_s * step_s
    t1 = -(-int(end.timestamp()) // step_s) * step_s
    first_day = t0 // DAY_S
    last_day = (t1 - 1) // DAY_S
    epoch_s, load, solar = _base_days(first_day, last_day - first_day + 1, seed)
    if step_minutes == 1:
        epoch_s = (epoch_s[:, None] + np.arange(5)[None, :] * 60).reshape(-1)
        load = np.repeat(load, 5)
        solar = np.repeat(solar, 5)
    else:
        per = step_s // BASE_STEP_S
        epoch_s = epoch_s[::per]
        load = load.reshape(-1, per).mean(axis=1)
        solar = solar.reshape(-1, per).mean(axis=1)
    window = (epoch_s >= t0) & (epoch_s < t1)
    return Trace(
        epoch_s=epoch_s[window].astype(np.float64),
        load_kw=load[window],
        solar_kw=solar[window],
    )


def demo_year(year: int = 2025, *, step_minutes: int = 5, seed: int = 0) -> Trace:
    """The demo household over one UTC calendar year (see :func:`demo_trace`)."""
    return demo_trace(
        datetime(year, 1, 1, tzinfo=UTC),
        datetime(year + 1, 1, 1, tzinfo=UTC),
        step_minutes=step_minutes,
        seed=seed,
    )
