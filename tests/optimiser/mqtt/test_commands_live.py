"""What the home sends over a real broker reaches the service: a context fact changes the next
plan, a manual hold is applied and lapses by itself, malformed payloads change nothing."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from optimiser.domain.actions import Action
from optimiser.mqtt import Command
from optimiser.mqtt.commands import MAX_PAYLOAD_BYTES
from optimiser.service import EventKind, ManualMode
from rules.schema import RulesFile
from tests.optimiser.mqtt.conftest import Wired
from tests.optimiser.service.conftest import FLOOR_RAW

WAIT_S = 10.0

STORM_RULES = RulesFile.model_validate(
    {
        "rules": [
            {
                "name": "storm reserve",
                "when": {"context": {"storm_warning": True}},
                "do": {"min_reserve": {"percent": 80, "hard": True}},
            }
        ]
    }
)


def arrived(w: Wired, count: int = 1) -> None:
    """Wait (bounded, real time) until ``count`` messages wait in the inbox."""
    deadline = time.monotonic() + WAIT_S
    while w.inbox.pending() < count:
        assert time.monotonic() < deadline, "the command never reached the inbox"
        time.sleep(0.01)


def span(record) -> Action | None:
    a = record.applied
    return a.span.action if a is not None and a.span is not None else None


def test_a_context_fact_changes_the_next_plan(wired, ha):
    w = wired(rules=STORM_RULES)
    w.run_for(10)
    first = w.service.current_plan
    assert first.rules.effects.fired["storm reserve"] == ()
    decisions = len(w.service.decisions)

    ha.send(w.topics.set(Command.CONTEXT, "storm_warning"), '{"value": true, "expires": "6h"}')
    arrived(w)
    mark = ha.mark()
    w.run_for(1)  # well before the next slot: the loop takes the fact at once

    decision = w.service.decisions[decisions]  # the very next decision
    assert decision.why.startswith("home: context storm_warning=True")
    assert decision.time < first.request.now + timedelta(minutes=11)
    plan = w.service.current_plan
    assert plan.rules.effects.fired["storm reserve"]  # the rule fires from now
    assert plan.request.context["storm_warning"] is True
    ha.wait_for(
        lambda m: m.topic == w.topics.plan and "storm reserve" in m.json()["rules_now"],
        after=mark,
    )
    event = ha.wait_for(
        lambda m: m.topic == w.topics.event and m.json()["event_type"] == "rule_fired",
        after=mark,
    )
    assert "storm reserve" in event.json()["detail"]
    home = ha.wait_for(lambda m: m.topic == w.topics.home, after=mark).json()
    assert home["context"]["storm_warning"]["value"] is True


def test_a_manual_hold_is_applied_reported_and_lapses(wired, ha, house):
    house.clock.advance(timedelta(hours=5))  # 17:00, dark: the plan discharges for the house
    w = wired()
    w.run_for(10)
    assert span(w.service.decisions[-1]) is Action.SELF_POWER
    assert house.site.settings.backup_reserve_raw_percent == pytest.approx(FLOOR_RAW, abs=0.01)

    ha.send(w.topics.set(Command.MODE), '{"mode": "hold", "ttl_minutes": 2}')
    arrived(w)
    mark = ha.mark()
    w.run_for(1)
    held = w.service.decisions[-1]
    assert held.why.startswith("home: manual hold until")
    assert span(held) is Action.HOLD
    assert house.site.settings.backup_reserve_raw_percent > FLOOR_RAW + 5  # the device holds
    assert w.service.home.override.mode is ManualMode.HOLD
    state = ha.wait_for(lambda m: m.topic == w.topics.state and m.json()["held"], after=mark)
    assert state.json()["override"]["mode"] == "hold"

    mark = ha.mark()
    w.run_for(2)  # the TTL ends at 17:12: no command, the service returns to its plan
    lapsed = w.service.decisions[-1]
    assert lapsed.why == "home: manual hold lapsed: back to the plan"
    assert lapsed.time == held.time + timedelta(minutes=2)
    assert span(lapsed) is Action.SELF_POWER
    assert house.site.settings.backup_reserve_raw_percent == pytest.approx(FLOOR_RAW, abs=0.01)
    assert w.service.home.override is None
    assert w.service.current_plan.rules is None  # no user rules, and the override's is gone
    ha.wait_for(lambda m: m.topic == w.topics.home and m.json()["override"] is None, after=mark)
    kinds = [
        m.json()["detail"]
        for m in ha.on(w.topics.event)
        if m.json()["event_type"] == EventKind.HOME_INPUT.value
    ]
    assert any("lapsed" in k for k in kinds)


MALFORMED = [
    ("mode", b"hold please", "expected JSON"),
    ("mode", b'{"mode": 3}', "mode"),
    ("mode", b'{"mode": "hold", "colour": "red"}', "colour"),
    ("mode", b'{"mode": "hold", "ttl_minutes": -5}', "ttl_minutes"),
    ("mode", b'{"mode": "boost"}', "mode"),
    ("reserve_floor", b"140", "percent"),
    ("reserve_floor", b'"40"', "percent"),
    ("control", b'"yes"', "on"),
    ("replan", b'{"now": true}', "now"),
    ("context/storm_warning", b'{"value": [1, 2]}', "value"),
    ("context/storm_warning", b'{"value": true, "expires": "yesterday"}', "expires"),
    ("context/no_such_fact", b"true", "unknown context key"),
    ("context/manual_mode", b'"hold"', "mode/set"),
    ("launch", b"{}", "unknown command"),
    ("mode", b"x" * 1_000_000, f"at most {MAX_PAYLOAD_BYTES} bytes"),
]


def test_malformed_payloads_change_nothing(wired, ha):
    w = wired()
    w.run_for(10)
    before = (w.service.home, len(w.service.plans), w.service.rules, w.service.context)
    for path, payload, why in MALFORMED:
        mark = ha.mark()
        ha.send(f"{w.topics.prefix}/{path}/set", payload)
        error = ha.wait_for(lambda m, p=path: m.topic == f"{w.topics.prefix}/{p}/error", after=mark)
        assert why in error.json()["error"], (path, payload[:40], error.json())
    assert w.inbox.pending() == 0
    assert w.publisher.rejected == len(MALFORMED)
    w.run_for(1)
    assert (w.service.home, len(w.service.plans), w.service.rules, w.service.context) == before
    w.run_for(30)  # and the service carries on as before
    assert w.service.stats.plan_failures == 0 and w.service.stats.gaps == 0


def test_a_command_left_retained_on_the_broker_is_not_replayed(wired, ha):
    ha.send("wattplan/home/mode/set", '"charge"', retain=True)  # before wattplan connects
    mark = ha.mark()
    w = wired()
    error = ha.wait_for(lambda m: m.topic == f"{w.topics.prefix}/mode/error", after=mark)
    assert "retained" in error.json()["error"]
    ha.send(w.topics.set(Command.MODE), b"", retain=True)  # clear it from the broker
    assert w.inbox.pending() == 0


def test_control_off_is_a_dry_run_and_on_controls_again(wired, ha, house):
    w = wired()
    w.run_for(10)
    ha.send(w.topics.set(Command.MODE), '"charge"')
    arrived(w)
    w.run_for(1)
    assert span(w.service.decisions[-1]) is Action.CHARGE_FROM_GRID
    assert house.site.settings.backup_reserve_raw_percent > FLOOR_RAW + 5

    ha.send(f"{w.topics.prefix}/control/set", "false")
    arrived(w)
    w.run_for(1)
    off = w.service.decisions[-1]
    assert off.why == "home: control off (dry run)" and off.applied.dry_run
    # Switching off left safe settings behind, and the charge still planned is not sent.
    assert house.site.settings.backup_reserve_raw_percent == pytest.approx(FLOOR_RAW, abs=0.01)

    ha.send(f"{w.topics.prefix}/control/set", '{"on": true}')
    arrived(w)
    w.run_for(1)
    on = w.service.decisions[-1]
    assert on.why == "home: control on" and not on.applied.dry_run
    assert house.site.settings.backup_reserve_raw_percent > FLOOR_RAW + 5


def test_a_reserve_floor_and_replan_now(wired, ha):
    w = wired()
    w.run_for(10)
    plans = w.service.stats.plans
    ha.send(f"{w.topics.prefix}/reserve_floor/set", "90")
    arrived(w)
    w.run_for(1)
    assert w.service.decisions[-1].why == "home: reserve floor 90%"
    assert "home: reserve floor" in w.service.current_plan.rules.effects.fired
    ha.send(f"{w.topics.prefix}/replan/set", "{}")
    arrived(w)
    w.run_for(1)
    assert w.service.decisions[-1].why == "home: re-plan now"
    assert w.service.stats.plans == plans + 2
