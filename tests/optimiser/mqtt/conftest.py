"""A real Mosquitto broker, a subscribing Home Assistant client, and the house of the service
tests (the gateway emulator on a stepped clock) with an MQTT publisher and an inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from optimiser.config import MqttConfig
from optimiser.control.factory import backend_from_config, budget_of
from optimiser.mqtt import MqttPublisher, Topics
from optimiser.service import Inbox, Service
from rules.schema import RulesFile
from tests.optimiser.mqtt.broker import Broker, HomeAssistant
from tests.optimiser.service.conftest import house  # noqa: F401 - a fixture

CONNECT_S = 15.0


@pytest.fixture
def broker(tmp_path):
    server = Broker(tmp_path / "broker").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ha(broker):
    with HomeAssistant(broker) as client:
        yield client


@dataclass
class Wired:
    """A service that publishes through a started publisher and takes commands from its inbox."""

    service: Service
    publisher: MqttPublisher
    inbox: Inbox
    topics: Topics

    def run_for(self, minutes: float) -> None:
        self.service.run(until=self.service.clock.now() + timedelta(minutes=minutes))


def wire(
    site, broker: Broker, *, rules: RulesFile | None = None, connect: bool = True, **mqtt
) -> Wired:
    """The ``house``'s local-backend service with an MQTT publisher (started: ``connect``
    waits until it is connected) and an inbox."""
    config = site.config().model_copy(update={"mqtt": MqttConfig(**broker.mqtt_section(**mqtt))})
    state_dir = site.tmp / "state"
    backend = backend_from_config(
        config, gateway=site.gateway, state_dir=state_dir, clock=site.clock.now
    )
    inbox = Inbox()
    publisher = MqttPublisher(
        config,
        clock=site.clock,
        inbox=inbox,
        tariff=site.tariff,
        budget=budget_of(backend),
        rules=rules,
        database=site.tmp / "rec.sqlite",
        version="test",
    )
    service = Service(
        config,
        gateway=site.gateway,
        backend=backend,
        clock=site.clock,
        tariff=site.tariff,
        store=site.store,
        forecaster=site.forecaster,
        state_dir=state_dir,
        keep_plans=200,
        rules=rules,
        observers=(publisher,),
        inbox=inbox,
        budget=budget_of(backend),
    )
    publisher.start()
    if connect:
        assert publisher.link.wait_connected(CONNECT_S), "the publisher did not connect"
    return Wired(service, publisher, inbox, publisher.topics)


@pytest.fixture
def wired(house, broker):  # noqa: F811 - the house fixture
    made: list[Wired] = []

    def make(**kwargs) -> Wired:
        w = wire(house, broker, **kwargs)
        made.append(w)
        return w

    yield make
    for w in made:
        w.publisher.close()
