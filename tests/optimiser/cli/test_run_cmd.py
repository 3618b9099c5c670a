"""``wattplan run`` from the command line: the embedded emulator on an accelerated clock, and a
real SIGTERM to a running service."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

from optimiser.cli import main
from tests.optimiser.cli.conftest import ROOT, write_config


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
    assert _stopped(out)["samples"] >= 20  # 90 s polls over a clock hour (40 at best)


def _stopped(out: str) -> dict[str, int]:
    """The counts of ``run``'s last line ("stopped: 41 polls, 41 samples, ...")."""
    line = next(x for x in out.splitlines() if x.startswith("wattplan run: stopped:"))
    return {m[2]: int(m[1]) for m in re.finditer(r"(\d+) (polls|samples|gaps|decisions)", line)}


def test_run_backend_v1r_signs_with_a_demo_key_the_embedded_emulator_trusts(env, capsys):
    config = write_config(env, "")
    code = main(
        ["--config", str(config), "run", "--backend", "v1r", "--speed", "1200", "--for", "1h"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "0 gaps" in out and "0 stored but not acted on" in out


def test_run_for_counts_from_when_the_service_is_ready(env, capsys, caplog):
    """At 1200× the start (emulator, login, first plan) takes minutes of clock time; --for
    must not count them (a 20-minute run used to end about 20 minutes after the clock was
    made, before the gateway even answered)."""
    config = env / "config.yaml"
    config.write_text("recorder:\n  interval_s: 30\ncontrol:\n  backend: local\nweb:\n  port: 0\n")
    caplog.set_level("INFO", logger="wattplan.run")
    assert main(["--config", str(config), "run", "--speed", "1200", "--for", "20m"]) == 0
    start = next(r.message for r in caplog.records if "(start)" in r.message)
    ready = datetime.strptime(
        start.split(" (start)")[0].removeprefix("decision "), "%Y-%m-%d %H:%M UTC"
    )
    out = capsys.readouterr().out
    stop = re.search(r"accelerated clock read (\S+ \S+) UTC", out)
    assert stop is not None, out
    # The start's decision (after the first poll and plan), then 20 minutes of polls.
    stopped = datetime.strptime(stop.group(1), "%Y-%m-%d %H:%M:%S")
    assert stopped - ready >= timedelta(minutes=20)


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


def test_the_embedded_emulator_never_writes_the_real_recordings(env, monkeypatch, capsys):
    # No config at all: a newcomer trying the demo (as in the README).
    monkeypatch.setenv("HOME", str(env / "home"))
    # --no-web: with no config the dashboard would take the fixed port 8765.
    args = ["run", "--no-web", "--backend", "local", "--speed", "1200", "--for", "30m"]
    assert main(args) == 0
    assert main(["plan", "--apply"]) == 0
    assert "samples" in capsys.readouterr().out
    written = [p for p in (env / "home").rglob("*") if p.is_file()]
    assert written == []  # no emulator samples in ~/.local/share/wattplan: a sandbox had them


def test_the_embedded_emulator_never_writes_the_real_state_dir(env, capsys):
    """Command budget, lease, dashboard journal and recordings of the demo site stay in a
    throw-away directory, whatever the config and $WATTPLAN_STATE_DIR name."""
    config = write_config(env, "control:\n  backend: local\n")
    args = ["--config", str(config), "run", "--speed", "1200", "--for", "1h"]
    assert main(args) == 0  # with the dashboard (its journal) and the local backend
    assert main(["--config", str(config), "plan", "--apply"]) == 0
    assert "samples" in capsys.readouterr().out
    assert not (env / "rec.sqlite").exists()
    assert not (env / "state").exists() or list((env / "state").iterdir()) == []
