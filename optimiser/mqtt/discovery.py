"""Home Assistant MQTT discovery: one retained config per entity (pure).

Every entity has ``unique_id`` ``wattplan_<site>_<key>`` (so users can rename, hide and chart
it) and ``default_entity_id`` ``<platform>.wattplan_<site>_<key>`` (Home Assistant 2025.10
replaced ``object_id`` with it), the one ``device`` block and ``origin``, and ``availability``
on the status topic. Live
sensors read the ``state`` topic and expire after a few missed polls (``expire_after``); the
plan, decision and savings sensors read their retained topics; the controls read the ``home``
topic and send JSON to their ``…/set`` topics (see :mod:`optimiser.mqtt.commands`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from optimiser.domain.actions import Action
from optimiser.domain.device import OperationMode
from optimiser.mqtt.payloads import ACTION_SAFE, EVENT_TYPES
from optimiser.mqtt.topics import Command, Topics
from optimiser.service.inbox import ManualMode

EXPIRE_POLLS = 3
"""Live sensors go unavailable after this many missed polls."""


class Source(StrEnum):
    """Which topic an entity reads."""

    STATE = "state"
    PLAN = "plan"
    DECISION = "decision"
    SAVINGS = "savings"
    HOME = "home"
    EVENT = "event"


@dataclass(frozen=True)
class Entity:
    """One Home Assistant entity: its key, platform, topic and presentation."""

    key: str
    component: str
    name: str
    source: Source
    value_template: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _sensor(
    key: str, name: str, field_: str, source: Source = Source.STATE, **extra: Any
) -> Entity:
    return Entity(key, "sensor", name, source, f"{{{{ value_json.{field_} }}}}", extra)


def _power(key: str, name: str, field_: str) -> Entity:
    return _sensor(
        key, name, field_, device_class="power", state_class="measurement", unit_of_measurement="W"
    )


def _energy(key: str, name: str, field_: str) -> Entity:
    return _sensor(
        key,
        name,
        f"energy.{field_}",
        device_class="energy",
        state_class="total_increasing",
        unit_of_measurement="kWh",
    )


def _money(key: str, name: str, field_: str, source: Source, state_class: str | None) -> Entity:
    extra: dict[str, Any] = {"device_class": "monetary", "unit_of_measurement": "GBP"}
    if state_class is not None:
        extra["state_class"] = state_class
    return _sensor(key, name, field_, source, **extra)


def _price(key: str, name: str, field_: str, unit: str) -> Entity:
    return _sensor(key, name, field_, state_class="measurement", unit_of_measurement=unit)


def _binary(key: str, name: str, test: str, device_class: str | None) -> Entity:
    extra: dict[str, Any] = {"device_class": device_class} if device_class else {}
    return Entity(
        key,
        "binary_sensor",
        name,
        Source.STATE,
        f"{{{{ 'ON' if value_json.{test} else 'OFF' }}}}",
        extra,
    )


def _switch(payload_on: str, payload_off: str) -> dict[str, Any]:
    """A switch sends JSON but reads ``ON``/``OFF`` from its value template (a switch compares
    its state with ``payload_on`` unless ``state_on`` says otherwise)."""
    return {
        "payload_on": payload_on,
        "payload_off": payload_off,
        "state_on": "ON",
        "state_off": "OFF",
    }


ACTIONS = (*(a.value for a in Action), ACTION_SAFE)

ENTITIES: tuple[Entity, ...] = (
    _power("grid_power", "Grid power", "grid_power_w"),
    _power("battery_power", "Battery power", "battery_power_w"),
    _power("solar_power", "Solar power", "solar_power_w"),
    _power("load_power", "Home power", "load_power_w"),
    _sensor(
        "battery_level",
        "Battery",
        "battery_percent",
        device_class="battery",
        state_class="measurement",
        unit_of_measurement="%",
    ),
    _sensor(
        "stored_energy",
        "Stored energy",
        "stored_energy_kwh",
        device_class="energy_storage",
        state_class="measurement",
        unit_of_measurement="kWh",
    ),
    _sensor(
        "backup_reserve",
        "Backup reserve",
        "backup_reserve_percent",
        state_class="measurement",
        unit_of_measurement="%",
    ),
    _sensor(
        "operation_mode",
        "Operation mode",
        "operation_mode",
        device_class="enum",
        options=[m.value for m in OperationMode],
    ),
    _sensor("action", "Action", "action", device_class="enum", options=list(ACTIONS)),
    _sensor("asked", "Settings asked for", "asked_summary"),
    _price("import_price", "Import price", "import_price_gbp_per_kwh", "GBP/kWh"),
    _price("export_price", "Export price", "export_price_gbp_per_kwh", "GBP/kWh"),
    _price("import_price_p", "Import price (pence)", "import_price_p_per_kwh", "p/kWh"),
    _price("export_price_p", "Export price (pence)", "export_price_p_per_kwh", "p/kWh"),
    _sensor(
        "commands_used", "Commands used today", "commands_used_today", state_class="measurement"
    ),
    _sensor(
        "commands_left", "Commands left today", "commands_left_today", state_class="measurement"
    ),
    _sensor("last_error", "Last error", "last_error"),
    _energy("grid_import_energy", "Grid import", "grid_imported_kwh"),
    _energy("grid_export_energy", "Grid export", "grid_exported_kwh"),
    _energy("battery_charge_energy", "Battery charged", "battery_charged_kwh"),
    _energy("battery_discharge_energy", "Battery discharged", "battery_discharged_kwh"),
    _energy("solar_energy", "Solar production", "solar_kwh"),
    _energy("load_energy", "Home consumption", "load_kwh"),
    _binary("grid_up", "Grid", "grid_up", "power"),
    _binary("battery_held", "Battery held", "held", None),
    _money("plan_cost", "Plan cost", "plan_gbp", Source.PLAN, None),
    _money(
        "plan_saving", "Plan saving vs no battery", "saving_vs_no_battery_gbp", Source.PLAN, None
    ),
    _sensor("decision", "Decision", "short", Source.DECISION),
    _money("cost_today", "Cost today", "today.cost_gbp", Source.SAVINGS, "total"),
    _money("savings_today", "Savings today", "today.saving_gbp", Source.SAVINGS, "total"),
    _money("cost_month", "Cost this month", "month.cost_gbp", Source.SAVINGS, "total"),
    _money("savings_month", "Savings this month", "month.saving_gbp", Source.SAVINGS, "total"),
    Entity("event", "event", "Event", Source.EVENT, None, {"event_types": list(EVENT_TYPES)}),
    Entity(
        "mode",
        "select",
        "Manual mode",
        Source.HOME,
        "{{ value_json.override.mode if value_json.override else 'auto' }}",
        {"options": [m.value for m in ManualMode], "command_template": '{"mode": "{{ value }}"}'},
    ),
    Entity(
        "override_until",
        "sensor",
        "Manual mode until",
        Source.HOME,
        "{{ value_json.override.until if value_json.override else None }}",
        {"device_class": "timestamp"},
    ),
    Entity(
        "reserve_floor",
        "number",
        "Reserve floor",
        Source.HOME,
        "{{ value_json.reserve_floor_percent if value_json.reserve_floor_percent is not none "
        "else 0 }}",
        {
            "min": 0,
            "max": 100,
            "step": 1,
            "mode": "box",
            "unit_of_measurement": "%",
            "command_template": '{"percent": {{ value }}}',
        },
    ),
    Entity(
        "control",
        "switch",
        "Control",
        Source.HOME,
        "{{ 'ON' if value_json.control else 'OFF' }}",
        _switch('{"on": true}', '{"on": false}'),
    ),
    Entity("replan", "button", "Re-plan now", Source.HOME, None, {"payload_press": "{}"}),
)
"""Every fixed entity (the context facts' switches are added per key)."""

_COMMANDS = {
    "mode": Command.MODE,
    "reserve_floor": Command.RESERVE_FLOOR,
    "control": Command.CONTROL,
    "replan": Command.REPLAN,
}


def context_entity(key: str) -> Entity:
    """A switch for the boolean context fact ``key`` (on: true, off: false)."""
    return Entity(
        f"context_{key}",
        "switch",
        f"Context {key.replace('_', ' ')}",
        Source.HOME,
        f"{{{{ 'ON' if value_json.context.{key} is defined and value_json.context.{key}.value "
        "else 'OFF' }}",
        _switch('{"value": true}', '{"value": false}'),
    )


@dataclass(frozen=True)
class DeviceInfo:
    """What Home Assistant shows about wattplan."""

    sw_version: str
    model: str = "Powerwall planner"
    manufacturer: str = "wattplan"


def discovery_configs(
    topics: Topics,
    device: DeviceInfo,
    *,
    poll_interval_s: float,
    context_keys: Iterable[str],
) -> dict[str, dict[str, Any]]:
    """Config topic → config payload for every entity (retained by the publisher)."""
    expire_after = math.ceil(EXPIRE_POLLS * poll_interval_s)
    source_topics = {
        Source.STATE: topics.state,
        Source.PLAN: topics.plan,
        Source.DECISION: topics.decision,
        Source.SAVINGS: topics.savings,
        Source.HOME: topics.home,
        Source.EVENT: topics.event,
    }
    device_block = {
        "identifiers": [f"wattplan_{topics.site_id}"],
        "name": f"wattplan {topics.site_id}",
        "manufacturer": device.manufacturer,
        "model": device.model,
        "sw_version": device.sw_version,
    }
    origin = {"name": "wattplan", "sw_version": device.sw_version}
    entities = [*ENTITIES, *(context_entity(k) for k in sorted(set(context_keys)))]
    configs: dict[str, dict[str, Any]] = {}
    for entity in entities:
        config: dict[str, Any] = {
            "name": entity.name,
            "unique_id": topics.unique_id(entity.key),
            "default_entity_id": f"{entity.component}.{topics.unique_id(entity.key)}",
            "device": device_block,
            "origin": origin,
            "availability_topic": topics.status,
            "payload_available": "online",
            "payload_not_available": "offline",
        }
        if entity.component != "button":
            config["state_topic"] = source_topics[entity.source]
        if entity.value_template is not None:
            config["value_template"] = entity.value_template
        if entity.source == Source.STATE:
            config["expire_after"] = expire_after
        if entity.key == "plan_cost":
            config["json_attributes_topic"] = topics.plan
        if entity.key == "decision":
            config["json_attributes_topic"] = topics.decision
        if entity.key in _COMMANDS:
            config["command_topic"] = topics.set(_COMMANDS[entity.key])
        elif entity.key.startswith("context_"):
            config["command_topic"] = topics.set(Command.CONTEXT, entity.key[len("context_") :])
        config.update(entity.extra)
        configs[topics.config(entity.component, entity.key)] = config
    return configs
