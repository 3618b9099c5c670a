"""``…/set`` payloads validated into inbox messages; everything else rejected with why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from optimiser.mqtt import CommandRejected, Topics, parse_command
from optimiser.service import (
    ContextFact,
    ControlSwitch,
    ManualMode,
    ModeOverride,
    ReplanNow,
    ReserveFloor,
)

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
TOPICS = Topics("wattplan/home", "homeassistant", "home")
KEYS = {"storm_warning", "away", "guests"}


def parse(path: str, payload: str | bytes, *, retained: bool = False):
    data = payload.encode() if isinstance(payload, str) else payload
    return parse_command(
        f"wattplan/home/{path}/set",
        data,
        topics=TOPICS,
        context_keys=KEYS,
        default_ttl=timedelta(minutes=60),
        now=NOW,
        retained=retained,
    )


@pytest.mark.parametrize(
    ("path", "payload", "message"),
    [
        ("mode", '"hold"', ModeOverride(ManualMode.HOLD, timedelta(minutes=60), "mqtt")),
        (
            "mode",
            '{"mode": "export", "ttl_minutes": 2}',
            ModeOverride(ManualMode.EXPORT, timedelta(minutes=2), "mqtt"),
        ),
        ("mode", '{"mode": "auto"}', ModeOverride(ManualMode.AUTO, timedelta(minutes=60), "mqtt")),
        ("reserve_floor", "40", ReserveFloor(40.0, "mqtt")),
        ("reserve_floor", '{"percent": 12.5}', ReserveFloor(12.5, "mqtt")),
        ("reserve_floor", '{"percent": null}', ReserveFloor(None, "mqtt")),
        ("control", "false", ControlSwitch(False, "mqtt")),
        ("control", '{"on": true}', ControlSwitch(True, "mqtt")),
        ("replan", "{}", ReplanNow("mqtt")),
        ("replan", "true", ReplanNow("mqtt")),
        ("context/away", "true", ContextFact("away", True, None, "mqtt")),
        (
            "context/storm_warning",
            '{"value": true, "expires": "6h"}',
            ContextFact("storm_warning", True, timedelta(hours=6), "mqtt"),
        ),
        (
            "context/guests",
            '{"value": 2, "expires": "2025-01-16T06:00:00Z"}',
            ContextFact("guests", 2, datetime(2025, 1, 16, 6, tzinfo=UTC), "mqtt"),
        ),
        ("context/away", '{"value": null}', ContextFact("away", None, None, "mqtt")),
    ],
)
def test_valid_commands(path, payload, message):
    assert parse(path, payload) == message


@pytest.mark.parametrize(
    ("path", "payload", "why"),
    [
        ("mode", "hold", "expected JSON, got 'hold'"),
        ("mode", b"\xff\xfe", "expected JSON"),
        ("mode", '{"mode": 3}', "mode: Input should be"),
        ("mode", '{"mode": "boost"}', "mode: Input should be 'auto', 'hold'"),
        ("mode", '{"mode": "hold", "extra": 1}', "extra: Extra inputs are not permitted"),
        ("mode", '{"mode": "hold", "ttl_minutes": 0}', "ttl_minutes: Input should be greater"),
        ("mode", '{"mode": "hold", "ttl_minutes": true}', "ttl_minutes"),
        ("mode", '{"mode": "hold", "ttl_minutes": 100000}', "ttl_minutes: Input should be less"),
        ("reserve_floor", "101", "percent: Input should be less than or equal to 100"),
        ("reserve_floor", "-1", "percent: Input should be greater than or equal to 0"),
        ("reserve_floor", '"40"', "percent"),
        ("reserve_floor", "[40]", "percent"),
        ("control", '"on"', "on: Input should be a valid boolean"),
        ("control", "1", "on: Input should be a valid boolean"),
        ("replan", '{"now": 1}', "now: Extra inputs are not permitted"),
        ("context/away", '{"value": {"a": 1}}', "value"),
        ("context/away", '{"value": "' + "x" * 101 + '"}', "value"),
        ("context/away", '{"value": true, "expires": "soon"}', "expected a duration like 6h"),
        ("context/away", '{"value": true, "expires": "2025-01-15T11:00:00Z"}', "already passed"),
        ("context/away", '{"value": true, "expires": "2025-01-16T06:00:00"}', "time zone"),
        ("context/away", '{"value": true, "expires": "400d"}', "up to 366 days"),
        ("context/away", '{"value": true, "when": "now"}', "when: Extra inputs"),
        ("context/typo_key", "true", "unknown context key 'typo_key'; known keys: away, guests"),
        ("context/manual_mode", '"hold"', "manual_mode is set through mode/set"),
        ("context", "true", "context facts go to context/<key>/set"),
        ("boost", "{}", "unknown command; expected one of mode, reserve_floor"),
        ("mode", "x" * 5000, "expected at most 4096 bytes of JSON, got 5000"),
    ],
)
def test_malformed_commands_are_rejected_with_why(path, payload, why):
    with pytest.raises(CommandRejected) as caught:
        parse(path, payload)
    assert why in caught.value.why
    assert caught.value.command == path
    assert str(caught.value).startswith(f"{path}/set: ")


def test_a_retained_command_is_rejected():
    with pytest.raises(CommandRejected, match="retained commands are ignored"):
        parse("mode", '"hold"', retained=True)


def test_topics_outside_the_prefix_are_not_commands():
    assert TOPICS.command_path("wattplan/other/mode/set") is None
    assert TOPICS.command_path("wattplan/home/mode/state") is None
    assert TOPICS.command_path("wattplan/home/context/away/set") == "context/away"
