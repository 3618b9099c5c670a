"""The demo household: deterministic, UK-realistic totals and shapes, window-independent."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from optimiser.domain.slots import LONDON
from simulations.datasets import demo_trace, demo_year, write_recorded_csv

HOURS_5MIN = 5 / 60


@pytest.fixture(scope="module")
def year():
    return demo_year(2025)


def _local(trace) -> pd.DatetimeIndex:
    return pd.to_datetime(trace.epoch_s.astype("int64"), unit="s", utc=True).tz_convert(LONDON)


def test_same_seed_same_data_and_other_seed_other_data():
    start = datetime(2025, 6, 1, tzinfo=UTC)
    end = start + timedelta(days=3)
    a, b = demo_trace(start, end), demo_trace(start, end)
    c = demo_trace(start, end, seed=1)
    assert np.array_equal(a.epoch_s, b.epoch_s)
    assert np.array_equal(a.load_kw, b.load_kw)
    assert np.array_equal(a.solar_kw, b.solar_kw)
    assert not np.allclose(a.load_kw, c.load_kw)
    assert not np.allclose(a.solar_kw, c.solar_kw)


def test_a_window_is_the_same_slice_of_the_year(year):
    start = datetime(2025, 7, 9, 13, 20, tzinfo=UTC)
    week = demo_trace(start, start + timedelta(days=7))
    i = int(np.searchsorted(year.epoch_s, start.timestamp()))
    assert week.epoch_s[0] == start.timestamp()
    assert len(week.epoch_s) == 7 * 288
    assert np.array_equal(week.epoch_s, year.epoch_s[i : i + 7 * 288])
    assert np.allclose(week.load_kw, year.load_kw[i : i + 7 * 288], atol=1e-9)
    assert np.allclose(week.solar_kw, year.solar_kw[i : i + 7 * 288], atol=1e-6)  # 1 mW


def test_coarser_steps_are_averages_of_the_5_minute_data(year):
    start = datetime(2025, 3, 1, tzinfo=UTC)
    half_hourly = demo_trace(start, start + timedelta(days=2), step_minutes=30)
    i = int(np.searchsorted(year.epoch_s, start.timestamp()))
    fine = year.load_kw[i : i + 2 * 288].reshape(-1, 6).mean(axis=1)
    assert len(half_hourly.epoch_s) == 96
    assert np.allclose(np.diff(half_hourly.epoch_s), 1800)
    assert np.allclose(half_hourly.load_kw, fine, atol=1e-9)


def test_step_must_fit_the_5_minute_base():
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="step_minutes"):
        demo_trace(start, start + timedelta(days=1), step_minutes=7)
    with pytest.raises(ValueError, match="timezone-aware"):
        demo_trace(datetime(2025, 1, 1), datetime(2025, 1, 2))


@pytest.mark.parametrize("seed", [0, 1])
def test_annual_totals_are_uk_realistic(seed, year):
    trace = year if seed == 0 else demo_year(2025, seed=seed)
    assert len(trace.epoch_s) == 365 * 288
    load_kwh = trace.load_kw.sum() * HOURS_5MIN
    yield_kwh_per_kwp = trace.solar_kw.sum() * HOURS_5MIN / 4.0
    assert 3400 <= load_kwh <= 3800
    assert 850 <= yield_kwh_per_kwp <= 950
    assert trace.solar_kw.min() >= 0.0
    assert trace.solar_kw.max() <= 3.7  # 3.68 kW inverter
    assert trace.load_kw.min() > 0.0


def test_seasons_daily_shape_and_weekends(year):
    when = _local(year)
    frame = pd.DataFrame({"load": year.load_kw, "solar": year.solar_kw}, index=when)
    monthly = frame.groupby(when.month).mean()
    winter, summer = [12, 1, 2], [6, 7, 8]
    assert monthly.loc[winter, "load"].mean() > 1.1 * monthly.loc[summer, "load"].mean()
    assert monthly.loc[summer, "solar"].mean() > 3 * monthly.loc[winter, "solar"].mean()
    hour = frame.groupby(when.hour).mean()
    assert hour.loc[0:3, "solar"].max() == 0.0  # no sun at night
    assert hour.loc[11:14, "solar"].mean() > 1.0
    base = hour.loc[2:4, "load"].mean()
    assert 0.2 <= base <= 0.35  # ~250 W base load
    assert hour.loc[18:20, "load"].mean() > 2.5 * base  # evening peak
    assert hour.loc[7:8, "load"].mean() > 1.3 * base  # morning peak
    weekend = when.day_of_week >= 5
    morning = (when.hour >= 7) & (when.hour < 8)
    assert frame.load[morning & ~weekend].mean() > frame.load[morning & weekend].mean()
    # Kettle and cooking spikes: some 5-minute readings far above the smooth level.
    assert np.quantile(year.load_kw, 0.999) > 2.0


def test_dst_days_are_just_more_or_fewer_samples():
    spring = demo_trace(
        datetime(2025, 3, 30, tzinfo=LONDON), datetime(2025, 3, 31, tzinfo=LONDON), step_minutes=30
    )
    autumn = demo_trace(
        datetime(2025, 10, 26, tzinfo=LONDON),
        datetime(2025, 10, 27, tzinfo=LONDON),
        step_minutes=30,
    )
    assert len(spring.epoch_s) == 46
    assert len(autumn.epoch_s) == 50


def test_recorded_csv_looks_like_a_gateway_log(tmp_path):
    trace = demo_trace(
        datetime(2025, 3, 29, tzinfo=LONDON), datetime(2025, 3, 31, tzinfo=LONDON), step_minutes=15
    )
    soe = np.linspace(20, 80, len(trace.epoch_s))
    path = write_recorded_csv(
        trace, tmp_path / "rec.csv", noise=0.02, seed=3, columns={"soe_percent": soe}
    )
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert list(rows[0]) == [
        "timestamp",
        "load_w",
        "solar_w",
        "site_w",
        "grid_status",
        "soe_percent",
    ]
    assert len(rows) == len(trace.epoch_s)
    stamps = [datetime.fromisoformat(r["timestamp"]) for r in rows]
    assert [s.timestamp() for s in stamps] == list(trace.epoch_s)
    assert rows[0]["timestamp"].endswith("+00:00")
    assert rows[-1]["timestamp"].endswith("+01:00")  # after the spring clock change
    load = np.array([float(r["load_w"]) for r in rows])
    solar = np.array([float(r["solar_w"]) for r in rows])
    site = np.array([float(r["site_w"]) for r in rows])
    assert np.all(solar[trace.solar_kw == 0] == -10.0)
    assert np.allclose(site, load - solar, atol=0.11)
    assert np.abs(load / (trace.load_kw * 1000) - 1).max() < 0.15  # noisy but close
    assert not np.allclose(load, trace.load_kw * 1000, atol=0.05)
    again = write_recorded_csv(
        trace, tmp_path / "again.csv", noise=0.02, seed=3, columns={"soe_percent": soe}
    )
    assert again.read_text() == path.read_text()


def test_recorded_csv_rejects_unknown_columns(tmp_path):
    trace = demo_trace(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC))
    with pytest.raises(ValueError, match="unknown CSV columns"):
        write_recorded_csv(trace, tmp_path / "x.csv", columns={"soc": [1] * 288})
