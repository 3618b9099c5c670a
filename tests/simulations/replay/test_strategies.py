"""On a fortnight of the demo household under Flux, wattplan beats Tesla's own modes."""

from __future__ import annotations

from datetime import date

import pytest

from simulations.replay import Strategy, run_strategy
from simulations.replay.report import Comparison
from tests.simulations.replay.conftest import LONDON, period


@pytest.fixture(scope="module")
def comparison(flux, site):
    data, prices = period(flux, date(2025, 3, 3), 14)
    result = Comparison(data=data, tz=LONDON, prices={"flux": prices})
    for name in Strategy:
        result.add("flux", run_strategy(name, data, prices, site))
    return result


def test_wattplan_beats_self_powered_and_time_based_under_flux(comparison):
    rows = {row["strategy"]: row for row in comparison.summary()}
    cost = {name: row["cost_gbp"] for name, row in rows.items()}
    assert cost["wattplan"] < cost["self-powered"]
    assert cost["wattplan"] < cost["time-based"]
    # The bound counts the energy it leaves stored (the table does not, README): allow for
    # the difference in stored energy at the dearest import price. It optimises the planner's
    # objective (wear included), the table counts money only; and it follows its 30-minute plan
    # at constant power through 5-minute data, where wattplan's Tesla modes follow the load
    # within the slot, so wattplan may come out a little ahead of it: allow 5 % of its savings.
    left = rows["perfect-foresight"]["stored_change_kwh"] - rows["wattplan"]["stored_change_kwh"]
    dearest = float(comparison.prices["flux"].import_price.max()) / 100.0
    margin = 0.05 * (cost["no-battery"] - cost["perfect-foresight"])
    assert cost["perfect-foresight"] < cost["wattplan"] + max(left, 0.0) * dearest + margin
    assert max(cost.values()) == cost["no-battery"]


def test_capture_ratio_and_savings(comparison):
    rows = {row["strategy"]: row for row in comparison.summary()}
    assert rows["perfect-foresight"]["capture_ratio"] == 1.0
    assert rows["no-battery"]["savings_gbp"] == 0.0
    # The bound optimises the planner's objective (wear, stored energy's end value), the table
    # counts money only, and it follows 30-minute means through 5-minute data: over a fortnight
    # the ratio may come out a little above 1 (README; measured 1.036 with the tie-break).
    assert 0.5 < rows["wattplan"]["capture_ratio"] < 1.05
    assert rows["wattplan"]["capture_ratio"] > rows["time-based"]["capture_ratio"]
    base = rows["no-battery"]["cost_gbp"]
    assert rows["wattplan"]["savings_gbp"] == pytest.approx(
        base - rows["wattplan"]["cost_gbp"], abs=0.011
    )


def test_per_day_rows_add_up_to_the_totals(comparison):
    per_day = comparison.per_day()
    for row in comparison.summary():
        days = [r for r in per_day if r["strategy"] == row["strategy"]]
        assert len(days) == 14
        energy = sum(r["cost_gbp"] for r in days)
        assert energy == pytest.approx(row["energy_gbp"], abs=0.01)
