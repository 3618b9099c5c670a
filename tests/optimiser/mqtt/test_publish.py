"""What Home Assistant sees over a real broker: discovery configs with unique ids for every
entity, the state every poll, the plan retained, availability, and discovery again when Home
Assistant comes back online."""

from __future__ import annotations

import json
from datetime import timedelta

from optimiser.mqtt.discovery import ENTITIES
from optimiser.mqtt.payloads import PLAN_MAX_BYTES
from tests.optimiser.mqtt.broker import HomeAssistant

CONTEXT_KEYS = ("away", "ev_plugged_in", "saving_session", "storm_warning")


def configs(ha: HomeAssistant, after: int = 0) -> dict[str, dict]:
    return {
        m.topic: m.json()
        for m in ha.messages[after:]
        if m.topic.startswith("homeassistant/") and m.topic.endswith("/config")
    }


def test_discovery_configs_have_unique_ids_device_and_availability(wired, ha):
    w = wired()
    expected = len(ENTITIES) + len(CONTEXT_KEYS)
    ha.wait_for(lambda m: len(configs(ha)) == expected)
    found = configs(ha)
    ids = [c["unique_id"] for c in found.values()]
    assert len(set(ids)) == expected
    assert all(i.startswith("wattplan_home_") for i in ids)
    assert {f"wattplan_home_context_{k}" for k in CONTEXT_KEYS} <= set(ids)
    for topic, config in found.items():
        root, component, node, key, leaf = topic.split("/")
        assert (root, node, leaf) == ("homeassistant", "wattplan_home", "config")
        assert config["unique_id"] == f"wattplan_home_{key}", component
        assert config["device"]["identifiers"] == ["wattplan_home"]
        assert config["origin"]["name"] == "wattplan"
        assert config["availability_topic"] == "wattplan/home/status"
    by_id = {c["unique_id"]: c for c in found.values()}
    power = by_id["wattplan_home_grid_power"]
    assert (power["device_class"], power["state_class"], power["unit_of_measurement"]) == (
        "power",
        "measurement",
        "W",
    )
    assert power["expire_after"] == 3 * 300  # three missed polls
    energy = by_id["wattplan_home_grid_import_energy"]
    assert (energy["device_class"], energy["state_class"], energy["unit_of_measurement"]) == (
        "energy",
        "total_increasing",
        "kWh",
    )
    assert by_id["wattplan_home_battery_level"]["device_class"] == "battery"
    assert by_id["wattplan_home_savings_today"]["unit_of_measurement"] == "GBP"
    assert by_id["wattplan_home_savings_today"]["device_class"] == "monetary"
    assert by_id["wattplan_home_action"]["device_class"] == "enum"
    assert "hold" in by_id["wattplan_home_action"]["options"]
    assert by_id["wattplan_home_mode"]["command_topic"] == "wattplan/home/mode/set"
    assert by_id["wattplan_home_plan_cost"]["json_attributes_topic"] == "wattplan/home/plan"
    for held in ("grid_up", "battery_held"):
        assert found[f"homeassistant/binary_sensor/wattplan_home/{held}/config"]
    status = ha.wait_for(lambda m: m.topic == "wattplan/home/status")
    assert status.payload == b"online"
    assert w.publisher.link.connects == 1


def test_state_every_poll_and_the_plan_retained(wired, broker, ha):
    w = wired()
    w.run_for(20)  # polls at 12:00, 12:05, … 12:20 (every 300 s)
    start = w.service.decisions[0].time
    want = {(start + timedelta(minutes=m)).isoformat() for m in range(0, 21, 5)}
    # Each poll's state arrives (bounded wait: a real broker, real sockets).
    ha.wait_for(
        lambda m: (
            m.topic == w.topics.state
            and m.json()["read_at"] == max(want)
            and m.json()["import_price_p_per_kwh"] is not None
        )
    )
    states = {m.json()["read_at"] for m in ha.on(w.topics.state)}
    assert want <= states
    state = ha.on(w.topics.state)[-1].json()
    assert state["grid_up"] is True and state["operation_mode"] == "self_consumption"
    assert 0 <= state["battery_percent"] <= 100 and state["action"] == "self_power"
    assert state["commands_left_today"] is not None
    assert state["import_price_gbp_per_kwh"] == round(state["import_price_p_per_kwh"] / 100, 4)

    plan = ha.wait_for(lambda m: m.topic == w.topics.plan).json()
    assert plan["slots_shown"] == plan["slots_total"] > 0
    assert plan["plan_gbp"] is not None and plan["no_battery_gbp"] is not None
    decision = ha.wait_for(lambda m: m.topic == w.topics.decision).json()
    assert decision["action"] == "self_power" and "read_back" in decision
    assert decision["commands_left_today"] == state["commands_left_today"]  # the same budget
    with HomeAssistant(broker, client_id="home-assistant-restarted") as late:
        for topic in (w.topics.plan, w.topics.state, w.topics.decision, w.topics.home):
            got = late.wait_for(lambda m, t=topic: m.topic == t)
            assert got.retain, topic
        assert len(json.dumps(late.on(w.topics.plan)[-1].json())) <= PLAN_MAX_BYTES


def test_discovery_again_when_home_assistant_comes_online(wired, ha):
    w = wired()
    ha.wait_for(lambda m: m.topic.endswith("/grid_power/config"))
    mark = ha.mark()
    ha.send("homeassistant/status", "online")
    again = ha.wait_for(lambda m: m.topic.endswith("/grid_power/config"), after=mark)
    assert again.json()["unique_id"] == "wattplan_home_grid_power"
    assert w.publisher.link.connects == 1  # no reconnect needed: Home Assistant asked


def test_a_power_cut_is_an_event_within_one_poll(wired, ha, house):
    w = wired()
    w.run_for(10)
    house.site.cut_power()
    mark = ha.mark()
    w.run_for(5)  # the next poll sees it
    lost = ha.wait_for(
        lambda m: m.topic == w.topics.event and m.json()["event_type"] == "grid_lost", after=mark
    )
    assert lost.json()["time"] == w.service.clock.now().isoformat()
    state = ha.wait_for(lambda m: m.topic == w.topics.state and not m.json()["grid_up"], after=mark)
    assert state.json()["grid_status"] != "SystemGridConnected"
    house.site.restore_power()
    w.run_for(5)
    ha.wait_for(lambda m: m.topic == w.topics.event and m.json()["event_type"] == "grid_restored")
