"""The sweep's summary: savings quantiles and how often each tariff is the cheapest."""

from __future__ import annotations

import pyarrow as pa
import pytest

from simulations.sweep import SCHEMA, summarise


def _row(household, tariff, cost, savings, battery="13.5/5", strategy="wattplan"):
    row = dict.fromkeys(SCHEMA.names)
    row.update(
        household=household,
        tariff=tariff,
        region="C",
        strategy=strategy,
        battery=battery,
        budget="config",
        cost_gbp=cost,
        savings_gbp=savings,
        capture_ratio=0.9,
    )
    return row


def test_best_share_and_quantiles():
    rows = [
        _row("h1", "flux", 100.0, 50.0),
        _row("h1", "agile", 90.0, 40.0),
        _row("h2", "flux", 80.0, 30.0),
        _row("h2", "agile", 95.0, 20.0),
        _row("h3", "flux", 70.0, 10.0),
        _row("h3", "agile", 70.0, 25.0),  # a tie goes to the first tariff given
    ]
    summary = summarise(pa.Table.from_pylist(rows, schema=SCHEMA))
    by = {r.tariff: r for r in summary.itertuples()}
    assert by["flux"].best_share == pytest.approx(2 / 3)
    assert by["agile"].best_share == pytest.approx(1 / 3)
    assert by["flux"].median_savings_gbp == 30.0
    assert by["flux"].p10_savings_gbp == pytest.approx(14.0)
    assert by["agile"].households == 3


def test_an_empty_table_summarises_to_nothing():
    assert summarise(SCHEMA.empty_table()).empty
