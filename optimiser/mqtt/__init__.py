"""Smart-home publishing over MQTT, with Home Assistant discovery; commands back into the
service's inbox.

Pure builders, no network:

- :mod:`~optimiser.mqtt.topics`: the topic layout under ``mqtt.topic_prefix`` (default
  ``wattplan/<site_id>``);
- :mod:`~optimiser.mqtt.payloads`: ``state`` (every poll), ``plan`` (every re-plan, cut to
  Home Assistant's 16 kB attribute limit), ``decision``, ``event``, ``home``;
- :mod:`~optimiser.mqtt.savings`: today's and this month's realised cost and savings against
  no battery, from recorded samples;
- :mod:`~optimiser.mqtt.discovery`: one retained discovery config per entity;
- :mod:`~optimiser.mqtt.commands`: ``…/set`` payloads validated into inbox messages.

The edge: :mod:`~optimiser.mqtt.link` (paho-mqtt's client and network thread, last will,
TLS, reconnects) and :mod:`~optimiser.mqtt.publisher` (the service observer and its worker
thread). :func:`~optimiser.mqtt.link.probe_broker` is ``wattplan doctor``'s check.
"""

from optimiser.mqtt.commands import CommandRejected, parse_command
from optimiser.mqtt.link import MqttLink, MqttSetupError
from optimiser.mqtt.publisher import MqttPublisher
from optimiser.mqtt.topics import Command, Topics

__all__ = [
    "Command",
    "CommandRejected",
    "MqttLink",
    "MqttPublisher",
    "MqttSetupError",
    "Topics",
    "parse_command",
]
