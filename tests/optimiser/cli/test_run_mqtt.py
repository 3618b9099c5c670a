"""``wattplan run`` and ``plan --apply`` with an ``mqtt`` section, against the embedded
emulator and a real Mosquitto broker: discoverable entities, the last will on SIGKILL, online
again on restart, a one-shot publication, and the doctor's broker check."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from optimiser.cli import main
from optimiser.cli.doctor_cmd import diagnose
from tests.optimiser.cli.conftest import ROOT, write_config
from tests.optimiser.mqtt.broker import Broker, HomeAssistant, free_port

KEEPALIVE_S = 5
WAIT_S = 30.0


@pytest.fixture
def broker(tmp_path):
    server = Broker(tmp_path / "broker").start()
    try:
        yield server
    finally:
        server.stop()


def mqtt_config(env, port: int) -> str:
    return str(
        write_config(
            env,
            f"mqtt:\n  host: 127.0.0.1\n  port: {port}\n  keepalive_s: {KEEPALIVE_S}\n"
            "  reconnect_min_s: 0.2\n  reconnect_max_s: 1\n",
        )
    )


def start_run(config: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "optimiser.cli", "--config", config, "run", "--speed", "600"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_last_will_on_sigkill_and_online_again_on_restart(env, broker):
    config = mqtt_config(env, broker.port)
    with HomeAssistant(broker) as ha:
        proc = start_run(config)
        try:
            ha.wait_for(
                lambda m: m.topic == "wattplan/home/status" and m.payload == b"online", WAIT_S
            )
            ha.wait_for(lambda m: m.topic.endswith("/grid_power/config"), WAIT_S)
            state = ha.wait_for(lambda m: m.topic == "wattplan/home/state", WAIT_S).json()
            assert state["operation_mode"] in ("self_consumption", "autonomous", "backup")
            ha.wait_for(lambda m: m.topic == "wattplan/home/plan", WAIT_S)
            mark = ha.mark()
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=WAIT_S)
            killed = time.monotonic()
            offline = ha.wait_for(
                lambda m: m.topic == "wattplan/home/status" and m.payload == b"offline",
                2 * KEEPALIVE_S + 5,
                after=mark,
            )
            assert offline.at - killed <= 1.5 * KEEPALIVE_S + 1  # the broker's keepalive
        finally:
            proc.kill()
            proc.wait(timeout=WAIT_S)

        mark = ha.mark()
        proc = start_run(config)
        try:
            ha.wait_for(
                lambda m: m.topic == "wattplan/home/status" and m.payload == b"online",
                WAIT_S,
                after=mark,
            )
            ha.wait_for(lambda m: m.topic == "wattplan/home/state", WAIT_S, after=mark)
            mark = ha.mark()
            proc.send_signal(signal.SIGTERM)  # a clean stop says offline itself
            assert proc.wait(timeout=WAIT_S) == 0
            ha.wait_for(
                lambda m: m.topic == "wattplan/home/status" and m.payload == b"offline",
                5,
                after=mark,
            )
        finally:
            proc.kill()
            proc.wait(timeout=WAIT_S)


def test_plan_apply_publishes_once(env, broker, capsys):
    config = mqtt_config(env, broker.port)
    with HomeAssistant(broker) as ha:
        assert main(["--config", config, "plan", "--apply"]) == 0
        plan = ha.wait_for(lambda m: m.topic == "wattplan/home/plan").json()
        assert plan["slots_shown"] > 0
        decision = ha.wait_for(lambda m: m.topic == "wattplan/home/decision").json()
        assert decision["why"] == "plan --apply" and decision["dry_run"] is True
        ha.wait_for(lambda m: m.topic == "wattplan/home/state")
        ha.wait_for(lambda m: m.topic.endswith("/plan_cost/config"))
    assert "nothing published" not in capsys.readouterr().err


def test_plan_apply_with_the_broker_down_still_applies(env, capsys):
    config = mqtt_config(env, free_port())
    assert main(["--config", config, "plan", "--apply"]) == 0
    assert "nothing published: the MQTT broker at 127.0.0.1" in capsys.readouterr().err


def test_doctor_checks_the_broker(env, broker):
    up = write_config(env, f"mqtt:\n  host: 127.0.0.1\n  port: {broker.port}\n")
    checks = {c.name: c for c in diagnose(up)}
    assert checks["mqtt broker"].ok is True
    assert "connected to 127.0.0.1" in checks["mqtt broker"].detail
    down = free_port()
    checks = {
        c.name: c
        for c in diagnose(write_config(env, f"mqtt:\n  host: 127.0.0.1\n  port: {down}\n"))
    }
    assert checks["mqtt broker"].ok is False and not checks["mqtt broker"].essential
    assert "cannot reach the MQTT broker" in checks["mqtt broker"].detail
