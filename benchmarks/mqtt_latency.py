"""MQTT publishing: latency from a poll to the message at a subscriber, and what a broker that
is down costs the service loop per poll.

Run: ``python benchmarks/mqtt_latency.py [--polls 200]`` from the repository root (needs
Debian's ``mosquitto``; the broker runs on a free loopback port with its own config).

1. **Publish latency**: a started :class:`~optimiser.mqtt.MqttPublisher` on a real broker;
   each "poll" calls ``on_state`` as the service does, and a paho subscriber (Home Assistant)
   stamps the ``state`` message's arrival: poll → message, median / p95 / max.
2. **Broker-down overhead**: the service thread's cost of the four observer calls of a poll
   (``on_state``, ``on_plan``, ``on_decision``, ``on_event``) with the publisher pointed at a
   port where nothing listens, against the same calls with the broker up; and whole service
   polls (the gateway emulator on a stepped clock, a fresh house each run over the same clock
   window) with no publisher, with the broker up and with the broker down. Planning dominates
   those, and on a shared machine they vary by more than the publisher costs: the observer
   calls are the overhead's measure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import SecretStr

from optimiser.config import Config, MqttConfig
from optimiser.control.factory import backend_from_config
from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.forecast import PerfectForecaster
from optimiser.gateway import Gateway, GatewayApi, TlsPolicy
from optimiser.mqtt import MqttPublisher
from optimiser.service import EventKind, Service, ServiceEvent
from optimiser.service.records import DecisionRecord
from simulations.datasets import demo_trace
from simulations.emulator import EmulatedSite, GatewayEmulator
from tariffs import get_tariff
from tests.optimiser.mqtt.broker import Broker, HomeAssistant, free_port

START = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
POLL_S = 90


def summary(values_ms: list[float]) -> str:
    ordered = sorted(values_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(ordered):.3f} ms, p95 {p95:.3f} ms, "
        f"max {ordered[-1]:.3f} ms (n={len(ordered)})"
    )


class Site:
    """The demo house behind a real HTTPS gateway emulator on a stepped clock."""

    def __init__(self, folder: Path) -> None:
        self.clock = SteppedClock(START)
        trace = demo_trace(START - timedelta(days=1), START + timedelta(days=3), step_minutes=5)
        spec = PowerwallSpec.powerwall2(1)
        site = EmulatedSite(
            spec,
            PowerwallState(soe_kwh=0.4 * spec.capacity_kwh),
            Settings(backup_reserve_app_percent=20.0),
            trace,
            self.clock,
        )
        self.emulator = GatewayEmulator(site).start()
        api = GatewayApi(
            "127.0.0.1",
            self.emulator.port,
            policy=TlsPolicy("127.0.0.1", fingerprint=self.emulator.fingerprint_sha256),
            password=SecretStr(self.emulator.installer_password),
            username="installer",
            timeout_s=5.0,
        )
        self.gateway = Gateway(api)
        self.forecaster = PerfectForecaster(trace)
        self.tariff = get_tariff("flux", "C")
        self.folder = folder

    def service(self, mqtt: MqttConfig | None) -> tuple[Service, MqttPublisher | None]:
        config = Config(
            recorder={"interval_s": POLL_S, "database": self.folder / "rec.sqlite"},
            control={"backend": "local"},
            state_dir=self.folder / "state",
            mqtt=mqtt,
        )
        backend = backend_from_config(
            config, gateway=self.gateway, state_dir=self.folder / "state", clock=self.clock.now
        )
        publisher = None
        if mqtt is not None:
            publisher = MqttPublisher(
                config, clock=self.clock, tariff=self.tariff, version="bench"
            ).start()
        service = Service(
            config,
            gateway=self.gateway,
            backend=backend,
            clock=self.clock,
            tariff=self.tariff,
            forecaster=self.forecaster,
            state_dir=self.folder / "state",
            observers=(publisher,) if publisher is not None else (),
        )
        return service, publisher

    def close(self) -> None:
        self.gateway.close()
        self.emulator.stop()


def publish_latency(site: Site, broker: Broker, polls: int) -> list[float]:
    """Poll → state message at the subscriber, per poll. [ms]"""
    _, publisher = site.service(MqttConfig(**broker.mqtt_section()))
    assert publisher is not None and publisher.link.wait_connected(10)
    state = site.gateway.site_state()
    latencies = []
    with HomeAssistant(broker, ("wattplan/home/state",)) as ha:
        for i in range(polls):
            at = START + timedelta(seconds=POLL_S * (i + 1))
            mark = ha.mark()
            sent = time.monotonic()
            publisher.on_state(state, at)
            got = ha.wait_for(
                lambda m, at=at: m.json()["time"] == at.isoformat(), timeout_s=10, after=mark
            )
            latencies.append((got.at - sent) * 1000)
    publisher.close()
    return latencies


def observer_calls(publisher: MqttPublisher, site: Site, polls: int) -> list[float]:
    """The four observer calls of one poll, in the caller's thread. [ms]"""
    service, _ = site.service(None)
    service.run(until=START + timedelta(minutes=1))  # one plan and one decision to replay
    state = site.gateway.site_state()
    result, record = service.current_plan, service.decisions[-1]
    event = ServiceEvent(EventKind.GRID_LOST, START, "bench")
    costs = []
    for i in range(polls):
        at = START + timedelta(seconds=POLL_S * i)
        t0 = time.perf_counter()
        publisher.on_state(state, at)
        publisher.on_plan(result, at)
        publisher.on_decision(DecisionRecord(at, record.why, record.applied, record.plan_gbp))
        publisher.on_event(event)
        costs.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.002)  # let the worker keep up, as 90 s between polls would
    return costs


def service_polls(folder: Path, mqtt: MqttConfig | None, polls: int, tag: str) -> float:
    """Wall time of whole service polls over the same clock window, on a fresh house (read,
    record, observe, and the window's plans and decisions). [ms/poll]"""
    site = Site(folder / tag)
    try:
        service, publisher = site.service(mqtt)
        if publisher is not None:
            publisher.link.wait_connected(2)  # at once when the broker is up
        t0 = time.perf_counter()
        service.run(until=START + timedelta(seconds=POLL_S * polls))
        spent = (time.perf_counter() - t0) * 1000 / max(service.stats.polls, 1)
        if publisher is not None:
            publisher.close()
        return spent
    finally:
        site.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        broker = Broker(folder / "broker").start()
        site = Site(folder)
        try:
            latency = publish_latency(site, broker, args.polls)
            print(f"publish latency, poll → state at the subscriber: {summary(latency)}")

            up, _ = site.service(MqttConfig(**broker.mqtt_section()))
            up_publisher = up.observers[0]
            up_publisher.link.wait_connected(10)
            calls = observer_calls(up_publisher, site, args.polls)
            print(f"observer calls per poll, broker up:   {summary(calls)}")
            up_publisher.close()
            down = MqttConfig(host="127.0.0.1", port=free_port(), reconnect_max_s=2)
            _, down_publisher = site.service(down)
            calls = observer_calls(down_publisher, site, args.polls)
            print(f"observer calls per poll, broker down: {summary(calls)}")
            print(f"  (dropped {down_publisher.dropped}, published {down_publisher.published})")
            down_publisher.close()

            n = max(args.polls // 4, 20)
            variants = {
                "broker up": MqttConfig(**broker.mqtt_section()),
                "broker down": down,
                "no MQTT": None,
            }
            runs: dict[str, list[float]] = {name: [] for name in variants}
            for r in range(3):  # interleaved, so drift on a shared machine hits each alike
                for name, mqtt in variants.items():
                    runs[name].append(service_polls(folder, mqtt, n, f"{name}-{r}"))
            figures = ", ".join(
                f"{name} {statistics.median(v):.2f} ms/poll" for name, v in runs.items()
            )
            print(f"whole service polls ({n} of {POLL_S} s, with planning; median of 3): {figures}")
            print("  (the first variant of each round runs slower: compare the observer calls)")
        finally:
            site.close()
            broker.stop()


if __name__ == "__main__":
    main()
