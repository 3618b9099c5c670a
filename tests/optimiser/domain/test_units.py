"""The one app % ↔ raw % ↔ kWh converter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.domain.units import app_percent_to_kwh, app_to_raw, kwh_to_app_percent, raw_to_app

ROOT = Path(__file__).resolve().parents[3]


def test_known_points():
    assert app_to_raw(0) == pytest.approx(5.0)
    assert app_to_raw(100) == pytest.approx(100.0)
    assert raw_to_app(5.0) == pytest.approx(0.0)
    assert raw_to_app(0.0) == 0.0  # clipped
    assert app_percent_to_kwh(0, 13.5) == pytest.approx(0.675)
    assert app_percent_to_kwh(100, 13.5) == pytest.approx(13.5)
    assert app_percent_to_kwh(20, 10.0) == pytest.approx(2.4)


def test_app_percent_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="within \\[0, 100\\], got 101"):
        app_percent_to_kwh(101, 13.5)


@given(st.floats(0, 100), st.floats(1, 100))
def test_round_trip(app, capacity):
    assert kwh_to_app_percent(app_percent_to_kwh(app, capacity), capacity) == pytest.approx(
        app, abs=1e-9
    )


def test_no_other_module_defines_a_scale_converter():
    """0.95·app + 5 is written once: no other function in the tree multiplies by 0.95."""
    offenders = []
    for package in ("optimiser", "tariffs", "rules", "simulations"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "units.py" and path.parent.name == "domain":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and (
                    "app_to_raw" in node.name or "raw_to_app" in node.name or "to_soe" in node.name
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert offenders == []
