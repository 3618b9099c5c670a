"""Arbitrary and mutated YAML: always valid rules or one clear, located error; never a crash."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from rules import RulesFile, YamlError, loads_rules

EXAMPLE = (Path(__file__).parents[2] / "examples" / "rules.yaml").read_text()
LOCATED = re.compile(r"^fuzz\.yaml(:\d+:\d+)?: \S")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["16:00-19:00", "07:30", "mon", "backup", "all", "25:00", "2026-02-30"]),
)
keys = st.sampled_from(
    [
        "rules",
        "name",
        "when",
        "do",
        "time",
        "days",
        "min_reserve",
        "percent",
        "hard",
        "reach",
        "by",
        "no_export",
        "force_mode",
        "extra_load",
        "kw",
        "context",
        "priority",
        "colour",
        "version",
    ]
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


def _check(text: str) -> None:
    try:
        result = loads_rules(text, "fuzz.yaml")
    except YamlError as exc:
        message = str(exc)
        assert "\n" not in message.strip() or message.count("fuzz.yaml") == 1, message
        assert LOCATED.match(message), message
        return
    assert isinstance(result, RulesFile)


@given(documents)
def test_arbitrary_documents_are_rules_or_one_located_error(doc):
    _check(yaml.safe_dump({"version": 1, "rules": [doc]} if isinstance(doc, dict) else doc))


@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(text):
    _check(text)


@given(st.integers(0, len(EXAMPLE) - 1), st.integers(1, 8), st.text(max_size=6))
def test_mutated_example_is_rules_or_one_located_error(at, cut, insert):
    _check(EXAMPLE[:at] + insert + EXAMPLE[at + cut :])


@given(st.sampled_from(["when", "do"]), st.text("abcdefghijklmnopqrstuvwxyz_", min_size=3))
def test_unknown_keys_are_never_ignored(section, key):
    known = {"time", "days", "dates", "between", "context", "price", "forecast", "soc_percent"}
    known |= {"grid", "min_reserve", "reach", "max_soc_percent", "no_export", "no_grid_charge"}
    known |= {"hold", "force_mode", "extra_load", "scale_load", "export_bonus_p_per_kwh"}
    if key in known:
        return
    text = yaml.safe_dump(
        {"rules": [{"name": "r", "when": {}, "do": {"hold": True}, section: {key: 1}}]}
    )
    try:
        loads_rules(text, "fuzz.yaml")
    except YamlError as exc:
        assert key in str(exc)
    else:  # pragma: no cover - the assertion is the point
        raise AssertionError(f"unknown key {key!r} under {section!r} was accepted")
