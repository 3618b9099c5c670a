"""``wattplan run`` and ``wattplan doctor`` from the command line (embedded emulator, Fleet
emulator, a closed port), including a real SIGTERM to a running service."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optimiser.cli import main
from optimiser.domain.clock import RealClock
from simulations.fleet_emulator import FleetEmulator, demo_site

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("WATTPLAN_CONFIG", raising=False)
    return tmp_path


def write_config(tmp: Path, text: str) -> Path:
    path = tmp / "config.yaml"
    path.write_text(f"recorder:\n  database: {tmp / 'rec.sqlite'}\n  interval_s: 90\n{text}")
    return path


def test_run_for_an_accelerated_hour_against_the_embedded_emulator(env, capsys, caplog):
    config = write_config(env, "")
    caplog.set_level("INFO", logger="wattplan.run")
    code = main(
        ["--config", str(config), "run", "--backend", "local", "--speed", "1200", "--for", "1h"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "wattplan run: stopped:" in out and "0 gaps" in out
    decisions = [r.message for r in caplog.records if r.message.startswith("decision")]
    assert decisions and "(start)" in decisions[0] and "plan:" in decisions[0]
    from optimiser.recorder import RecordingStore

    with RecordingStore(env / "rec.sqlite", readonly=True) as store:
        assert store.sample_count() >= 20  # 90 s polls over a clock hour (40 at best)


def test_run_for_counts_from_when_the_service_is_ready(env):
    """At 1200× the start (emulator, login, first plan) takes minutes of clock time; --for
    must not count them (a 20-minute run used to end about 20 minutes after the clock was
    made, before the gateway even answered)."""
    from datetime import timedelta

    from optimiser.recorder import RecordingStore

    config = env / "config.yaml"
    config.write_text(
        f"recorder:\n  database: {env / 'rec.sqlite'}\n  interval_s: 30\n"
        "control:\n  backend: local\n"
    )
    assert main(["--config", str(config), "run", "--speed", "1200", "--for", "20m"]) == 0
    with RecordingStore(env / "rec.sqlite", readonly=True) as store:
        times = sorted(s.time for s in store.samples())
    # The first sample is the start's poll (before the first plan): 20 minutes of polls follow.
    assert times[-1] - times[0] >= timedelta(minutes=20) - timedelta(seconds=30)


def test_run_speed_needs_the_embedded_emulator(env, capsys):
    config = write_config(env, "gateway:\n  host: 127.0.0.1\n")
    assert main(["--config", str(config), "run", "--speed", "60"]) == 2
    assert "--speed only works with the embedded emulator" in capsys.readouterr().err


def test_sigterm_stops_the_service_cleanly(env):
    config = write_config(env, "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimiser.cli", "--config", str(config), "run", "--speed", "600"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        seen = ""
        while "decision" not in seen and time.monotonic() < deadline:
            seen += proc.stderr.readline()
        assert "decision" in seen, seen
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "wattplan run: stopped:" in out
    assert "stop:" in err or "stopping" in err  # the revert step ran before exit


def test_doctor_passes_on_the_embedded_emulator(env, capsys):
    config = write_config(env, "control:\n  backend: local\n")
    assert main(["--config", str(config), "doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("config", "gateway", "login", "tariff", "recorder", "backend (local)", "solver"):
        assert any(line.startswith(f"✓ {name}") for line in out.splitlines()), (name, out)
    assert "installer login works" in out


def test_doctor_names_an_unreachable_gateway_with_a_hint(env, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = write_config(env, f"gateway:\n  host: 127.0.0.1\n  port: {port}\n  timeout_s: 2\n")
    assert main(["--config", str(config), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "✗ gateway" in out and f"127.0.0.1:{port}" in out
    assert "hint: is the gateway on" in out
    assert "- login" in out  # skipped, not a second failure
    assert "1 essential check(s) failed: gateway" in out


def test_doctor_checks_the_fleet_token_site_and_budget(env, capsys):
    clock = RealClock()
    with FleetEmulator(demo_site(clock), clock=clock) as fleet:
        token = env / "token.json"
        token.write_text(json.dumps({"access_token": fleet.access_token}))
        config = write_config(
            env,
            "control:\n  backend: fleet\n  fleet:\n"
            f"    base_url: {fleet.url}\n    site_id: '{fleet.site_id}'\n"
            f"    token_file: {token}\n",
        )
        assert main(["--config", str(config), "doctor"]) == 0
        out = capsys.readouterr().out
        assert "✓ fleet token" in out
        assert f"✓ fleet site         site {fleet.site_id} answers" in out
        assert "✓ fleet budget       17 of 20 commands left today" in out
        assert fleet.post_count() == 0  # the doctor sends no settings

        token.write_text(json.dumps({"access_token": "revoked"}))
        assert main(["--config", str(config), "doctor"]) == 1
        out = capsys.readouterr().out
        assert "✗ fleet site" in out and "hint:" in out


@pytest.mark.parametrize(
    ("unit", "command"),
    [("wattplan-run.service", "run"), ("wattplan-plan.service", "plan")],
)
def test_systemd_units_run_real_commands_with_the_safety_settings(unit, command):
    import configparser

    from optimiser.cli import build_parser
    from optimiser.config import Config

    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "examples" / "systemd" / unit)
    service = parser["Service"]
    argv = service["ExecStart"].split()[1:]
    args = build_parser().parse_args(argv)
    assert args.command == command
    assert service["User"] == "wattplan" and service["EnvironmentFile"].startswith("/etc/")
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    if command == "run":
        from optimiser.service import stop_time_needed_s

        assert service["Restart"] == "on-failure"
        # systemd must not kill the stop's retried revert: 60 s of retries + a last attempt.
        assert int(service["TimeoutStopSec"]) >= stop_time_needed_s(Config()) >= 200
    else:
        assert args.apply
        timer = configparser.ConfigParser(strict=False, interpolation=None)
        timer.read(ROOT / "examples" / "systemd" / "wattplan-plan.timer")
        calendar = timer["Timer"]["OnCalendar"]
        day, clock = calendar.split(" ")
        hours, minutes, seconds = clock.split(":")
        assert day == "*-*-*" and hours == "*" and seconds == "00"
        fires = sorted(int(m) for m in minutes.split(","))
        # Every half hour, the settle margin (5 min) before each slot boundary…
        settle = Config().control.settle_minutes
        assert fires == [30 - settle, 60 - settle]
        # …so a forced state never outlasts its lease by more than one gap, and the nightly
        # re-plan (21:00 local) is the run due just before it.
        gap = max(b - a for a, b in zip(fires, [*fires[1:], fires[0] + 60], strict=True))
        assert gap <= 30 < Config().control.lease_minutes
        assert 60 - settle in fires  # 20:55
