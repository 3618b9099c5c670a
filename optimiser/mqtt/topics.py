"""Where everything is published and what the home may send (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from optimiser.config import MqttConfig


class Command(StrEnum):
    """What the home can set, each on ``<prefix>/<command>/set`` (context facts on
    ``<prefix>/context/<key>/set``)."""

    MODE = "mode"
    RESERVE_FLOOR = "reserve_floor"
    CONTROL = "control"
    REPLAN = "replan"
    CONTEXT = "context"


@dataclass(frozen=True)
class Topics:
    """wattplan's topics under ``prefix`` and Home Assistant's under ``discovery_prefix``."""

    prefix: str
    discovery_prefix: str
    site_id: str

    @classmethod
    def from_config(cls, mqtt: MqttConfig) -> Topics:
        return cls(mqtt.prefix, mqtt.discovery_prefix, mqtt.site_id)

    @property
    def status(self) -> str:
        """``online`` / ``offline``, retained; ``offline`` is the last will."""
        return f"{self.prefix}/status"

    @property
    def state(self) -> str:
        return f"{self.prefix}/state"

    @property
    def plan(self) -> str:
        return f"{self.prefix}/plan"

    @property
    def decision(self) -> str:
        return f"{self.prefix}/decision"

    @property
    def savings(self) -> str:
        return f"{self.prefix}/savings"

    @property
    def event(self) -> str:
        return f"{self.prefix}/event"

    @property
    def home(self) -> str:
        """What the home has set and the service applied (context, override, floor, control)."""
        return f"{self.prefix}/home"

    @property
    def ha_status(self) -> str:
        """Home Assistant's own availability: ``online`` asks for discovery again."""
        return f"{self.discovery_prefix}/status"

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """What wattplan listens to."""
        return (f"{self.prefix}/+/set", f"{self.prefix}/context/+/set", self.ha_status)

    def set(self, command: Command, key: str | None = None) -> str:
        """Where the home sends ``command`` (a context fact needs its ``key``)."""
        return f"{self._command_root(command, key)}/set"

    def error(self, command_path: str) -> str:
        """Where a rejected ``…/<command_path>/set`` is answered."""
        return f"{self.prefix}/{command_path}/error"

    def command_path(self, topic: str) -> str | None:
        """``mode`` or ``context/away`` from a ``…/set`` topic under the prefix (None: not
        one of ours)."""
        head = f"{self.prefix}/"
        if not topic.startswith(head) or not topic.endswith("/set"):
            return None
        return topic[len(head) : -len("/set")]

    def config(self, component: str, key: str) -> str:
        """A discovery config topic (one per entity)."""
        return f"{self.discovery_prefix}/{component}/wattplan_{self.site_id}/{key}/config"

    def unique_id(self, key: str) -> str:
        return f"wattplan_{self.site_id}_{key}"

    def _command_root(self, command: Command, key: str | None) -> str:
        if command is Command.CONTEXT:
            if not key:
                raise ValueError("a context command needs the fact's key")
            return f"{self.prefix}/context/{key}"
        return f"{self.prefix}/{command.value}"
