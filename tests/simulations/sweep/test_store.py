"""The results folder: one Parquet file per household, combined; another sweep is refused."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from simulations.replay import ReplayError
from simulations.sweep import SCHEMA, HouseholdResult, ResultStore


def _result(key: str, cost: float) -> HouseholdResult:
    row = dict.fromkeys(SCHEMA.names)
    row.update(household=key, tariff="flux", strategy="wattplan", cost_gbp=cost, commands=3)
    return HouseholdResult(key, f"/data/{key}.csv", rows=(row,))


def test_written_households_are_done_and_combine(tmp_path):
    store = ResultStore(tmp_path / "out")
    store.open({"axes": "a"})
    store.write(_result("h1", 1.5))
    store.write(_result("h2", 2.5))
    assert store.done("h1") and not store.done("h3")
    table = store.combine(["h2", "h1", "h3"])
    assert table.column("household").to_pylist() == ["h2", "h1"]
    assert pq.read_table(tmp_path / "out" / "cells.parquet").num_rows == 2
    assert (tmp_path / "out" / "cells.csv").read_text().startswith("household,source,")
    assert not list((tmp_path / "out" / "households").glob("*.partial"))


def test_failures_are_listed_with_the_file_and_reason(tmp_path):
    store = ResultStore(tmp_path)
    store.open({})
    bad = HouseholdResult("h9", "/data/h9.csv", error="/data/h9.csv:3: expected a number")
    path = store.write_failures([bad])
    assert path.read_text().splitlines()[1] == "h9,/data/h9.csv,/data/h9.csv:3: expected a number"
    assert store.write_failures([]) is None and not path.exists()


def test_a_folder_of_another_sweep_is_refused(tmp_path):
    ResultStore(tmp_path).open({"axes": "a"})
    ResultStore(tmp_path).open({"axes": "a"})  # the same sweep resumes
    with pytest.raises(ReplayError, match="found another's"):
        ResultStore(tmp_path).open({"axes": "b"})
