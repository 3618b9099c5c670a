"""A grid outage keeps the reserve for the home; a rule's forced mode goes on top of the plan;
``wattplan plan --apply`` applies the current slot and leaves a lease for a forced state."""

from __future__ import annotations

import json
from datetime import timedelta

from optimiser.cli import main
from optimiser.control.safety import Failure
from optimiser.domain.device import OperationMode
from optimiser.domain.units import app_to_raw
from rules import loads_rules
from tests.optimiser.service.test_fallbacks import at_night, charging
from tests.optimiser.service.test_run_local import make_service

FLOOR_RAW = app_to_raw(20.0)


def test_a_grid_outage_never_lowers_the_reserve(house):
    at_night(house, 2)
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert charging(house)
    raised = house.site.settings.backup_reserve_raw_percent

    house.site.cut_power()
    service.run(until=house.clock.now() + timedelta(hours=1))
    outage = [d for d in service.decisions if d.why == "grid outage"]
    assert outage and outage[0].applied.failure is Failure.GRID_OUTAGE
    later = [d for d in service.decisions if d.time > outage[0].time and d.applied]
    assert later and all(d.applied.failure is Failure.GRID_OUTAGE for d in later)
    assert house.site.settings.backup_reserve_raw_percent >= raised - 0.01

    house.site.restore_power()
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert any(d.why == "grid back" for d in service.decisions)


def test_a_rule_forced_mode_is_applied_on_top_of_the_plan(house):
    at_night(house, 1)
    service = make_service(house)
    service.rules = loads_rules(
        "rules:\n  - name: quiet night\n    when: {time: '01:00-01:30'}\n"
        "    do: {force_mode: backup}\n"
    )
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert house.site.settings.mode is OperationMode.BACKUP
    first = service.decisions[0].applied
    assert first.lease is not None  # backup mode is a forced state
    assert any("forces backup" in n for n in first.notes)
    service.run(until=house.clock.now() + timedelta(minutes=30))  # the window is over
    assert house.site.settings.mode is OperationMode.SELF_CONSUMPTION


def test_plan_apply_on_the_embedded_emulator(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))
    config = tmp_path / "config.yaml"
    config.write_text("control:\n  backend: local\n")
    assert main(["--config", str(config), "plan", "--apply", "--json"]) == 0
    applied = json.loads(capsys.readouterr().out)["applied"]
    assert applied["dry_run"] is False and applied["ok"] is True
    assert applied["span"] is not None and applied["failure"] is None
    lease = tmp_path / "state" / "lease.json"
    # A lease file exists exactly when the applied settings are a forced state.
    assert lease.exists() == (applied["lease"] is not None)
    assert applied["target"]["backup_reserve_app_percent"] >= 20  # never below the floor

    config.write_text("control:\n  backend: dry-run\n")
    assert main(["--config", str(config), "plan", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "apply (" in out and ("would send" in out)
