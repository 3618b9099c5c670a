"""Recorded data in: gaps, duplicates, out-of-order rows and both clock changes are handled
and reported, and the recorded battery is validated against the replay day by day."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import pytest

from optimiser.cli import main
from optimiser.domain.history import History
from simulations.datasets import demo_trace, write_recorded_csv
from simulations.replay import ReplayData, Strategy, load_data, run_strategy
from simulations.replay.data import coarsen
from tests.simulations.replay.conftest import LONDON

CLOCK_CHANGES = {
    "spring": (datetime(2025, 3, 28, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)),
    "autumn": (datetime(2025, 10, 24, tzinfo=UTC), datetime(2025, 10, 28, tzinfo=UTC)),
}


def recording(tmp_path, flux, site, which: str):
    """A 5-minute CSV in local time across a clock change, with the battery run in
    self-powered mode recorded, then damaged: duplicates, swapped rows, a short and a long gap."""
    start, end = CLOCK_CHANGES[which]
    trace = demo_trace(start, end)
    clean = ReplayData(trace, trace, "clean")
    from simulations.replay import period_prices

    prices = period_prices(flux, clean.start, clean.end, 30, 25)
    sp = run_strategy(Strategy.SELF_POWERED, clean, prices, site)
    columns = {
        "battery_w": [f"{w:.1f}" for w in sp.battery_kw * 1000],
        "soe_percent": [f"{p:.3f}" for p in 100 * sp.soe_kwh / site.capacity_kwh],
        "mode": ["self_consumption"] * len(trace.epoch_s),
    }
    path = write_recorded_csv(trace, tmp_path / f"{which}.csv", tz=LONDON, columns=columns)
    lines = path.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    rows[800], rows[801] = rows[801], rows[800]  # out of order
    rows.insert(900, rows[900])  # duplicates
    rows.insert(950, rows[950])
    del rows[1000:1002]  # 10 minutes missing: filled
    del rows[1100:1136]  # 3 hours missing: excluded and reported
    path.write_text("\n".join([header, *rows]) + "\n")
    return path, sp


@pytest.mark.parametrize("which", sorted(CLOCK_CHANGES))
def test_simulate_reports_the_cleaning_and_validates_day_by_day(
    tmp_path, capsys, flux, site, which
):
    path, self_powered = recording(tmp_path, flux, site, which)
    code = main(["simulate", "--data", str(path), "--json", "--strategy", "wattplan"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    quality = doc["data"]["quality"]
    assert quality["clock_changes"] == 1
    assert quality["duplicates"] == 2
    assert quality["out_of_order"] >= 1
    assert quality["short_gaps"] == 1
    assert len(quality["long_gaps"]) == 1
    assert quality["long_gap_s"] >= 3 * 3600 - 1
    assert quality["steps_from_other_day"] >= 30
    assert any("long gaps excluded" in line for line in doc["data"]["report"])
    strategies = {r["strategy"] for r in doc["results"]}
    assert strategies == {"wattplan", "no-battery", "perfect-foresight", "actual"}
    checks = doc["validation"]["flux"]
    assert len(checks) >= 4
    # The first local day is untouched by the damage: the recorded (self-powered) battery's
    # cost equals the self-powered replay of the clean data.
    first = checks[0]
    expected = self_powered.per_day(LONDON)[date.fromisoformat(first["day"])]
    assert first["actual_cost_gbp"] == pytest.approx(expected["cost_gbp"], abs=0.01)
    assert first["actual_modes"] == "self_consumption:100%"
    assert first["difference_gbp"] == pytest.approx(
        first["wattplan_cost_gbp"] - first["actual_cost_gbp"], abs=1e-3
    )


def test_human_output_shows_the_quality_report_and_the_price_basis(tmp_path, capsys, flux, site):
    path, _ = recording(tmp_path, flux, site, "spring")
    csv_path = tmp_path / "per_day.csv"
    code = main(
        ["simulate", "--data", str(path), "--strategy", "self-powered", "--csv", str(csv_path)]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "duplicate rows dropped" in out
    assert "long gaps excluded" in out
    assert "clock changes" in out
    assert "current rates applied to every day (not historical)" in out
    header = csv_path.read_text().splitlines()[0].split(",")
    assert header[:4] == ["day", "tariff", "strategy", "cost_gbp"]


def test_forecast_history_is_coarsened_without_leaking_the_future():
    t = np.arange(0, 3600, 300, dtype=float)
    load = np.arange(12, dtype=float)
    load[7] = np.nan
    h = coarsen(History(t, load, load, interval_s=300.0), 900.0)
    assert h.interval_s == 900.0
    assert list(h.epoch_s) == [0.0, 900.0, 1800.0, 2700.0]
    assert h.load_kw[0] == 1.0 and np.isnan(h.load_kw[2])
    # A decision at 1799 s sees only the bin that ended at 900 s.
    assert len(h.before(datetime.fromtimestamp(1799, UTC))) == 1


def test_a_missing_file_is_a_user_error(tmp_path, capsys):
    assert main(["simulate", "--data", str(tmp_path / "nope.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_period_outside_the_data_is_a_user_error(tmp_path, capsys, flux, site):
    path, _ = recording(tmp_path, flux, site, "spring")
    code = main(["simulate", "--data", str(path), "--start", "2024-01-01", "--days", "2"])
    assert code == 2
    assert "expected a period within the data" in capsys.readouterr().err


def test_load_data_keeps_the_recorded_battery(tmp_path, flux, site):
    path, _ = recording(tmp_path, flux, site, "autumn")
    data = load_data(path)
    assert data.actual is not None and data.actual.battery_kw is not None
    assert data.step_s == 300
