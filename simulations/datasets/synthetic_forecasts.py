"""A synthetic weather provider: solar forecasts issued from the truth with realistic error.

No archive of real day-ahead forecasts ships offline, so the replay's judgement of "what a
provider adds" uses this documented stand-in. It behaves like a numerical-weather-prediction
solar forecast (Open-Meteo's) for the array:

- **Issues**: model runs at 00, 06, 12 and 18 UTC, usable :data:`ErrorModel.delay_h` (4 h)
  later, each covering :data:`ErrorModel.horizon_h` (72 h) from its run in 30-minute intervals.
- **What it can know**: the hourly mean clear-sky index of the truth (AC output over the
  array's pvlib clear-sky AC output), never the sub-hourly cloud passes.
- **Skill fading with lead time** ``L`` [h]: the forecast index is
  ``w(L)·k_hourly + (1 − w(L))·k_climate + e`` with ``w(L) = exp(−L / skill_h)`` and
  ``k_climate`` the month's typical index (:func:`optimiser.forecast.pv.typical_clearness`);
  the error ``e = σ(L)·c(k)·z`` has ``σ(L) = σ₀ + (σ∞ − σ₀)(1 − exp(−L / 24 h))`` and is
  **cloud-driven**: ``c(k) = floor + 4k(1 − k)``, largest under broken cloud, small under a
  clear or an overcast sky. ``z`` is Gaussian, correlated over ``corr_h`` hours of target
  time (AR(1)) and between successive runs (``run_correlation``), as real runs share their
  errors.
- Clipped to ``[0, 1.1]``; night (clear-sky output under 2 % of kWp) is zero.

Defaults (:class:`ErrorModel`) are set so that on the realistic households the day-ahead nMAE
(30-min slots, nights included, as ``benchmarks/forecast_quality.py`` scores) is about 25–40 %
and the intraday (next 6 h) about 20–27 % (tuning households, May 2025) — in the range
published for NWP-based PV forecasts in
north-west Europe (day-ahead nMAE of daily mean output 25–40 %), and well below persistence.
They are assumptions, not measurements: a real archive (``forecast.weather.keep_answers``)
replaces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from optimiser.domain.slots import require_aware
from optimiser.domain.traces import Trace
from optimiser.forecast.pv import ArrayModel, clear_sky_kw, typical_clearness
from optimiser.forecast.weather import ForecastArchive, IssuedForecast
from optimiser.forecast.weather.archive import power_issue
from optimiser.forecast.weather.provider import Provider

INTERVAL_S = 1800
HOUR_S = 3600


@dataclass(frozen=True)
class ErrorModel:
    """The synthetic provider's error model (see the module docstring).

    Attributes
    ----------
    run_hours_utc : tuple of int
        Model runs. [h]
    delay_h : float
        From a run to when its forecast can be used. [h]
    horizon_h : float
        How far each run reaches. [h]
    sigma0, sigma_inf : float
        Index error scale at lead 0 and long leads. [-]
    skill_h : float
        Lead time over which the forecast leans towards climatology. [h]
    floor : float
        Cloud factor under a clear or overcast sky. [-]
    corr_h : float
        Correlation time of the error in target time. [h]
    run_correlation : float
        Correlation of the errors of successive runs. [-]
    """

    run_hours_utc: tuple[int, ...] = (0, 6, 12, 18)
    delay_h: float = 4.0
    horizon_h: float = 72.0
    sigma0: float = 0.10
    sigma_inf: float = 0.28
    skill_h: float = 120.0
    floor: float = 0.35
    corr_h: float = 3.0
    run_correlation: float = 0.6


def _interval_means(epoch_s: np.ndarray, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Mean of ``values`` (piecewise constant from each ``epoch_s``) over each 30-min interval."""
    at = np.searchsorted(starts, epoch_s, side="right") - 1
    ok = (at >= 0) & (at < len(starts))
    total = np.bincount(at[ok], values[ok], len(starts))
    count = np.bincount(at[ok], minlength=len(starts))
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def synthetic_archive(
    trace: Trace,
    array: ArrayModel,
    start: datetime,
    end: datetime,
    *,
    seed: int,
    model: ErrorModel = ErrorModel(),
) -> ForecastArchive:
    """Forecasts issued between ``start`` and ``end`` for the solar of ``trace`` at ``array``."""
    t0 = require_aware(start, "start").timestamp()
    t1 = require_aware(end, "end").timestamp()
    rng = np.random.default_rng(seed)
    first = np.floor((t0 - model.horizon_h * HOUR_S) / INTERVAL_S) * INTERVAL_S
    starts = np.arange(first, t1 + model.horizon_h * HOUR_S, INTERVAL_S)
    truth = _interval_means(trace.epoch_s, trace.solar_kw, starts)
    points = (starts[:, None] + np.arange(300, INTERVAL_S, 600)[None, :]).reshape(-1)
    clear = clear_sky_kw(points, array).reshape(len(starts), -1).mean(axis=1)
    day = clear > 0.02 * array.kwp
    index = np.where(day & np.isfinite(truth), truth / np.where(day, clear, 1.0), np.nan)
    # What a weather model resolves: the hourly mean index (centred, over two intervals).
    padded = np.where(np.isfinite(index), index, 0.0)
    weight = np.isfinite(index).astype(float)
    kernel = np.array([0.5, 1.0, 0.5])
    hourly = np.convolve(padded, kernel, "same") / np.maximum(
        np.convolve(weight, kernel, "same"), 1e-9
    )
    climate = typical_clearness(starts + INTERVAL_S / 2)
    per_run = int(model.horizon_h * HOUR_S / INTERVAL_S)
    ar = np.exp(-INTERVAL_S / (model.corr_h * HOUR_S))
    day_s = 86400.0
    runs = [
        d * day_s + h * HOUR_S
        for d in range(int(np.floor(t0 / day_s)) - 1, int(np.ceil(t1 / day_s)) + 1)
        for h in model.run_hours_utc
    ]
    issues: list[IssuedForecast] = []
    z_prev: np.ndarray | None = None
    for run_s in runs:
        issued_s = run_s + model.delay_h * HOUR_S
        if not t0 - 2 * day_s <= issued_s <= t1:
            continue
        i0 = int(np.searchsorted(starts, run_s))
        idx = np.arange(i0, min(i0 + per_run, len(starts)))
        # Gaussian noise correlated in target time (AR(1)) and between runs.
        white = rng.standard_normal(per_run)
        z = np.empty(per_run)
        z[0] = white[0]
        for j in range(1, per_run):
            z[j] = ar * z[j - 1] + np.sqrt(1 - ar**2) * white[j]
        if z_prev is not None:
            rho = model.run_correlation
            shift = round((runs[1] - runs[0]) / INTERVAL_S)
            carried = np.concatenate([z_prev[shift:], z[: min(shift, per_run)]])[:per_run]
            z = rho * carried + np.sqrt(1 - rho**2) * z
        z_prev = z
        lead_h = (starts[idx] - run_s) / HOUR_S + 0.25
        skill = np.exp(-lead_h / model.skill_h)
        sigma = model.sigma0 + (model.sigma_inf - model.sigma0) * (1 - np.exp(-lead_h / 24.0))
        k = np.nan_to_num(hourly[idx], nan=climate[idx])
        cloud = model.floor + 4 * np.clip(k, 0, 1) * (1 - np.clip(k, 0, 1))
        forecast_k = skill * k + (1 - skill) * climate[idx] + sigma * cloud * z[: len(idx)]
        kw = np.where(day[idx], np.clip(forecast_k, 0.0, 1.1) * clear[idx], 0.0)
        issues.append(power_issue(issued_s, Provider.SYNTHETIC, starts[i0], INTERVAL_S, kw))
    return ForecastArchive(issues)
