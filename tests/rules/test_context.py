"""Context facts from files and the command line, with expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from optimiser.domain.slots import LONDON
from rules import ContextError, YamlError, load_context_file, parse_cli_context

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_cli_values_and_expiry_forms():
    ctx = parse_cli_context(
        ["storm_warning=true@6h", "guests=3", "note=away", "cold=no@2026-11-24"], NOW, LONDON
    )
    assert ctx.active(NOW) == {"storm_warning": True, "guests": 3, "note": "away", "cold": False}
    assert ctx.entries["storm_warning"].expires == NOW + timedelta(hours=6)
    # a bare date expires at the end of that local day
    assert ctx.entries["cold"].expires == datetime(2026, 11, 25, 0, 0, tzinfo=LONDON)
    later = NOW + timedelta(hours=7)
    assert "storm_warning" not in ctx.active(later)
    assert ctx.expired(later) == ["storm_warning"]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("storm", r"expected key=value\[@expiry\]"),
        ("Storm=1", "lower_snake_case"),
        ("a=1@tomorrow", "expected an expiry like"),
        ("a=1@2026-11-24T10:00", "needs a time zone"),
    ],
)
def test_cli_mistakes(item, message):
    with pytest.raises(ContextError, match=message):
        parse_cli_context([item], NOW, LONDON)


def test_context_file(tmp_path):
    path = tmp_path / "context.yaml"
    path.write_text("storm_warning: {value: true, expires: 2026-11-23T18:00:00Z}\nholiday: on\n")
    ctx = load_context_file(path, NOW, LONDON)
    assert ctx.active(NOW) == {"storm_warning": True, "holiday": True}
    assert ctx.active(NOW + timedelta(hours=7)) == {"holiday": True}
    merged = ctx.merged(parse_cli_context(["holiday=false"], NOW, LONDON))
    assert merged.active(NOW)["holiday"] is False


def test_context_file_errors_have_positions(tmp_path):
    path = tmp_path / "context.yaml"
    path.write_text("ok: true\nstorm: {value: true, expire: 2026-11-23}\n")
    with pytest.raises(YamlError, match=r"context.yaml:2:22: storm.*unknown key 'expire'"):
        load_context_file(path, NOW, LONDON)
