"""``wattplan plan --apply`` applies the current slot (on the embedded emulator: in its sandbox)."""

from __future__ import annotations

import json

from optimiser.cli import main


def test_plan_apply_on_the_embedded_emulator(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))
    config = tmp_path / "config.yaml"
    config.write_text("control:\n  backend: local\n")
    assert main(["--config", str(config), "plan", "--apply", "--json"]) == 0
    applied = json.loads(capsys.readouterr().out)["applied"]
    assert applied["dry_run"] is False and applied["ok"] is True
    assert applied["span"] is not None and applied["failure"] is None
    # The lease of a forced state on the demo site stays in the sandbox: none for a device
    # that does not exist in the real state directory.
    assert not (tmp_path / "state" / "lease.json").exists()
    assert applied["target"]["backup_reserve_app_percent"] >= 20  # never below the floor

    config.write_text("control:\n  backend: dry-run\n")
    assert main(["--config", str(config), "plan", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "apply (" in out and ("would send" in out)
