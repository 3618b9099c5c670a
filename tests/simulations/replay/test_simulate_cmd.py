"""``wattplan simulate``: the --json shape, tariff comparison, rules, and user mistakes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from optimiser.cli import main
from rules import loads_rules
from simulations.replay import ClosedLoopOptions, run_closed_loop
from tests.simulations.replay.conftest import period

RESULT_KEYS = {
    "tariff",
    "strategy",
    "cost_gbp",
    "import_kwh",
    "export_kwh",
    "throughput_kwh",
    "savings_gbp",
    "capture_ratio",
}


def test_json_shape_for_two_tariffs(capsys, tmp_path):
    code = main(
        [
            "simulate",
            "--demo",
            "--days",
            "2",
            "--start",
            "2025-05-10",
            "--tariff",
            "flux",
            "--tariff",
            "go",
            "--region",
            "A",
            "--json",
            "--plot",
            str(tmp_path / "plots"),
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)  # nothing but JSON on stdout
    assert set(doc) >= {"results", "data", "prices"}
    assert len(doc["results"]) == 2 * 5
    for row in doc["results"]:
        assert set(row) >= RESULT_KEYS
    by = {(r["tariff"], r["strategy"]): r for r in doc["results"]}
    assert by[("flux", "perfect-foresight")]["capture_ratio"] == 1.0
    assert by[("go", "no-battery")]["savings_gbp"] == 0.0
    for key in ("flux", "go"):
        assert doc["prices"][key]["estimated"] is True
        assert "snapshot" in doc["prices"][key]["source"]
        assert "(region A" in doc["prices"][key]["tariff"]
    assert doc["data"]["quality"] is None  # generated data: nothing was cleaned
    assert len(list((tmp_path / "plots").glob("*.png"))) == 4


def test_unknown_strategy_and_tariff_are_user_errors(capsys):
    assert main(["simulate", "--demo", "--days", "1", "--strategy", "yolo"]) == 2
    assert "expected strategies among" in capsys.readouterr().err
    assert main(["simulate", "--demo", "--days", "1", "--tariff", "nosuch"]) == 2


def test_a_no_export_rule_reduces_export(flux, site):
    data, prices = period(flux, date(2025, 6, 10), 2)
    options = ClosedLoopOptions()
    free = run_closed_loop(data, prices, site, options=options)
    rules = loads_rules(
        "version: 1\nrules:\n  - name: never export\n    do:\n      no_export: all\n"
    )
    banned = run_closed_loop(data, prices, site, options=options, rules=rules)
    assert free.export_kwh.sum() > 10.0
    assert banned.export_kwh.sum() < 0.05 * free.export_kwh.sum()
    assert banned.cost_gbp > free.cost_gbp


def test_workers_give_the_same_results_as_sequential(capsys):
    base = ["simulate", "--demo", "--days", "2", "--start", "2025-05-10", "--json"]
    outputs = []
    for workers in ("1", "2"):
        assert main([*base, "--workers", workers]) == 0
        outputs.append(json.loads(capsys.readouterr().out)["results"])
    assert outputs[0] == outputs[1]
    assert {r["strategy"] for r in outputs[1]} >= {"wattplan", "no-battery", "time-based"}


def test_workers_must_be_positive(capsys):
    with pytest.raises(SystemExit) as info:  # refused while parsing, before any work
        main(["simulate", "--demo", "--days", "2", "--workers", "0", "--json"])
    assert info.value.code == 2
    assert "--workers" in capsys.readouterr().err


def test_a_forecast_archive_is_replayed_and_a_bad_one_is_a_user_error(capsys, tmp_path):
    from optimiser.forecast.weather import ForecastArchive
    from optimiser.forecast.weather.archive import power_issue
    from optimiser.forecast.weather.provider import Provider

    missing = tmp_path / "missing.jsonl"
    base = ["simulate", "--demo", "--days", "1", "--start", "2025-06-02", "--json"]
    assert main([*base, "--forecast-archive", str(missing)]) == 2
    assert f"cannot read the forecast archive {missing}" in capsys.readouterr().err
    start = datetime(2025, 6, 1, tzinfo=UTC).timestamp()
    archive = tmp_path / "archive.jsonl"
    issued = [start + k * 6 * 3600 for k in range(12)]  # every 6 h, a sunless sky
    ForecastArchive(power_issue(t, Provider.SYNTHETIC, t, 1800, [0.0] * 144) for t in issued).save(
        archive
    )
    assert main([*base, "--strategy", "wattplan", "--forecast-archive", str(archive)]) == 0
    with_archive = json.loads(capsys.readouterr().out)["results"]
    assert main([*base, "--strategy", "wattplan"]) == 0
    without = json.loads(capsys.readouterr().out)["results"]
    assert with_archive != without  # a sunless forecast plans differently
