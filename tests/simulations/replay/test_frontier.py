"""``wattplan simulate --budgets``: cost and capture per daily write budget, within each."""

from __future__ import annotations

import json

import pytest

from optimiser.cli import main
from simulations.replay.frontier import parse_budgets


def test_budgets_parse_and_bad_ones_say_what_was_expected():
    assert parse_budgets("2, 5,unlimited,5") == [2, 5, None]
    with pytest.raises(ValueError, match="whole numbers ≥ 1 or 'unlimited'"):
        parse_budgets("2,lots")
    with pytest.raises(ValueError, match="'0'"):
        parse_budgets("0")


def test_frontier_json_table_and_plot(capsys, tmp_path):
    argv = ["simulate", "--demo", "--days", "2", "--start", "2025-05-10", "--tariff", "flux"]
    assert main([*argv, "--budgets", "5,unlimited", "--json", "--workers", "1"]) == 0
    points = json.loads(capsys.readouterr().out)["frontier"]["flux"]
    assert [p["writes_per_day"] for p in points] == [5, None]
    limited, free = points
    assert limited["max_per_day"] <= 5 and limited["safety_commands"] == 3
    assert limited["tariff_uploads"] <= 1
    # Unlimited follows every span; 5 a day runs the scarce policy, which may do as well.
    assert free["max_per_day"] > limited["max_per_day"]
    assert all(p["capture_ratio"] is not None for p in points)
    plots = tmp_path / "plots"
    assert main([*argv, "--budgets", "5", "--workers", "1", "--plot", str(plots)]) == 0
    out = capsys.readouterr().out
    assert "| 5 (3) |" in out and (plots / "flux" / "frontier.png").exists()
