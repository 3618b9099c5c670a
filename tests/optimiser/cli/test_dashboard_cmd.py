"""``wattplan run`` serves the dashboard; ``wattplan dashboard`` serves it from what the run
left behind (the recording and the journal), controlling nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import requests

from simulations.emulator import GatewayEmulator
from tests.optimiser.cli.conftest import ROOT, gateway_section, write_config

URL = re.compile(r"(http://127\.0\.0\.1:\d+/)")


def _start(config, *args: str, stream: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimiser.cli", "--config", str(config), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    pipe = proc.stderr if stream == "stderr" else proc.stdout
    deadline = time.monotonic() + 60
    seen = ""
    while time.monotonic() < deadline:
        line = pipe.readline()
        if not line and proc.poll() is not None:
            break
        seen += line
        match = URL.search(line)
        if match:
            return proc, match.group(1)
    proc.kill()
    raise AssertionError(f"no dashboard URL in {stream}: {seen}")


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    return err


def test_run_serves_the_dashboard_and_dashboard_serves_what_it_left(env):
    # A configured gateway (the embedded emulator's run would leave nothing behind).
    with GatewayEmulator(host="127.0.0.1", port=0) as emulator:
        config = write_config(env, f"state_dir: {env / 'state'}\n" + gateway_section(emulator, env))
        _run_then_dashboard(env, config)


def _run_then_dashboard(env, config) -> None:
    run, url = _start(config, "run", stream="stderr")
    try:
        deadline = time.monotonic() + 60
        state = {}
        while time.monotonic() < deadline and not state.get("device"):
            state = requests.get(url + "api/state", timeout=5).json()
            time.sleep(0.2)
        assert state["live"] is True
        assert state["state"]["capacity_kwh"] > 0
        assert state["device"] is not None  # the first decision is shown
        assert requests.get(url, timeout=5).status_code == 200
        plan = requests.get(url + "api/plan", timeout=5).json()["plan"]
    finally:
        _stop(run)
    assert (env / "state" / "dashboard.json").exists()  # the journal, written on stop

    dashboard, url = _start(config, "dashboard", "--port", "0", stream="stdout")
    try:
        state = requests.get(url + "api/state", timeout=5).json()
        assert state["live"] is False
        assert state["state"]["capacity_kwh"] == plan["capacity_kwh"]
        recorded = requests.get(url + "api/plan", timeout=5).json()["plan"]
        assert recorded["made_at"] >= plan["made_at"]
        assert requests.get(url + "api/decisions", timeout=5).json()["decisions"]
        page = requests.get(url, timeout=5).text
        assert "Recorded data (wattplan dashboard)" in page
        for path in ("plan", "money", "decisions", "health", "metrics"):
            assert requests.get(url + path, timeout=5).status_code == 200, path
    finally:
        _stop(dashboard)
