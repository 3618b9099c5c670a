"""``wattplan plan`` end to end on the embedded emulator: no config, offline, real HTTPS + LP."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from optimiser.cli import main
from optimiser.domain.actions import Action

ROOT = Path(__file__).parents[2]
ACTIONS = {a.value for a in Action}


@pytest.fixture(autouse=True)
def fresh_home(tmp_path, monkeypatch):
    """A user with no config, no recordings and an empty state directory."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("WATTPLAN_CONFIG", raising=False)
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))


def plan_json(capsys, *args: str) -> dict:
    assert main(["plan", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_plan_json_has_the_documented_shape(capsys):
    doc = plan_json(capsys)
    assert doc["status"] == "optimal"
    slots = doc["slots"]
    start = datetime.fromisoformat(slots[0]["start"])
    end = datetime.fromisoformat(slots[-1]["end"])
    assert start <= datetime.now(start.tzinfo) < start + timedelta(minutes=30)
    assert timedelta(hours=24) < end - start <= timedelta(hours=48, minutes=30)
    for slot in slots:
        for key in ("import_price", "export_price", "load_kwh", "solar_kwh", "import_kwh"):
            assert isinstance(slot[key], float | int), key
        for key in ("export_kwh", "charge_kwh", "discharge_kwh", "soe_kwh"):
            assert slot[key] >= 0, key
        assert slot["action"] in ACTIONS
        assert slot["why"] is None or isinstance(slot["why"], str)  # only where control deviates
        # energy balance of every slot, as printed
        supply = slot["import_kwh"] + slot["solar_kwh"] + slot["discharge_kwh"]
        demand = slot["load_kwh"] + slot["export_kwh"] + slot["charge_kwh"]
        assert supply - slot.get("curtailed_kwh", 0) == pytest.approx(demand, abs=2e-3)
    costs = doc["costs"]
    assert costs["plan_gbp"] <= costs["no_battery_gbp"] + 1e-6
    assert costs["plan_gbp"] <= costs["self_powered_gbp"] + 1e-6
    assert set(doc["timings_ms"]) >= {"build", "solve"}
    # Flux: the cheap night band is where the grid charges the battery, if anywhere
    for slot in slots:
        if slot["action"] == "charge_from_grid":
            assert slot["import_price"] == min(s["import_price"] for s in slots)


def test_plan_table_and_plot(capsys, tmp_path):
    png = tmp_path / "plan.png"
    assert main(["plan", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "expected cost with this plan" in out and "embedded emulator" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plan_with_the_example_rules_runs_offline_and_reports_them(capsys):
    doc = plan_json(
        capsys,
        "--rules",
        str(ROOT / "examples" / "rules.yaml"),
        "--context",
        "storm_warning=true@1d",
    )
    rules = doc["rules"]
    assert rules["fired"]["storm reserve"], "the storm rule fires with the context set"
    assert rules["rules_cost_gbp"] is not None and rules["without_rules_gbp"] is not None
    assert any("storm reserve" in c for c in rules["conflicts"])


def test_broken_rules_file_is_a_user_error(tmp_path, capsys):
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - name: x\n    do: {hold: true, colour: red}\n")
    assert main(["plan", "--rules", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "rules.yaml:3" in err and "colour" in err


def test_json_stdout_is_pure_json_in_a_fresh_process(tmp_path):
    env = {"HOME": str(tmp_path), "WATTPLAN_STATE_DIR": str(tmp_path / "s"), "PATH": "/usr/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "optimiser.cli", "plan", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert json.loads(out)["status"] == "optimal"
