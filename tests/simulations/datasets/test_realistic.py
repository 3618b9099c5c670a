"""The realistic evaluation set: reproducible, UK-like, and not as regular as the demo."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from simulations.datasets.realistic import (
    HELD_BACK,
    HOUSEHOLDS,
    TUNING,
    bank_holidays,
    household,
    realistic_trace,
    realistic_year,
)


def _daily_kwh(values_kw: np.ndarray, step_minutes: int = 5) -> np.ndarray:
    per_day = 1440 // step_minutes
    return values_kw[: len(values_kw) // per_day * per_day].reshape(-1, per_day).sum(axis=1) * (
        step_minutes / 60
    )


def test_split_is_disjoint_and_covers_every_household():
    assert set(TUNING).isdisjoint(HELD_BACK)
    assert sorted(TUNING + HELD_BACK) == sorted(h.key for h in HOUSEHOLDS)
    with pytest.raises(ValueError, match="h1"):
        household("h9")


@pytest.mark.parametrize("h", HOUSEHOLDS, ids=lambda h: h.key)
def test_each_year_is_uk_like(h):
    year = realistic_year(h.key)
    assert len(year.epoch_s) == 365 * 288
    load_kwh = year.load_kw.sum() / 12
    pv_kwh_per_kwp = year.solar_kw.sum() / 12 / h.kwp
    assert 2500 < load_kwh < 7000
    assert 700 < pv_kwh_per_kwp < 1000  # PVGIS gives ~750–950 for UK roofs
    assert year.solar_kw.min() >= 0
    assert year.solar_kw.max() <= h.array().inverter_kw + 1e-9
    assert year.load_kw.min() > 0
    assert year.load_kw.max() < 16  # within a UK single-phase supply
    daily = _daily_kwh(year.load_kw)
    # Away weeks: some days run on the always-on load alone.
    assert (daily < 1.4 * 24 * h.shape.base_kw).sum() >= 5


def test_load_does_not_repeat_week_to_week():
    daily_profiles = realistic_year("h1", step_minutes=30).load_kw.reshape(365, 48)
    week_apart = np.abs(daily_profiles[7:] - daily_profiles[:-7]).mean()
    assert week_apart > 0.3 * daily_profiles.mean()


def test_windows_are_slices_of_the_year_and_coarser_steps_are_means():
    year = realistic_year("h3")
    start = datetime(2025, 3, 30, 0, 0, tzinfo=UTC)  # the clocks change this morning
    end = datetime(2025, 4, 2, 12, 0, tzinfo=UTC)
    window = realistic_trace("h3", start, end)
    i = int(np.searchsorted(year.epoch_s, start.timestamp()))
    np.testing.assert_array_equal(window.load_kw, year.load_kw[i : i + len(window.load_kw)])
    half_hours = realistic_trace("h3", start, end, step_minutes=30)
    np.testing.assert_allclose(half_hours.solar_kw, window.solar_kw.reshape(-1, 6).mean(axis=1))


def test_same_household_same_trace_and_years_join():
    a = realistic_trace("h2", datetime(2024, 12, 28, tzinfo=UTC), datetime(2025, 1, 3, tzinfo=UTC))
    b = realistic_trace("h2", datetime(2024, 12, 28, tzinfo=UTC), datetime(2025, 1, 3, tzinfo=UTC))
    np.testing.assert_array_equal(a.load_kw, b.load_kw)
    assert len(a.epoch_s) == 6 * 288
    assert np.all(np.diff(a.epoch_s) == 300)


def test_households_differ():
    loads = [realistic_year(key, step_minutes=60).load_kw for key in ("h1", "h4")]
    solars = [realistic_year(key, step_minutes=60).solar_kw for key in ("h1", "h4")]
    assert np.corrcoef(loads)[0, 1] < 0.8
    assert np.corrcoef(solars)[0, 1] < 0.95  # different weather, arrays and places


def test_heat_pump_home_uses_much_more_in_winter():
    months = realistic_year("h4", step_minutes=60).load_kw.reshape(-1)
    january, july = months[: 31 * 24].mean(), months[181 * 24 : 212 * 24].mean()
    assert january > 2.2 * july


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2025, {date(2025, 4, 18), date(2025, 4, 21), date(2025, 12, 25), date(2025, 12, 26)}),
        (2022, {date(2022, 1, 3), date(2022, 12, 26), date(2022, 12, 27)}),
        (2021, {date(2021, 12, 27), date(2021, 12, 28), date(2021, 5, 31)}),
    ],
)
def test_bank_holidays(year, expected):
    days = bank_holidays(year)
    assert len(days) == 8
    assert expected <= days
