"""The few distribution functions the demo household needs, in numpy.

``scipy.stats`` and ``scipy.signal`` cost over a quarter of a second to import, and the demo
drives the embedded emulator behind every ``wattplan plan`` without a gateway. The normal CDF,
the Beta quantile and the AR(1) filter here agree with ``scipy.stats.norm.cdf``,
``scipy.stats.beta.ppf`` and ``scipy.signal.lfilter`` to a few ulps (the filter exactly):
``tests/simulations/datasets/test_distributions.py``.
"""

from __future__ import annotations

import math

import numpy as np

#: Most continued-fraction terms for the incomplete beta function (it stops when converged:
#: the demo's shapes, a and b within 0.5…3, take under 40). [-]
BETA_CF_TERMS = 200
_TINY = 1e-300
#: Most Newton/bisection steps for a Beta quantile (it stops when converged, ~8). [-]
BETA_PPF_STEPS = 100
_lgamma = np.frompyfunc(math.lgamma, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF. [-]"""
    z = np.asarray(z, dtype=float)
    return 0.5 * _erfc(-z / math.sqrt(2.0)).astype(float)


def _beta_cf(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    d = 1.0 - qab * x / qap
    d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
    h = d.copy()
    for m in range(1, BETA_CF_TERMS + 1):
        m2 = 2 * m
        for aa in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + aa * d
            d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
            c = 1.0 + aa / c
            c = np.where(np.abs(c) < _TINY, _TINY, c)
            h = h * d * c
        if np.all(np.abs(d * c - 1.0) < 3e-16):
            break
    return h


def _log_beta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (_lgamma(a) + _lgamma(b) - _lgamma(a + b)).astype(float)


def beta_cdf(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Regularised incomplete beta function ``I_x(a, b)`` for 0 ≤ x ≤ 1. [-]"""
    x, a, b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, a, b)))
    inner = np.clip(x, 1e-300, 1 - 1e-16)
    log_front = a * np.log(inner) + b * np.log1p(-inner) - _log_beta(a, b)
    flip = x > (a + 1.0) / (a + b + 2.0)
    xs = np.where(flip, 1.0 - inner, inner)
    aa, bb = np.where(flip, b, a), np.where(flip, a, b)
    part = np.exp(log_front) * _beta_cf(xs, aa, bb) / aa
    out = np.where(flip, 1.0 - part, part)
    return np.where(x <= 0, 0.0, np.where(x >= 1, 1.0, out))


def beta_ppf(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Quantile of the Beta(a, b) distribution: Newton steps kept inside a shrinking bracket
    (a bisection step wherever Newton would leave it). [-]"""
    p, a, b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (p, a, b)))
    lo, hi = np.zeros_like(p), np.ones_like(p)
    x = np.full_like(p, 0.5)
    log_b = _log_beta(a, b)
    for _ in range(BETA_PPF_STEPS):
        f = beta_cdf(x, a, b) - p
        lo, hi = np.where(f < 0, x, lo), np.where(f < 0, hi, x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            pdf = np.exp((a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x) - log_b)
            newton = x - f / pdf
        inside = np.isfinite(newton) & (newton > lo) & (newton < hi)
        step = np.where(inside, newton, 0.5 * (lo + hi))
        done = np.all(np.abs(step - x) <= 1e-15 * np.maximum(x, 1e-300))
        x = step
        if done:
            break
    return np.where(p <= 0, 0.0, np.where(p >= 1, 1.0, x))


def ar1_filter(x: np.ndarray, phi: float) -> np.ndarray:
    """``y[n] = x[n] + φ·y[n−1]`` from rest (``scipy.signal.lfilter([1], [1, −φ], x)``)."""
    out = np.empty(len(x))
    y = 0.0
    for i, value in enumerate(np.asarray(x, dtype=float).tolist()):
        y = value + phi * y
        out[i] = y
    return out
