"""The embedded emulator's sandbox: fake data never reaches the real state or recordings."""

from __future__ import annotations

from pathlib import Path

from optimiser.cli.site import emulator_sandbox
from optimiser.config import load_config


def _config(tmp: Path, text: str = "") -> Path:
    path = tmp / "config.yaml"
    path.write_text(
        f"state_dir: {tmp / 'real-state'}\nrecorder:\n  database: {tmp / 'real.sqlite'}\n{text}"
    )
    return path


def test_the_embedded_emulator_gets_a_throwaway_state_dir_and_database(tmp_path, monkeypatch):
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "env-state"))
    config = load_config(_config(tmp_path))
    with emulator_sandbox(config) as sandboxed:
        state = sandboxed.state_path()
        database = Path(sandboxed.recorder.database)
        assert tmp_path not in state.parents and tmp_path not in database.parents
        assert state.parent == database.parent  # one throw-away directory for both
    assert not state.parent.exists()  # removed when the command ends
    for real in ("real-state", "real.sqlite", "env-state"):
        assert not (tmp_path / real).exists()


def test_a_configured_gateway_keeps_the_configured_state_dir_and_database(tmp_path, monkeypatch):
    monkeypatch.delenv("WATTPLAN_STATE_DIR", raising=False)
    config = load_config(_config(tmp_path, "gateway:\n  host: 192.0.2.1\n"))
    with emulator_sandbox(config) as same:
        assert same is config
        assert same.state_path() == tmp_path / "real-state"


def test_the_state_dir_environment_variable_replaces_the_configured_one(tmp_path, monkeypatch):
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "env-state"))
    config = load_config(_config(tmp_path, "gateway:\n  host: 192.0.2.1\n"))
    assert config.state_path() == tmp_path / "env-state"
