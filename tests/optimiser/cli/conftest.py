"""Shared by the command-line tests: an isolated state directory and a config file."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("WATTPLAN_CONFIG", raising=False)
    return tmp_path


def write_config(tmp: Path, text: str) -> Path:
    """A config recording into ``tmp``, its dashboard on any free port (never 8765)."""
    path = tmp / "config.yaml"
    path.write_text(
        f"recorder:\n  database: {tmp / 'rec.sqlite'}\n  interval_s: 90\nweb:\n  port: 0\n{text}"
    )
    return path


def gateway_section(emulator, tmp: Path) -> str:
    """A ``gateway`` config section for a running :class:`GatewayEmulator` (pinned on first
    use, its customer password in a file under ``tmp``), and no weather provider: a configured
    gateway would otherwise forecast solar from the internet (the DNS guard of
    ``tests/conftest.py`` does not reach a child process)."""
    secret = tmp / "gateway-password"
    secret.write_text(emulator.customer_password)
    secret.chmod(0o600)
    return (
        f"gateway:\n  host: 127.0.0.1\n  port: {emulator.port}\n  password_file: {secret}\n"
        "forecast:\n  weather:\n    provider: none\n"
    )
