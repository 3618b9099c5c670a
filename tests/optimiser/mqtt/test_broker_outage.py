"""The broker goes away for an hour of the service's time: polling, recording and control go
on, no sample is missing, and on its return wattplan re-publishes discovery and its retained
topics."""

from __future__ import annotations

import time
from datetime import timedelta

from tests.optimiser.mqtt.broker import HomeAssistant

RECONNECT_S = 20.0


def test_broker_stopped_and_restarted(wired, broker, house):
    w = wired(reconnect_min_s=0.2, reconnect_max_s=1.0)
    w.run_for(30)
    polls_before = w.service.stats.polls

    broker.stop()
    deadline = time.monotonic() + RECONNECT_S
    while w.publisher.link.connected:  # the broker closed the socket: paho notices at once
        assert time.monotonic() < deadline
        time.sleep(0.01)
    w.run_for(60)  # an hour of polls, plans and decisions with nobody to publish to
    assert w.service.stats.polls == polls_before + 12
    assert w.service.stats.decisions >= 3  # still deciding (a decision every slot)
    assert w.service.stats.gaps == 0 and w.service.stats.plan_failures == 0

    broker.start()
    with HomeAssistant(broker, client_id="home-assistant-after") as ha:
        deadline = time.monotonic() + RECONNECT_S
        while w.publisher.link.connects < 2:
            assert time.monotonic() < deadline, "the publisher did not reconnect"
            time.sleep(0.05)
        ha.wait_for(lambda m: m.topic.endswith("/grid_power/config"), RECONNECT_S)
        status = ha.wait_for(lambda m: m.topic == "wattplan/home/status")
        assert status.payload == b"online"
        last_poll = w.service.clock.now()
        state = ha.wait_for(lambda m: m.topic == w.topics.state).json()
        assert state["read_at"] == last_poll.isoformat()  # the latest, kept while away
        plan = ha.wait_for(lambda m: m.topic == w.topics.plan).json()
        assert plan["made_at"] == w.service.plans[-1].made_at.isoformat()
        mark = ha.mark()
        w.run_for(10)
        ha.wait_for(lambda m: m.topic == w.topics.state, after=mark)

    # Every poll was recorded, the hour without a broker included: no sample is missing.
    samples = sorted(s.time for s in house.store.samples())
    assert len(samples) == w.service.stats.samples
    assert samples[-1] - samples[0] == timedelta(minutes=100)
    assert len(samples) == 100 // 5 + 1


def test_nothing_stale_is_published_after_a_reconnect(wired, broker):
    # A broker that hangs acknowledges nothing: what wattplan publishes meanwhile stays in
    # flight. When it comes back, the home must see the latest state, never one of those.
    w = wired(reconnect_min_s=2.0, reconnect_max_s=2.0)
    w.run_for(10)
    broker.freeze()
    w.run_for(30)  # six polls published into a connection that answers nothing
    w.publisher.settle(1.0)  # handed to paho (not acknowledged: the broker is frozen)
    latest = w.service.clock.now().isoformat()
    broker.kill()
    deadline = time.monotonic() + RECONNECT_S
    while w.publisher.link.connected:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    broker.start()
    # Subscribed before wattplan reconnects (its back-off is 2 s): every message is seen.
    with HomeAssistant(broker, client_id="home-assistant-after") as ha:
        ha.wait_for(lambda m: m.topic == w.topics.state, RECONNECT_S)
        ha.wait_for(lambda m: m.topic == w.topics.savings, RECONNECT_S)  # republished after
        states = [m.json()["read_at"] for m in ha.on(w.topics.state)]
        assert states and set(states) == {latest}, states
    with HomeAssistant(broker, client_id="home-assistant-late") as late:
        kept = late.wait_for(lambda m: m.topic == w.topics.state, RECONNECT_S)
        assert kept.retain and kept.json()["read_at"] == latest
