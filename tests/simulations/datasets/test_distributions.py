"""The demo's numpy distributions against scipy (a test-only comparison)."""

from __future__ import annotations

import numpy as np
from scipy import signal, stats

from simulations.datasets.distributions import ar1_filter, beta_cdf, beta_ppf, normal_cdf


def test_normal_cdf_matches_scipy():
    z = np.linspace(-8, 8, 2001)
    np.testing.assert_allclose(normal_cdf(z), stats.norm.cdf(z), rtol=1e-13, atol=1e-300)


def test_beta_cdf_and_quantile_match_scipy_over_the_demo_shapes():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 1, 4000)
    mean = rng.uniform(0.3, 0.8, 4000)
    a, b = 3.0 * mean, 3.0 * (1 - mean)
    np.testing.assert_allclose(beta_ppf(p, a, b), stats.beta.ppf(p, a, b), rtol=1e-13, atol=1e-15)
    x = rng.uniform(0, 1, 4000)
    np.testing.assert_allclose(beta_cdf(x, a, b), stats.beta.cdf(x, a, b), rtol=1e-13, atol=1e-15)


def test_beta_quantile_ends():
    assert beta_ppf(np.array([0.0, 1.0]), 2.0, 1.5).tolist() == [0.0, 1.0]


def test_ar1_filter_is_lfilter_exactly():
    x = np.random.default_rng(5).standard_normal(5000)
    assert np.array_equal(ar1_filter(x, 0.93), signal.lfilter([1.0], [1.0, -0.93], x))
