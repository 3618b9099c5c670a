"""``wattplan emulator`` / ``status`` / ``trust`` end to end, with the exit codes users see."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from optimiser.cli import main
from simulations.emulator import GatewayEmulator
from tests.optimiser.gateway.conftest import CUSTOMER, stepped_site

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("WATTPLAN_CONFIG", raising=False)
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("WATTPLAN_GATEWAY_PASSWORD", CUSTOMER)
    return tmp_path


def write_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"gateway:\n  host: 127.0.0.1\n  port: {port}\n  timeout_s: 3\n")
    return path


def test_status_without_config_uses_the_embedded_emulator(isolated, capsys):
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "embedded emulator" in out and "self_consumption" in out and "kWh" in out
    assert main(["status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == "embedded emulator"
    assert data["soc_percent"] == pytest.approx(100 * data["soe_kwh"] / data["capacity_kwh"])
    assert CUSTOMER not in json.dumps(data)


def test_emulator_command_and_status_agree(isolated, capsys):
    env = {**os.environ, "EMU_PASSWORD": CUSTOMER}
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimiser.cli", "emulator", "--port", "0",
         "--password-env", "EMU_PASSWORD", "--speed", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        url = lines[0].split()[-1]
        assert lines[1].startswith("passwords: ") and CUSTOMER not in "".join(lines)
        passwords = Path(lines[1].split()[1]).read_text()
        assert f"customer: {CUSTOMER}" in passwords
        fingerprint = lines[2].split()[-1]
        port = int(url.rsplit(":", 1)[1])
        config = write_config(isolated, port)
        assert main(["--config", str(config), "trust"]) == 0
        assert fingerprint in capsys.readouterr().out
        assert main(["--config", str(config), "trust"]) == 0
        assert "already trusted" in capsys.readouterr().out
        assert main(["--config", str(config), "status", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["source"] == f"127.0.0.1:{port}"
        assert data["mode"] == "self_consumption" and data["grid_up"] is True
        assert data["load_kw"] == pytest.approx(
            data["site_kw"] + data["battery_kw"] + data["solar_kw"], abs=1e-3
        )
        # The emulator starts its demo battery at 60 % of 13.5 kWh; seconds later it is close.
        assert data["soe_kwh"] == pytest.approx(8.1, abs=0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "stopped" in out


def test_exit_codes_for_wrong_password_and_changed_certificate(isolated, capsys, monkeypatch):
    first = GatewayEmulator(stepped_site(), customer_password=CUSTOMER).start()
    port = first.port
    config = str(write_config(isolated, port))
    try:
        monkeypatch.setenv("WATTPLAN_GATEWAY_PASSWORD", "WRONG")
        assert main(["--config", config, "status"]) == 4
        assert "refused the password" in capsys.readouterr().err
        monkeypatch.setenv("WATTPLAN_GATEWAY_PASSWORD", CUSTOMER)
        assert main(["--config", config, "status"]) == 0
        capsys.readouterr()
    finally:
        first.stop()
    with GatewayEmulator(stepped_site(), port=port, customer_password=CUSTOMER) as second:
        assert main(["--config", config, "status"]) == 4
        err = capsys.readouterr().err
        assert first.fingerprint_sha256 in err and second.fingerprint_sha256 in err
        assert "wattplan trust --reset" in err
        assert main(["--config", config, "trust"]) == 4
        capsys.readouterr()
        assert main(["--config", config, "trust", "--reset"]) == 0
        assert "re-trusted" in capsys.readouterr().out
        assert main(["--config", config, "status"]) == 0
    # Nothing listening: temporary failure.
    assert main(["--config", config, "status"]) == 3
