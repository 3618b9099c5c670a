"""Span values from the plan and the look-ahead that keeps commands for later spans."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.control.capabilities import Capabilities
from optimiser.control.policy import ControlPolicy
from optimiser.control.safety import safe_settings
from optimiser.control.spans import spans_from_plan
from optimiser.control.value import (
    SpanDemand,
    budget_outlook,
    commands_to_keep,
    span_value_gbp,
)
from optimiser.domain.actions import Action
from optimiser.domain.device import UploadedTariff
from optimiser.planner.result import Plan
from tests.optimiser.control.plans import make_plan

FLEET = Capabilities.fleet()
POLICY = ControlPolicy(reserve_floor_app_percent=20.0)
SAFE = safe_settings(POLICY)
T0 = datetime(2025, 1, 6, 0, 0, tzinfo=UTC)


def _value(action, first, end, **arrays):
    n = len(arrays["import_price"])
    zeros = np.zeros(n)
    base = {
        "charge_from_grid_kwh": zeros,
        "discharge_kwh": zeros,
        "export_kwh": zeros,
        "import_kwh": zeros,
        "export_price": zeros,
    }
    return span_value_gbp(action, first, end, **{**base, **arrays})


def test_charge_is_worth_its_energy_times_the_later_import_spread():
    prices = np.array([10.0, 10.0, 30.0, 30.0])
    charge = np.array([2.0, 3.0, 0.0, 0.0])
    assert _value(
        Action.CHARGE_FROM_GRID, 0, 2, import_price=prices, charge_from_grid_kwh=charge
    ) == pytest.approx(5 * 20 / 100)


def test_export_is_worth_the_sell_price_over_the_refill_price():
    imp = np.array([35.0, 35.0, 28.0, 17.0])
    exp = np.array([30.0, 30.0, 13.0, 7.0])
    flows = np.array([2.0, 2.0, 0.0, 0.0])
    value = _value(
        Action.EXPORT,
        0,
        2,
        import_price=imp,
        export_price=exp,
        discharge_kwh=flows,
        export_kwh=flows + 1.0,  # solar export on top is not the battery's
    )
    assert value == pytest.approx(4 * (30 - 17) / 100)


def test_hold_is_worth_the_imports_it_shifts_to_the_later_peak():
    imp = np.array([20.0, 20.0, 36.0, 28.0])
    value = _value(Action.HOLD, 0, 2, import_price=imp, import_kwh=np.array([1.0, 1.0, 0, 0]))
    assert value == pytest.approx(2 * 16 / 100)


def test_self_power_before_cheaper_prices_is_worth_nothing_negative():
    imp = np.array([10.0, 30.0])
    assert _value(Action.SELF_POWER, 0, 1, import_price=imp, discharge_kwh=np.ones(2)) == 0.0


def test_commands_to_keep_keeps_only_for_better_value_per_command():
    later = [
        SpanDemand(T0, Action.EXPORT, 1.2, 3),  # 0.40 per command
        SpanDemand(T0, Action.HOLD, 0.05, 1),  # 0.05 per command
    ]
    assert commands_to_keep(0.1, 1, later, 10) == 3
    assert commands_to_keep(0.5, 1, later, 10) == 0
    assert commands_to_keep(0.01, 1, later, 10) == 4
    # A later span that does not fit in what is left is passed over.
    assert commands_to_keep(0.01, 1, later, 2) == 1


@given(
    st.floats(0, 5),
    st.integers(1, 4),
    st.lists(st.tuples(st.floats(0, 5), st.integers(1, 4)), max_size=8),
    st.integers(0, 20),
)
def test_commands_to_keep_never_keeps_more_than_left(value, commands, claims, left):
    later = [SpanDemand(T0, Action.HOLD, v, c) for v, c in claims]
    keep = commands_to_keep(value, commands, later, left)
    assert 0 <= keep <= left
    if all(v / c <= value / commands for v, c in claims):
        assert keep == 0


def _day_plan() -> Plan:
    """From 12:00 UTC, 48 half-hour slots: a cheap midday hold, a 16–19 export at peak, then
    self-power, and a 02–05 night charge the next UTC day."""
    start = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
    n = 48
    hours = (12 + 0.5 * np.arange(n)) % 24
    peak = (hours >= 16) & (hours < 19)
    night = (hours >= 2) & (hours < 5)
    imp = np.where(peak, 36.0, np.where(night, 17.0, 28.0))
    exp = np.where(peak, 30.0, np.where(night, 7.0, 13.0))
    hold = hours < 16
    charge = np.where(night, 1.5, 0.0)
    discharge = np.where(peak, 1.6, np.where(~hold & ~night, 0.3, 0.0))
    export = np.where(peak, 1.3, 0.0)
    imports = np.where(hold, 0.4, 0.0) + charge
    soe = np.clip(10.0 - np.cumsum(discharge) + np.cumsum(charge) * 0.95, 0.0, 13.5)
    rows = np.stack([charge, charge, discharge, export, imports, soe], axis=1)
    return make_plan(rows, start=start, initial_soe_kwh=10.0, import_price=imp, export_price=exp)


def test_outlook_claims_the_evening_export_and_not_the_next_days_charge():
    plan = _day_plan()
    spans = spans_from_plan(plan, capacity_kwh=13.5)
    assert [s.action for s in spans][:2] == [Action.HOLD, Action.EXPORT]
    outlook = budget_outlook(
        plan,
        spans,
        spans[0],
        plan.grid.start,
        policy=POLICY,
        capabilities=FLEET,
        uploaded_for=lambda _when: UploadedTariff({"name": "doctored"}),
    )
    assert outlook.value_gbp == pytest.approx(8 * 0.4 * (36 - 28) / 100)
    actions = [d.action for d in outlook.later]
    assert Action.EXPORT in actions
    assert Action.CHARGE_FROM_GRID not in actions  # after UTC midnight: tomorrow's budget
    export = next(d for d in outlook.later if d.action is Action.EXPORT)
    assert export.value_gbp == pytest.approx(6 * 1.3 * (30 - 17) / 100)
    assert export.commands >= 2
