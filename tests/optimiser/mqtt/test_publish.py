"""What Home Assistant sees: discovery configs, state every poll, the plan retained."""

from __future__ import annotations

import json

from tests.optimiser.mqtt.broker import HomeAssistant


def test_discovery_state_and_retained_plan(wired, broker, ha):
    w = wired()
    w.run_for(10)
    configs = {
        m.topic: m.json()
        for m in ha.messages
        if m.topic.startswith("homeassistant/") and m.topic.endswith("/config")
    }
    print(len(configs))
    state = ha.wait_for(lambda m: m.topic == w.topics.state)
    print(json.dumps(state.json(), indent=1)[:3000])
    plan = ha.wait_for(lambda m: m.topic == w.topics.plan)
    print(len(plan.payload), plan.json()["slots_shown"], plan.json()["slots_total"])
    with HomeAssistant(broker, client_id="late") as late:
        got = late.wait_for(lambda m: m.topic == w.topics.plan)
        assert got.retain
