"""A hostile client cannot slow the control loop: 50 connections that never read.

The service runs on an accelerated clock (90 s polls every real second) against the gateway
emulator, with the dashboard on its own thread. Half the connections send nothing; the other
half ask for the biggest page and never read the answer. Every poll still starts within a
second of its time, and a well-behaved client is still answered.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from pydantic import SecretStr

from optimiser.config import Config, WebConfig
from optimiser.control.factory import backend_from_config
from optimiser.domain.clock import AcceleratedClock
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.forecast import PerfectForecaster
from optimiser.gateway import Gateway, GatewayApi, TlsPolicy
from optimiser.recorder import RecordingStore
from optimiser.service import Service
from optimiser.web import Dashboard, LiveSource, LiveView
from simulations.datasets import demo_trace
from simulations.emulator import EmulatedSite, GatewayEmulator
from tariffs import get_tariff

pytestmark = pytest.mark.slow

SPEED = 90.0  # one 90 s poll per real second
CONNECTIONS = 50
START = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


class PollTimes:
    """Observer: how late each poll started after its scheduled time, in real seconds."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.late_s: list[float] = []

    def on_state(self, state, at: datetime) -> None:
        offset = at.timestamp() % self.interval_s
        self.late_s.append(offset / SPEED)

    def on_plan(self, result, at) -> None: ...

    def on_decision(self, record) -> None: ...

    def on_event(self, event) -> None: ...


def hostile(port: int) -> list[socket.socket]:
    """Half silent connections, half asking for a page they never read."""
    sockets = []
    for n in range(CONNECTIONS):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        if n % 2:
            sock.sendall(b"GET /plan HTTP/1.1\r\nHost: x\r\n\r\n" * 20)
        sockets.append(sock)
    return sockets


def test_fifty_connections_reading_nothing_do_not_delay_polls(tmp_path):
    clock = AcceleratedClock(START, speed=SPEED)
    trace = demo_trace(START - timedelta(days=1), START + timedelta(days=2), step_minutes=5)
    spec = PowerwallSpec.powerwall2(1)
    site = EmulatedSite(
        spec,
        PowerwallState(soe_kwh=0.5 * spec.capacity_kwh),
        Settings(),  # self-powered, the app's 20 % reserve
        trace,
        clock,
    )
    config = Config(
        recorder={"interval_s": 90, "database": tmp_path / "rec.sqlite"},
        control={"backend": "local"},
        web=WebConfig(port=0),
        state_dir=tmp_path / "state",
    )
    with GatewayEmulator(site) as emulator:
        api = GatewayApi(
            "127.0.0.1",
            emulator.port,
            policy=TlsPolicy("127.0.0.1", fingerprint=emulator.fingerprint_sha256),
            password=SecretStr(emulator.installer_password),
            username="installer",
            timeout_s=5.0,
        )
        store = RecordingStore(tmp_path / "rec.sqlite")
        view = LiveView()
        times = PollTimes(90.0)
        with Gateway(api) as gateway:
            backend = backend_from_config(
                config, gateway=gateway, state_dir=tmp_path / "state", clock=clock.now
            )
            tariff = get_tariff("flux", "C")
            service = Service(
                config,
                gateway=gateway,
                backend=backend,
                clock=clock,
                tariff=tariff,
                store=store,
                forecaster=PerfectForecaster(trace),
                state_dir=tmp_path / "state",
                observers=(view, times),
            )
            source = LiveSource(view, config, tariff, clock, store.path)
            with Dashboard(source, "127.0.0.1", 0) as dashboard:
                loop = threading.Thread(
                    target=service.run, kwargs={"run_for": timedelta(seconds=12 * 90)}
                )
                loop.start()
                time.sleep(2)  # real seconds: the service starts and polls undisturbed
                before = len(times.late_s)
                sockets = hostile(dashboard.server.port)
                try:
                    answered = requests.get(dashboard.url + "api/state", timeout=5)
                    loop.join(timeout=60)
                finally:
                    for sock in sockets:
                        sock.close()
        store.close()
    assert not loop.is_alive()
    assert answered.status_code == 200
    during = times.late_s[before:]
    assert len(during) >= 8
    print(f"poll lateness during the flood: max {max(during):.3f} s over {len(during)} polls")
    assert max(during) < 1.0, during
