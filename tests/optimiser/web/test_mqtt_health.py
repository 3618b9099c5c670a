"""The dashboard shows the service's MQTT connection: connected to a real Mosquitto broker,
not connected while the broker is away (the service polls, plans and decides all the same),
and reconnected when it is back."""

from __future__ import annotations

import time

import pytest

from optimiser.config import MqttConfig
from optimiser.mqtt import MqttPublisher
from tests.optimiser.mqtt.broker import Broker
from tests.optimiser.web.conftest import serve

WAIT_S = 20.0


def mqtt_check(served) -> dict:
    return {c["name"]: c for c in served.get("api/health").json()["checks"]}["mqtt"]


def connected_metric(served) -> str:
    lines = served.get("metrics").text.splitlines()
    return next(line for line in lines if line.startswith("wattplan_mqtt_connected{"))


def wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.fixture
def broker(tmp_path):
    server = Broker(tmp_path / "broker").start()
    try:
        yield server
    finally:
        server.stop()


def test_health_and_metrics_follow_the_brokers_connection(house, broker):
    mqtt = MqttConfig(**broker.mqtt_section(reconnect_min_s=0.2, reconnect_max_s=1.0))
    config = house.config().model_copy(update={"mqtt": mqtt})
    publisher = MqttPublisher(config, clock=house.clock, version="test")
    served = serve(house, broker=publisher.link.status, config_update={"mqtt": mqtt})
    served.service.observers = (*served.service.observers, publisher)
    publisher.start()
    try:
        assert publisher.link.wait_connected(WAIT_S)
        served.run(10)
        where = f"broker 127.0.0.1:{broker.port}"
        check = mqtt_check(served)
        assert check["ok"] is True and check["detail"] == f"connected to {where}"
        assert connected_metric(served) == 'wattplan_mqtt_connected{site="test"} 1.0'
        assert f"connected to {where}" in served.get("health").text

        broker.stop()
        wait_until(lambda: not publisher.link.connected, "the link did not notice")
        polls = served.service.stats.polls
        served.run(30)
        assert served.service.stats.polls == polls + 6  # polling goes on without a broker
        check = mqtt_check(served)
        assert check["ok"] is False and f"not connected to {where}" in check["detail"]
        assert connected_metric(served) == 'wattplan_mqtt_connected{site="test"} 0.0'
        assert served.get("api/health").json()["ok"] is False

        broker.start()
        wait_until(lambda: publisher.link.connected, "the link did not reconnect")
        check = mqtt_check(served)
        assert check["ok"] is True and check["detail"] == f"connected to {where} (reconnected 1×)"
    finally:
        publisher.close()
        served.dashboard.stop()
