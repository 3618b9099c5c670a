"""A realistic evaluation set: six UK household-years that do not repeat themselves.

The demo household (:mod:`simulations.datasets.demo`) is regular enough that a history
forecaster looks nearly perfect on it. These households are built to be as hard to forecast as
measured homes are, and are the yardstick for forecasts (``benchmarks/forecast_quality.py``).

**Load** — each household has an occupancy pattern (working couple, family with school-age
children, retired couple, home worker with a heat pump, late-shift worker, large family), a
demand level and its own habits. Every local day draws its own wake, dinner and bed times and
its own activity level (persistent over a few days), so no week repeats the last. Days are
workdays, weekends, England and Wales bank holidays (weekend-like), school holidays (families),
work-from-home days and **away weeks** (two or three a year: only the always-on load runs).
**Appliances** come as discrete events at times drawn from the day's routine: kettle (3 kW, 3
min), hob and oven, washing machine, tumble dryer (more in winter), dishwasher and electric
shower (9 kW, 8 min). **Heating**: a gas-heated home adds boiler and pump electrics on cold
days; the heat pump home draws ``heat demand / COP`` from a daily temperature (UK
climatology, persistent anomalies, colder on clear winter days) with morning and evening
comfort periods and a night set-back.

**Solar** — real cloud: hourly clear-sky indices (measured GHI / pvlib Ineichen clear-sky GHI)
of the TMY3 file for Sand Point, Alaska (55.3° N, a maritime, cloudy site) that pvlib ships in
``pvlib/data/703165TY.csv``. TMY3 data are produced by the US National Renewable Energy
Laboratory from measured and satellite-modelled irradiance (1976–2005) and are a work of the US
government, free of copyright (public domain). The index is taken by day of year and solar
hour; each household-year re-orders the real days in blocks of 3–8 consecutive days drawn from
within ±20 days of the same date (a seasonal block bootstrap: real day-to-day persistence,
different weather per household and year), and is scaled month by month to the UK's mean GHI
clearness (:data:`simulations.datasets.demo.DEMO_MONTHLY_GHI_CLEARNESS`, tuned to PVGIS London
yields). Sub-hourly variability is an AR(1) process whose size grows with broken cloud
(largest at an index of 0.5, none under clear or overcast skies). GHI = index × clear-sky GHI
at the household's site; :func:`optimiser.forecast.pv.ac_power_kw` (Erbs split, Hay–Davies
transposition, PVWatts DC and AC) turns it into AC power for the household's array.

**Split** — tune forecasters on :data:`TUNING` (h1, h3, h5) only; report final figures on
:data:`HELD_BACK` (h2, h4, h6), never looked at while tuning. Each part mixes occupancy
types, heating and arrays.

Everything is seeded: the same household and year give the same trace on every machine (up to
float rounding). A year at 5 minutes takes a couple of seconds; years are cached per process.
Weather and behaviour restart at each 1 January (the year boundary is a small seam).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum, StrEnum
from functools import lru_cache

import numpy as np
import pandas as pd
import pvlib
from scipy import signal

from optimiser.config import SiteConfig, SolarArrayConfig
from optimiser.domain.slots import LONDON, require_aware
from optimiser.domain.traces import Trace
from optimiser.forecast.household import (
    TYPICAL_UK,
    HouseholdShape,
    activity_kw_per_unit,
    activity_shape,
)
from optimiser.forecast.pv import ArrayModel, ac_power_kw, monthly_interpolate, sky_geometry
from simulations.datasets.demo import DEMO_MONTHLY_GHI_CLEARNESS

BASE_STEP_S = 300
SAMPLES_PER_HOUR = 3600 // BASE_STEP_S
DAY_S = 86400
TMY_FILE = "703165TY.csv"  # Sand Point, AK (TMY3), shipped in pvlib/data
MIN_ELEVATION_DEG = 7.0  # below this the TMY clear-sky index is too noisy to use
BLOCK_DAYS = (3, 9)  # bootstrap block length range [days] (upper bound exclusive)
SEASON_WINDOW_DAYS = 20  # blocks come from within this many days of the date
CLOUD_AR = 0.9  # sub-hourly cloud autocorrelation per 5 minutes
CLOUD_SPREAD = 0.45  # sub-hourly cloud variability at an index of 0.5 [-]
LOAD_AR = 0.85  # intra-day load noise autocorrelation per 5 minutes


class Occupancy(StrEnum):
    """Who is at home when."""

    WORKING = "working"  # out on weekdays
    FAMILY = "family"  # out on school days, home in school holidays
    RETIRED = "retired"  # home all day
    HOME_WORKER = "home-worker"  # home most weekdays
    LATE_SHIFT = "late-shift"  # up late, out in the afternoon and evening on workdays


class Heating(StrEnum):
    """How the home is heated, as far as electricity is concerned."""

    GAS = "gas"  # boiler and pump electrics on cold days
    HEAT_PUMP = "heat-pump"  # the heat demand divided by the COP


@dataclass(frozen=True, slots=True)
class RealisticHousehold:
    """One household of the evaluation set.

    Attributes
    ----------
    key : str
        Short name (``h1`` … ``h6``).
    description : str
        Who lives there, for reports.
    seed : int
        Seed of its behaviour and weather.
    occupancy : Occupancy
        Who is at home when.
    heating : Heating
        Electric heating, if any.
    shape : HouseholdShape
        Typical day's shape and non-heating demand level (``annual_kwh``). [kWh]
    latitude, longitude : float
        Site. [°]
    kwp, tilt_deg, azimuth_deg : float
        The PV array. [kWp], [°], [°] (180 = south)
    work_from_home : float
        Share of workdays spent at home. [-]
    shower_per_day : float
        Electric showers per occupied day (0: no electric shower). [-]
    dryer_per_week : float
        Tumble-dryer runs per week, midwinter (half that in summer). [-]
    away_weeks : int
        Weeks a year away from home.
    heat_loss_kw_per_k : float
        Heat-pump homes: heat loss per kelvin of indoor–outdoor difference. [kW/K]
    """

    key: str
    description: str
    seed: int
    occupancy: Occupancy
    heating: Heating
    shape: HouseholdShape
    latitude: float
    longitude: float
    kwp: float
    tilt_deg: float
    azimuth_deg: float
    work_from_home: float = 0.0
    shower_per_day: float = 0.0
    dryer_per_week: float = 2.0
    away_weeks: int = 2
    heat_loss_kw_per_k: float = 0.0

    def site(self) -> SiteConfig:
        """The config's ``site`` section for this household (so forecasts model its array)."""
        return SiteConfig(
            latitude=self.latitude,
            longitude=self.longitude,
            solar=SolarArrayConfig(
                kwp=self.kwp, tilt_deg=self.tilt_deg, azimuth_deg=self.azimuth_deg
            ),
        )

    def array(self) -> ArrayModel:
        """The PV array as the PV model takes it."""
        return ArrayModel.from_site(self.site())


HOUSEHOLDS: tuple[RealisticHousehold, ...] = (
    RealisticHousehold(
        key="h1",
        description="working couple, London, gas heating, 4 kWp south",
        seed=101,
        occupancy=Occupancy.WORKING,
        heating=Heating.GAS,
        shape=replace(TYPICAL_UK, annual_kwh=2900, base_kw=0.18, wake_h=6.6, bed_h=23.2),
        latitude=51.50,
        longitude=-0.12,
        kwp=4.0,
        tilt_deg=35,
        azimuth_deg=180,
        work_from_home=0.1,
        shower_per_day=0.0,
        dryer_per_week=1.5,
    ),
    RealisticHousehold(
        key="h2",
        description="family with two school-age children, Bristol, gas heating, 5 kWp SSW",
        seed=202,
        occupancy=Occupancy.FAMILY,
        heating=Heating.GAS,
        shape=replace(
            TYPICAL_UK,
            annual_kwh=4300,
            base_kw=0.25,
            wake_h=6.9,
            evening_peak_h=18.0,
            bed_h=22.8,
            morning_weight=0.6,
            weekend_day_weight=0.45,
        ),
        latitude=51.45,
        longitude=-2.59,
        kwp=5.0,
        tilt_deg=30,
        azimuth_deg=200,
        work_from_home=0.2,
        shower_per_day=1.2,
        dryer_per_week=4.0,
        away_weeks=2,
    ),
    RealisticHousehold(
        key="h3",
        description="retired couple at home, Norwich, gas heating, 3 kWp SE",
        seed=303,
        occupancy=Occupancy.RETIRED,
        heating=Heating.GAS,
        shape=replace(
            TYPICAL_UK,
            annual_kwh=3300,
            base_kw=0.2,
            wake_h=7.4,
            weekend_lie_in_h=0.3,
            evening_peak_h=17.6,
            bed_h=22.5,
            weekday_day_weight=0.45,
            weekend_day_weight=0.45,
        ),
        latitude=52.63,
        longitude=1.30,
        kwp=3.0,
        tilt_deg=40,
        azimuth_deg=135,
        dryer_per_week=1.0,
        away_weeks=3,
    ),
    RealisticHousehold(
        key="h4",
        description="home worker with an air-source heat pump, Manchester, 6 kWp south",
        seed=404,
        occupancy=Occupancy.HOME_WORKER,
        heating=Heating.HEAT_PUMP,
        shape=replace(TYPICAL_UK, annual_kwh=3200, base_kw=0.22, weekday_day_weight=0.35),
        latitude=53.48,
        longitude=-2.24,
        kwp=6.0,
        tilt_deg=30,
        azimuth_deg=180,
        work_from_home=0.8,
        shower_per_day=0.0,
        dryer_per_week=1.5,
        heat_loss_kw_per_k=0.17,
    ),
    RealisticHousehold(
        key="h5",
        description="late-shift worker and partner, Leeds, gas heating, 4 kWp WSW",
        seed=505,
        occupancy=Occupancy.LATE_SHIFT,
        heating=Heating.GAS,
        shape=replace(
            TYPICAL_UK,
            annual_kwh=3000,
            base_kw=0.2,
            wake_h=9.0,
            weekend_lie_in_h=0.5,
            evening_peak_h=20.5,
            bed_h=24.6,
            weekday_day_weight=0.3,
        ),
        latitude=53.80,
        longitude=-1.55,
        kwp=4.0,
        tilt_deg=35,
        azimuth_deg=245,
        shower_per_day=0.8,
        dryer_per_week=2.0,
    ),
    RealisticHousehold(
        key="h6",
        description="large family, Cardiff, gas heating, electric shower, 3.5 kWp south",
        seed=606,
        occupancy=Occupancy.FAMILY,
        heating=Heating.GAS,
        shape=replace(
            TYPICAL_UK,
            annual_kwh=5000,
            base_kw=0.3,
            wake_h=6.5,
            evening_peak_h=18.3,
            morning_weight=0.7,
            evening_weight=1.1,
            weekend_day_weight=0.5,
        ),
        latitude=51.48,
        longitude=-3.18,
        kwp=3.5,
        tilt_deg=38,
        azimuth_deg=170,
        work_from_home=0.1,
        shower_per_day=2.0,
        dryer_per_week=5.0,
    ),
)

BY_KEY = {h.key: h for h in HOUSEHOLDS}
TUNING: tuple[str, ...] = ("h1", "h3", "h5")
HELD_BACK: tuple[str, ...] = ("h2", "h4", "h6")


def household(key: str) -> RealisticHousehold:
    """The household called ``key`` (``h1`` … ``h6``)."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise ValueError(f"expected a household among {', '.join(BY_KEY)}, got {key!r}") from None


# -- calendar ---------------------------------------------------------------------------------


def _easter(year: int) -> date:
    """Easter Sunday (Gregorian; the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def bank_holidays(year: int) -> set[date]:
    """England and Wales bank holidays (substitute days for weekend Christmases included)."""
    easter = _easter(year)
    days = {
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _first_monday(year, 5),
        _last_monday(year, 5),
        _last_monday(year, 8),
    }
    new_year = date(year, 1, 1)
    weekday = new_year.weekday()
    days.add(new_year + timedelta(days=(7 - weekday) % 7 if weekday >= 5 else 0))
    christmas, boxing = date(year, 12, 25), date(year, 12, 26)
    if christmas.weekday() == 5:  # Saturday: Mon 27, Tue 28
        days |= {date(year, 12, 27), date(year, 12, 28)}
    elif christmas.weekday() == 6:  # Sunday: Boxing Day Mon 26, Tue 27
        days |= {boxing, date(year, 12, 27)}
    elif christmas.weekday() == 4:  # Friday: Boxing Day Sat → Mon 28
        days |= {christmas, date(year, 12, 28)}
    else:
        days |= {christmas, boxing}
    return days


def school_holiday(day: date) -> bool:
    """Typical English state-school holidays (approximate, same every year)."""
    easter = _easter(day.year)
    ranges = (
        (date(day.year, 1, 1), date(day.year, 1, 5)),
        (date(day.year, 2, 14), date(day.year, 2, 22)),
        (easter - timedelta(days=9), easter + timedelta(days=8)),
        (date(day.year, 5, 25), date(day.year, 5, 31)),
        (date(day.year, 7, 22), date(day.year, 9, 2)),
        (date(day.year, 10, 25), date(day.year, 11, 2)),
        (date(day.year, 12, 20), date(day.year, 12, 31)),
    )
    return any(a <= day <= b for a, b in ranges)


# -- weather ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def tmy_clear_sky_index() -> tuple[np.ndarray, np.ndarray]:
    """Sand Point TMY3 clear-sky index by (day of year − 1, solar hour), NaN where the sun is
    low, and its monthly mean GHI clearness (Jan..Dec). [-]"""
    path = os.path.join(os.path.dirname(pvlib.__file__), "data", TMY_FILE)
    data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
    # TMY3 stamps mark the end of each hour; centre them and re-date to one (non-leap) year.
    local_hour = data.index.hour.to_numpy() + 0.5 - 1.0
    doy = np.minimum(data.index.day_of_year.to_numpy(), 365) - 1
    leap_fix = (data.index.year.to_numpy() % 4 == 0) & (data.index.month.to_numpy() > 2)
    doy = np.where(leap_fix, doy - 1, doy) % 365
    utc_hour = local_hour - float(meta["TZ"])
    solar_hour = (utc_hour + float(meta["longitude"]) / 15.0) % 24
    stamp = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(doy * 24 + utc_hour, unit="h")
    loc = pvlib.location.Location(meta["latitude"], meta["longitude"], altitude=meta["altitude"])
    index = pd.DatetimeIndex(stamp)
    with warnings.catch_warnings():  # pvlib 0.16 uses pandas accessors pandas 3 deprecates
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        clear = loc.get_clearsky(index, model="ineichen")
        elevation = loc.get_solarposition(index)["apparent_elevation"].to_numpy()
    ghi = data["ghi"].to_numpy(dtype=float)
    clear_ghi = clear["ghi"].to_numpy(dtype=float)
    ok = (elevation > MIN_ELEVATION_DEG) & (clear_ghi > 20)
    kt = np.full((365, 24), np.nan)
    kt[doy[ok], np.floor(solar_hour[ok]).astype(int)] = np.clip(ghi[ok] / clear_ghi[ok], 0, 1.3)
    month = index.month.to_numpy()
    monthly = np.array(
        [ghi[ok & (month == m)].sum() / clear_ghi[ok & (month == m)].sum() for m in range(1, 13)]
    )
    return kt, monthly


def _weather_days(rng: np.random.Generator, days: int) -> np.ndarray:
    """Source day (0..364) of the TMY for each day of the year: a seasonal block bootstrap."""
    source = np.empty(days, dtype=int)
    d = 0
    while d < days:
        length = int(rng.integers(*BLOCK_DAYS))
        start = d + int(rng.integers(-SEASON_WINDOW_DAYS, SEASON_WINDOW_DAYS + 1))
        n = min(length, days - d)
        source[d : d + n] = (start + np.arange(n)) % 365
        d += n
    return source


def _clear_sky_index(
    rng: np.random.Generator, epoch_s: np.ndarray, longitude: float, day_of_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """5-minute clear-sky index at the samples, and the daily index. [-]"""
    kt, tmy_monthly = tmy_clear_sky_index()
    days = int(day_of_year.max())
    source = _weather_days(rng, days)
    ratio = monthly_interpolate(
        tuple(np.asarray(DEMO_MONTHLY_GHI_CLEARNESS) / tmy_monthly), np.arange(1, days + 1)
    )
    hourly = kt[source] * ratio[:, None]  # (days, 24), NaN at night
    known = ~np.isnan(hourly)
    daily = np.where(known, hourly, 0.0).sum(axis=1) / np.maximum(known.sum(axis=1), 1)
    daily = np.where(known.any(axis=1), daily, np.asarray(DEMO_MONTHLY_GHI_CLEARNESS).mean())
    hourly = np.where(np.isnan(hourly), daily[:, None], hourly)
    # Interpolate hour-centred values to each sample's solar time.
    solar_h = ((epoch_s % DAY_S) / 3600.0 + longitude / 15.0) % 24
    day = day_of_year.astype(int) - 1
    x = solar_h - 0.5
    lo = np.floor(x).astype(int)
    frac = x - lo
    flat = hourly.reshape(-1)
    a = flat[np.clip(day * 24 + lo, 0, flat.size - 1)]
    b = flat[np.clip(day * 24 + lo + 1, 0, flat.size - 1)]
    smooth = (1 - frac) * a + frac * b
    noise = signal.lfilter(
        [np.sqrt(1 - CLOUD_AR**2)], [1.0, -CLOUD_AR], rng.standard_normal(len(epoch_s))
    )
    broken = 4 * np.clip(smooth, 0, 1) * (1 - np.clip(smooth, 0, 1))
    index = np.clip(smooth + CLOUD_SPREAD * 0.5 * broken * noise, 0.03, 1.2)
    return index, daily


def _temperature(rng: np.random.Generator, doy: np.ndarray, daily_kt: np.ndarray) -> np.ndarray:
    """Daily mean outdoor temperature: UK climatology + persistent anomaly; clear winter days
    are colder and clear summer days warmer. [°C]"""
    season = 10.5 + 6.5 * np.cos(2 * np.pi * (doy - 200) / 365.25)
    anomaly = signal.lfilter([np.sqrt(1 - 0.8**2)], [1.0, -0.8], rng.standard_normal(len(doy)))
    summer = -np.cos(2 * np.pi * (doy - 15) / 365.25)  # −1 midwinter … +1 midsummer
    clear = daily_kt - np.nanmean(daily_kt)
    return season + 2.5 * anomaly + 8.0 * summer * clear


# -- behaviour --------------------------------------------------------------------------------


class _DayKind(IntEnum):
    """What kind of day a household has."""

    WORK = 0  # out for work or school
    HOME = 1  # a weekday at home
    WEEKEND = 2  # weekends and bank holidays
    AWAY = 3  # away from home


def _day_kinds(h: RealisticHousehold, rng: np.random.Generator, days: list[date]) -> np.ndarray:
    """Kind of each local day (workday out, home on a weekday, weekend-like, away)."""
    holidays = bank_holidays(days[0].year)
    kinds = np.empty(len(days), dtype=int)
    for i, d in enumerate(days):
        if d.weekday() >= 5 or d in holidays:
            kinds[i] = _DayKind.WEEKEND
        elif h.occupancy == Occupancy.RETIRED or (
            h.occupancy == Occupancy.FAMILY and school_holiday(d)
        ):
            kinds[i] = _DayKind.HOME
        else:
            kinds[i] = _DayKind.HOME if rng.random() < h.work_from_home else _DayKind.WORK
    # Away weeks: one in the summer for everyone, the others anywhere but Christmas.
    n = len(days)
    starts = [int(rng.integers(185, 235))] + [
        int(rng.integers(20, 340)) for _ in range(h.away_weeks - 1)
    ]
    for s in starts:
        if s < n:
            kinds[s : min(s + int(rng.integers(5, 10)), n)] = _DayKind.AWAY
    return kinds


@dataclass(frozen=True, slots=True)
class _Event:
    """An appliance: power profile per 5-minute step [kW] and when it tends to start."""

    profile: tuple[float, ...]
    centre: str  # "morning", "midday", "evening", "late"
    spread_h: float


KETTLE = _Event((1.8,), "any", 0.0)
SHOWER = _Event((9.0, 5.4), "morning", 0.6)
HOB = _Event((1.6, 2.2, 1.8, 1.2, 1.5, 0.8), "evening", 0.6)
OVEN = _Event((2.4, 2.0, 1.3, 1.1, 1.3, 1.0, 1.2, 1.0, 1.1, 0.9, 1.0, 0.8), "evening", 0.7)
WASHER = _Event((0.2, 2.0, 2.0, 1.0, 0.2, 0.2, 0.15, 0.15, 0.3, 0.3, 0.4, 0.5, 0.4, 0.1), "any", 0)
DRYER = _Event((2.4,) * 10 + (1.5, 0.6), "any", 0.0)
DISHWASHER = _Event(
    (0.05, 1.9, 1.9, 1.9, 0.1, 0.1, 0.1, 0.1, 0.1, 1.9, 1.9, 0.1, 0.1, 0.05), "late", 0.6
)


def _event_starts(
    rng: np.random.Generator,
    rate: np.ndarray,
    centre: np.ndarray,
    spread_h: float,
    wake: np.ndarray,
    bed: np.ndarray,
    duration_h: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(day index, local start hour) of Poisson(``rate``) events per day, each lasting
    ``duration_h``; ``centre`` is the day's preferred hour (NaN: uniform over the waking
    day)."""
    counts = rng.poisson(rate)
    day = np.repeat(np.arange(len(rate)), counts)
    uniform = wake[day] + rng.random(day.size) * np.maximum(bed[day] - wake[day], 1.0)
    around = centre[day] + spread_h * rng.standard_normal(day.size)
    hour = np.where(np.isnan(centre[day]), uniform, around)
    # One appliance runs one cycle at a time: a day's later cycle waits for the earlier one.
    order = np.lexsort((hour, day))
    day, hour = day[order], hour[order]
    for i in range(1, day.size):
        if day[i] == day[i - 1]:
            hour[i] = max(hour[i], hour[i - 1] + duration_h)
    return day, hour


def _load(
    h: RealisticHousehold,
    rng: np.random.Generator,
    epoch_s: np.ndarray,
    day_index: np.ndarray,
    local_hour: np.ndarray,
    local_days: list[date],
    midnight_s: np.ndarray,
    temperature: np.ndarray,
) -> np.ndarray:
    """Household demand at each 5-minute sample. [kW]"""
    n_days = len(local_days)
    kinds = _day_kinds(h, rng, local_days)
    away = kinds == _DayKind.AWAY
    home = kinds == _DayKind.HOME
    weekend_like = (kinds == _DayKind.WEEKEND) | home
    base = h.shape
    doy = np.array([d.timetuple().tm_yday for d in local_days], dtype=float)
    # The day's routine: each day draws its own times and weights.
    wake = base.wake_h + 0.45 * rng.standard_normal(n_days)
    wake = wake + np.where(kinds == _DayKind.WEEKEND, base.weekend_lie_in_h, 0.0)
    wake = wake + np.where(home, 0.3, 0.0)
    evening = base.evening_peak_h + 0.5 * rng.standard_normal(n_days)
    bed = base.bed_h + 0.4 * rng.standard_normal(n_days) + np.where(weekend_like, 0.3, 0.0)
    if h.occupancy == Occupancy.LATE_SHIFT:  # on workdays out from 15:00 to 23:30
        evening = np.where(
            kinds == _DayKind.WORK, 23.8 + 0.3 * rng.standard_normal(n_days), evening
        )
    level = np.exp(
        0.22 * signal.lfilter([np.sqrt(1 - 0.6**2)], [1.0, -0.6], rng.standard_normal(n_days))
        - 0.5 * 0.22**2
    )
    day_weight = np.where(
        kinds == _DayKind.WEEKEND,
        base.weekend_day_weight,
        np.where(home, 0.8 * base.weekend_day_weight + 0.2 * base.weekday_day_weight, 0.06),
    ) * np.exp(0.3 * rng.standard_normal(n_days))
    per_day = replace(
        base,
        wake_h=wake[day_index],
        weekend_lie_in_h=0.0,
        evening_peak_h=evening[day_index],
        bed_h=bed[day_index],
        morning_weight=(base.morning_weight * np.exp(0.25 * rng.standard_normal(n_days)))[
            day_index
        ],
        evening_weight=(base.evening_weight * np.exp(0.2 * rng.standard_normal(n_days)))[day_index],
        weekday_day_weight=day_weight[day_index],
        weekend_day_weight=day_weight[day_index],
    )
    activity = activity_shape(local_hour, weekend_like[day_index], doy[day_index], per_day)
    smooth_kw = activity_kw_per_unit(base) * activity * level[day_index]
    intra = np.maximum(
        1.0
        + 0.4
        * signal.lfilter(
            [np.sqrt(1 - LOAD_AR**2)], [1.0, -LOAD_AR], rng.standard_normal(len(epoch_s))
        ),
        0.1,
    )
    smooth = smooth_kw * intra
    fridge = 0.05 * signal.lfilter(
        [np.sqrt(1 - 0.5)], [1.0, -np.sqrt(0.5)], rng.standard_normal(len(epoch_s))
    )
    season = np.cos(2 * np.pi * (doy - 15) / 365.25)  # +1 midwinter
    always_on = base.base_kw * (1.0 + 0.06 * season[day_index]) + fridge
    always_on = np.maximum(always_on, 0.6 * base.base_kw)
    appliances = np.zeros(len(epoch_s))

    occupied = ~away
    scale = h.shape.annual_kwh / 3600.0  # bigger households use appliances more
    lunch = np.where(weekend_like, 12.8, np.nan)
    centres = {
        "morning": wake + 0.5,
        "evening": evening - 0.6,
        "late": np.minimum(evening + 1.8, bed - 0.3),
        "midday": lunch,
        "any": np.full(n_days, np.nan),
    }
    dryer_rate = h.dryer_per_week / 7 * (0.75 + 0.25 * season)
    rates = (
        (KETTLE, (2.0 + 1.5 * weekend_like) * scale),
        (SHOWER, np.full(n_days, h.shower_per_day)),
        (HOB, np.full(n_days, 0.5 * scale)),
        (OVEN, np.where(weekend_like, 0.45, 0.25) * scale),
        (WASHER, np.where(weekend_like, 0.4, 0.2) * scale),
        (DRYER, dryer_rate),
        (DISHWASHER, np.full(n_days, 0.45 * scale)),
    )
    for event, rate in rates:
        profile = np.asarray(event.profile)
        day, hour = _event_starts(
            rng,
            np.where(occupied, rate, 0.0),
            centres[event.centre],
            event.spread_h,
            wake,
            bed,
            len(profile) * BASE_STEP_S / 3600.0,
        )
        start = np.searchsorted(epoch_s, midnight_s[day] + hour * 3600.0)
        index = (start[:, None] + np.arange(len(profile))[None, :]).reshape(-1)
        power = np.tile(profile, len(start))
        keep = index < len(appliances)
        np.add.at(appliances, index[keep], power[keep])
    # The smooth activity tops the appliances up to the household's annual demand.
    hours = BASE_STEP_S / 3600.0
    target = h.shape.annual_kwh * len(epoch_s) * hours / 8766.0
    rest = target - (always_on.sum() + appliances.sum()) * hours
    occupied_smooth = np.where(away[day_index], 0.0, smooth)
    factor = np.clip(rest / max(occupied_smooth.sum() * hours, 1e-9), 0.2, 1.5)
    load = always_on + appliances + factor * occupied_smooth

    cold = np.clip(15.5 - temperature, 0.0, None)  # heating degrees per day [K]
    if h.heating == Heating.GAS:
        # Boiler fan and pump (~0.08 kW) while the heating runs: mornings and evenings.
        on = (cold[day_index] > 0.5) & (
            ((local_hour > wake[day_index] - 1) & (local_hour < wake[day_index] + 1.5))
            | ((local_hour > 16.5) & (local_hour < bed[day_index] - 0.5))
            | home[day_index]
            | (kinds[day_index] == _DayKind.WEEKEND)
        )
        load = load + np.where(
            on & occupied[day_index], 0.08 * np.minimum(cold[day_index] / 8, 1), 0
        )
    else:
        # Heat pump: daily heat = UA × (20.5 − T) × 24 h less gains; COP falls with the cold.
        inside = np.where(away, 12.0, 20.5)
        deficit = np.clip(inside - 3.5 - temperature, 0.0, None)
        cop = np.clip(2.6 + 0.08 * temperature, 2.0, 4.2)
        daily_kwh = h.heat_loss_kw_per_k * deficit * 24 / cop
        comfort = ((local_hour > wake[day_index] - 1.5) & (local_hour < wake[day_index] + 2)) | (
            (local_hour > 16) & (local_hour < bed[day_index])
        )
        weight = np.where(comfort, 1.4, 0.7)
        weight = weight * np.maximum(
            1 + 0.35 * signal.lfilter([0.3], [1.0, -0.95], rng.standard_normal(len(epoch_s))), 0
        )
        per_day = np.bincount(day_index, weight, n_days)
        hp_kw = daily_kwh[day_index] * weight / per_day[day_index] * (DAY_S / BASE_STEP_S) / 24
        # Defrost cycles on cold damp days: short spikes.
        defrost = (temperature[day_index] < 5) & (rng.random(len(epoch_s)) < 0.02)
        load = load + hp_kw + np.where(defrost, 1.5, 0.0)
    return np.maximum(load, 0.05)


# -- the year ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Year:
    epoch_s: np.ndarray
    load_kw: np.ndarray
    solar_kw: np.ndarray


@lru_cache(maxsize=8)
def _year(h: RealisticHousehold, year: int) -> _Year:
    """One household-year at 5 minutes, UTC calendar year."""
    t0 = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    t1 = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    epoch_s = np.arange(t0, t1, BASE_STEP_S, dtype=np.int64)
    local = pd.to_datetime(epoch_s, unit="s", utc=True).tz_convert(LONDON)
    first = date(year, 1, 1)
    local_dates = local.normalize()
    day_index = np.asarray((local_dates.tz_localize(None) - pd.Timestamp(first)).days)
    day_index = np.clip(day_index, 0, None)
    n_days = int(day_index.max()) + 1
    local_days = [first + timedelta(days=i) for i in range(n_days)]
    midnight_s = np.array(
        [datetime(d.year, d.month, d.day, tzinfo=LONDON).timestamp() for d in local_days]
    )
    local_hour = (epoch_s - midnight_s[day_index]) / 3600.0
    weather = np.random.default_rng([h.seed, year, 1])
    behaviour = np.random.default_rng([h.seed, year, 2])
    utc_doy = ((epoch_s - t0) // DAY_S + 1).astype(float)
    index, daily_kt = _clear_sky_index(weather, epoch_s + BASE_STEP_S // 2, h.longitude, utc_doy)
    daily_kt = np.append(daily_kt, daily_kt[-1])[:n_days]
    doy = np.arange(1, n_days + 1, dtype=float)
    temperature = _temperature(weather, doy, daily_kt)
    load = _load(h, behaviour, epoch_s, day_index, local_hour, local_days, midnight_s, temperature)
    array = h.array()
    sky = sky_geometry(epoch_s + BASE_STEP_S // 2, array)
    solar = ac_power_kw(sky, array, index)
    return _Year(epoch_s.astype(np.float64), load, solar)


def realistic_trace(key: str, start: datetime, end: datetime, *, step_minutes: int = 5) -> Trace:
    """Household ``key`` (``h1`` … ``h6``, see :data:`HOUSEHOLDS`) over ``[start, end)`` (see
    :func:`household_trace`)."""
    return household_trace(household(key), start, end, step_minutes=step_minutes)


def household_trace(
    h: RealisticHousehold, start: datetime, end: datetime, *, step_minutes: int = 5
) -> Trace:
    """Household ``h``'s load and solar over ``[start, end)``: one of :data:`HOUSEHOLDS` or
    any other built the same way (a population draws them).

    Parameters
    ----------
    h : RealisticHousehold
        Who lives there, their habits, heating and PV array.
    start, end : datetime
        Timezone-aware bounds; ``start`` is floored and ``end`` ceiled to the step (UTC).
    step_minutes : int
        A multiple of 5 that divides a day. [min]

    Returns
    -------
    Trace
        Average load and solar per sample. [kW]
    """
    start = require_aware(start, "start")
    end = require_aware(end, "end")
    if end <= start:
        raise ValueError(f"end {end.isoformat()} must be after start {start.isoformat()}")
    if step_minutes % 5 or 1440 % step_minutes:
        raise ValueError(f"step_minutes must be a multiple of 5 dividing a day, got {step_minutes}")
    step_s = step_minutes * 60
    t0 = int(start.timestamp()) // step_s * step_s
    t1 = -(-int(end.timestamp()) // step_s) * step_s
    first = datetime.fromtimestamp(t0, UTC).year
    last = datetime.fromtimestamp(t1 - 1, UTC).year
    years = [_year(h, y) for y in range(first, last + 1)]
    epoch_s = np.concatenate([y.epoch_s for y in years])
    load = np.concatenate([y.load_kw for y in years])
    solar = np.concatenate([y.solar_kw for y in years])
    per = step_s // BASE_STEP_S
    epoch_s, load, solar = epoch_s[::per], _mean(load, per), _mean(solar, per)
    keep = (epoch_s >= t0) & (epoch_s < t1)
    return Trace(epoch_s=epoch_s[keep], load_kw=load[keep], solar_kw=solar[keep])


def realistic_year(key: str, year: int = 2025, *, step_minutes: int = 5) -> Trace:
    """Household ``key`` over one UTC calendar year (see :func:`realistic_trace`)."""
    return realistic_trace(
        key,
        datetime(year, 1, 1, tzinfo=UTC),
        datetime(year + 1, 1, 1, tzinfo=UTC),
        step_minutes=step_minutes,
    )


def _mean(values: np.ndarray, per: int) -> np.ndarray:
    return values if per == 1 else values.reshape(-1, per).mean(axis=1)
