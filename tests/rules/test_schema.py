"""Rules files: strict schema, exact messages with file:line:column."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from rules import YamlError, load_rules, loads_rules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def error_of(text: str) -> str:
    with pytest.raises(YamlError) as info:
        loads_rules(text, "rules.yaml")
    return str(info.value)


def test_example_rules_file_validates():
    rules = load_rules(EXAMPLES / "rules.yaml")
    assert len(rules.rules) >= 10
    assert rules.ordered()[0].name == "storm reserve"


def test_misspelt_key_is_named_with_its_position():
    text = "rules:\n  - name: a\n    do:\n      no_exprt: all\n"
    assert error_of(text) == (
        "rules.yaml:4:7: rules[0].do.no_exprt: unknown key 'no_exprt' "
        "(check the spelling; see the documented keys)"
    )


def test_bad_window_says_what_was_expected():
    text = "rules:\n  - name: a\n    when: {time: '4pm-7pm'}\n    do: {hold: true}\n"
    message = error_of(text)
    assert message.startswith("rules.yaml:3:12: rules[0].when.time:")
    assert "expected a window like '16:00-19:00', got '4pm-7pm'" in message


def test_rule_without_action_is_rejected():
    message = error_of("rules:\n  - name: a\n    do: {}\n")
    assert "at least one action" in message
    assert message.startswith("rules.yaml:3:")


def test_duplicate_names_and_keys():
    assert "two rules are named 'a'" in error_of(
        "rules:\n  - {name: a, do: {hold: true}}\n  - {name: a, do: {hold: true}}\n"
    )
    assert error_of("rules: []\nrules: []\n") == "rules.yaml:2:1: duplicate key 'rules'"


def test_malformed_yaml_has_a_position():
    assert error_of("rules:\n  - name: [a\n").startswith("rules.yaml:3:1: malformed YAML")


def test_percent_out_of_range():
    message = error_of("rules:\n  - name: a\n    do: {max_soc_percent: 120}\n")
    assert "rules[0].do.max_soc_percent" in message
    assert "got 120" in message


def test_shorthands():
    rules = loads_rules(
        "rules:\n  - name: a\n"
        "    when: {context: storm, days: [Monday, SAT], time: '22:00-06:00'}\n"
        "    do: {no_export: true, reach: {percent: 90, by: '07:00'}}\n"
    )
    rule = rules.rules[0]
    assert rule.when.context == {"storm": True}
    assert [d.value for d in rule.when.days] == ["mon", "sat"]
    assert rule.when.time.contains(time(23, 0)) and not rule.when.time.contains(time(12, 0))
    assert rule.do.no_export == "all"
    assert rule.do.reach.by == time(7, 0)


def test_expiry_needs_a_timezone():
    message = error_of(
        "rules:\n  - name: a\n    expires: 2026-12-01T00:00:00\n    do: {hold: true}\n"
    )
    assert "expires needs a time zone" in message


def test_missing_file():
    with pytest.raises(YamlError, match="file not found"):
        load_rules(Path("/nonexistent/rules.yaml"))


@pytest.mark.parametrize("day", ["monkey", "Sunny", "mo", "tues"])
def test_a_day_name_is_a_day_name_not_a_prefix(day):
    message = error_of(
        f"rules:\n  - name: a\n    when: {{days: [{day}]}}\n    do: {{hold: true}}\n"
    )
    assert "rules[0].when.days" in message and repr(day) in message


def test_full_and_short_day_names_in_any_case():
    rules = loads_rules(
        "rules:\n  - {name: a, when: {days: [Sunday, TUE, wednesday]}, do: {hold: true}}\n"
    )
    assert [d.value for d in rules.rules[0].when.days] == ["sun", "tue", "wed"]


def test_an_empty_time_window_is_refused_and_all_day_is_spelt_out():
    message = error_of(
        "rules:\n  - name: a\n    when: {time: '23:30-23:30'}\n    do: {hold: true}\n"
    )
    assert "rules[0].when.time" in message and "'23:30-23:30'" in message
    assert "00:00-24:00" in message
    rules = loads_rules("rules:\n  - {name: a, when: {time: '00:00-24:00'}, do: {hold: true}}\n")
    assert rules.rules[0].when.time.contains(time(12, 0))


def test_a_price_window_that_can_never_hold_is_refused():
    text = "rules:\n  - name: a\n    when: {price: {import: {above: 30, below: 10}}}\n"
    message = error_of(text + "    do: {hold: true}\n")
    assert "rules[0].when.price.import" in message and "never" in message


def test_one_rule_cannot_want_a_floor_above_its_own_ceiling():
    text = "rules:\n  - name: a\n    do: {min_reserve: {percent: 80}, max_soc_percent: 60}\n"
    message = error_of(text)
    assert "rules[0].do" in message and "80" in message and "60" in message
