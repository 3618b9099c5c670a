"""Every discovery config is one Home Assistant accepts and reads right: ids, the device and
availability, the class/state class/unit pairs Home Assistant allows, and value templates that,
rendered on wattplan's own payloads, give what each platform expects (a number, an enum
option, a switch's ``state_on``/``state_off``)."""

from __future__ import annotations

import json
from datetime import timedelta

from jinja2 import Environment

from optimiser.domain.slots import LONDON
from optimiser.mqtt.discovery import DeviceInfo, discovery_configs
from optimiser.mqtt.payloads import encode, home_payload, plan_payload, state_payload
from optimiser.mqtt.savings import realised_savings
from optimiser.mqtt.topics import Topics
from optimiser.service import ContextFact, HomeInputs, ManualMode, ModeOverride
from optimiser.service.records import CommandCount
from tariffs import get_tariff
from tests.optimiser.mqtt.test_payloads import NOW, planned, site

TOPICS = Topics("wattplan/home", "homeassistant", "home")
ALLOWED = {  # device class → (state classes, units) Home Assistant accepts for it
    "power": ({"measurement"}, {"W"}),
    "energy": ({"total_increasing", "total"}, {"kWh"}),
    "energy_storage": ({"measurement", "total"}, {"kWh"}),
    "battery": ({"measurement"}, {"%"}),
    "monetary": ({None, "total"}, {"GBP"}),
    "enum": ({None}, {None}),
    "timestamp": ({None}, {None}),
}


def configs() -> dict[str, dict]:
    return discovery_configs(
        TOPICS, DeviceInfo("1.2.3"), poll_interval_s=90, context_keys=("away", "storm_warning")
    )


def payloads() -> dict[str, dict]:
    result = planned()
    home, _ = HomeInputs().taking(
        [ModeOverride(ManualMode.HOLD, timedelta(minutes=30)), ContextFact("away", True, None)],
        NOW,
    )
    state = state_payload(
        site(), NOW, plan=result, decision=None, home=home, commands=CommandCount(2, 3)
    )
    savings = realised_savings([], get_tariff("flux", "C"), NOW, LONDON, max_step_s=270)
    return {
        TOPICS.state: state,
        TOPICS.plan: plan_payload(result, NOW),
        TOPICS.decision: {"short": "hold: slot"},
        TOPICS.savings: savings.to_json_dict(),
        TOPICS.home: home_payload(home),
    }


def render(template: str, document: dict) -> str:
    # Home Assistant renders value templates with Jinja2 on the payload's JSON as value_json.
    value_json = json.loads(encode(document))
    return Environment().from_string(template).render(value_json=value_json).strip()


def test_ids_device_origin_and_availability():
    found = configs()
    for topic, config in found.items():
        _, component, node, key, _ = topic.split("/")
        assert node == "wattplan_home"
        assert config["unique_id"] == f"wattplan_home_{key}"
        assert config["default_entity_id"] == f"{component}.wattplan_home_{key}"
        assert "object_id" not in config  # gone from Home Assistant in 2026.4
        assert set(config["device"]) == {
            "identifiers",
            "name",
            "manufacturer",
            "model",
            "sw_version",
        }
        assert config["origin"] == {"name": "wattplan", "sw_version": "1.2.3"}
        assert config["availability_topic"] == "wattplan/home/status"
        if config.get("state_topic") == TOPICS.state:
            assert config["expire_after"] == 3 * 90
    assert len({c["unique_id"] for c in found.values()}) == len(found)


def test_classes_state_classes_and_units_are_ones_home_assistant_accepts():
    for topic, config in configs().items():
        device_class = config.get("device_class")
        if not topic.startswith("homeassistant/sensor/") or device_class is None:
            continue
        state_classes, units = ALLOWED[device_class]
        assert config.get("state_class") in state_classes, topic
        assert config.get("unit_of_measurement") in units, topic


def test_templates_render_what_each_platform_expects_on_wattplans_payloads():
    documents = payloads()
    for topic, config in configs().items():
        template = config.get("value_template")
        if template is None:
            continue
        value = render(template, documents[config["state_topic"]])
        component = topic.split("/")[1]
        if component == "switch":
            assert value in (config["state_on"], config["state_off"]), topic
        elif component == "binary_sensor":
            assert value in ("ON", "OFF"), topic
        elif component == "select" or config.get("device_class") == "enum":
            assert value in config["options"], topic
        elif config.get("state_class") or component == "number":
            float(value)  # a number Home Assistant can chart
    found = configs()
    home = documents[TOPICS.home]
    held = found["homeassistant/binary_sensor/wattplan_home/battery_held/config"]
    assert render(held["value_template"], documents[TOPICS.state]) == "ON"
    away = found["homeassistant/switch/wattplan_home/context_away/config"]
    assert render(away["value_template"], home) == "ON"
    storm = found["homeassistant/switch/wattplan_home/context_storm_warning/config"]
    assert render(storm["value_template"], home) == "OFF"
    mode = found["homeassistant/select/wattplan_home/mode/config"]
    assert render(mode["value_template"], home) == "hold"
    control = found["homeassistant/switch/wattplan_home/control/config"]
    assert render(control["value_template"], home) == control["state_on"] == "ON"
    assert json.loads(control["payload_on"]) == {"on": True}
