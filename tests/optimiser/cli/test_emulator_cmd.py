"""``wattplan emulator``: bad values are usage errors, the password is not echoed, the busy
port is the one named, and faults can be injected from the command line."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from optimiser.cli import main
from tests.optimiser.cli.conftest import ROOT


@pytest.mark.parametrize(
    "argv",
    [
        ["--port", "99999"],
        ["--port", "-1"],
        ["--http-port", "70000"],
        ["--speed", "nan"],
        ["--speed", "inf"],
        ["--speed", "0"],
        ["--token-lifetime", "-5"],
        ["--token-lifetime", "nan"],
        ["--fault", "nonsense"],
        ["--fault", "status:code=abc"],
    ],
)
def test_bad_values_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(["emulator", *argv])
    assert info.value.code == 2
    assert "expected" in capsys.readouterr().err


def test_a_taken_http_port_is_the_port_named(env, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        code = main(["emulator", "--port", "0", "--http-port", str(taken)])
    assert code == 2
    assert f"127.0.0.1:{taken}" in capsys.readouterr().err


def _serve(*extra: str, tmp: Path) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimiser.cli", "emulator", "--port", "0", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "WATTPLAN_STATE_DIR": str(tmp / "state")},
    )
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("clock speed"):
            break
    return proc, lines


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)


def test_passwords_are_not_echoed_but_left_in_a_private_file(tmp_path):
    proc, lines = _serve(tmp=tmp_path)
    try:
        (where,) = [line for line in lines if line.startswith("passwords: ")]
        path = Path(where.split(": ", 1)[1].split(" ")[0])
        text = path.read_text()
        customer = text.split("customer: ", 1)[1].split("\n")[0]
        assert customer and all(customer not in line for line in lines)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        _stop(proc)


def test_faults_from_the_command_line(tmp_path):
    proc, lines = _serve("--fault", "status:code=503,path=/api/meters", tmp=tmp_path)
    try:
        (url,) = [line.rsplit(" ", 1)[1] for line in lines if "listening on" in line]
        reply = requests.get(f"{url}/api/meters/aggregates", verify=False, timeout=5)
        assert reply.status_code == 503
    finally:
        _stop(proc)
