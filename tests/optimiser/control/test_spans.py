"""Plan actions → merged spans the device follows; short flips not worth their commands."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.control.spans import (
    flip_worth_gbp,
    span_at,
    span_due,
    spans_from_actions,
    spans_from_plan,
)
from optimiser.domain.actions import Action
from tests.optimiser.control.plans import make_plan

T0 = datetime(2025, 3, 10, 0, 0, tzinfo=UTC)
SLOT = timedelta(minutes=30)
CAP = 13.5


def spans_for(rows, initial=5.0):
    """rows: (cfg, charge, discharge, export, import, soe_end) per slot."""
    plan = make_plan(rows, start=T0, initial_soe_kwh=initial)
    return spans_from_plan(plan, capacity_kwh=CAP, flip_value_gbp=0.0)


def test_each_slot_kind_is_classified_and_adjacent_slots_merge():
    spans = spans_for(
        [
            (1.0, 1.0, 0, 0, 1.5, 6.0),  # charge from grid
            (1.0, 1.0, 0, 0, 1.5, 7.0),  # charge from grid (merges, target 7)
            (0, 0, 0, 0, 0.4, 7.0),  # import, no battery flow -> hold at 7
            (0, 0, 0.5, 0, 0, 6.5),  # discharge for the house
            (0, 0, 1.5, 1.0, 0, 5.0),  # battery export
            (0, 0, 1.5, 1.0, 0, 3.5),  # battery export (merges, stop at 3.5)
            (0, 0, 0.4, 0, 0, 3.1),  # self power
        ]
    )
    assert [(s.action, s.target_soe_kwh) for s in spans] == [
        (Action.CHARGE_FROM_GRID, 7.0),
        (Action.HOLD, 7.0),
        (Action.SELF_POWER, None),
        (Action.EXPORT, 3.5),
        (Action.SELF_POWER, None),
    ]
    assert spans[0].start == T0 and spans[0].end == T0 + 2 * SLOT
    assert spans[3].start == T0 + 4 * SLOT and spans[3].end == T0 + 6 * SLOT
    assert span_at(spans, T0 + 2 * SLOT + timedelta(minutes=5)).action is Action.HOLD
    assert span_at(spans, T0 + 7 * SLOT) is None


def test_dust_below_tolerance_is_ignored():
    spans = spans_for([(0.04, 0.04, 0.0, 0, 0.3, 5.0), (0, 0, 0.03, 0.02, 0, 5.0)])
    assert [s.action for s in spans] == [Action.HOLD]


def test_charge_from_solar_is_followed_as_self_power():
    spans = spans_for([(0, 0.8, 0, 0, 0, 5.8), (0, 0, 0.5, 0, 0, 5.3)])
    assert [s.action for s in spans] == [Action.SELF_POWER]


def test_idle_joins_self_power_but_never_extends_a_forced_state():
    spans = spans_for(
        [
            (0, 0, 0.5, 0, 0, 4.5),  # self power
            (0, 0, 0, 0, 0, 4.5),  # idle -> joins the self-power before
            (0, 0, 2.0, 1.5, 0, 2.5),  # export
            (0, 0, 0, 0, 0, 2.5),  # idle after export, before charge -> self power
            (2.0, 2.0, 0, 0, 2.5, 4.5),  # charge
        ]
    )
    assert [s.action for s in spans] == [
        Action.SELF_POWER,
        Action.EXPORT,
        Action.SELF_POWER,
        Action.CHARGE_FROM_GRID,
    ]
    assert spans[0].end == T0 + 2 * SLOT
    assert spans[1].end == T0 + 3 * SLOT


def test_full_battery_with_solar_export_is_not_a_hold():
    spans = spans_for([(0, 0, 0, 2.0, 0, CAP)], initial=CAP)
    assert [s.action for s in spans] == [Action.SELF_POWER]


def test_mismatched_lengths_are_refused():
    plan = make_plan([(0, 0, 0, 0, 0, 1.0)] * 2, start=T0, initial_soe_kwh=1.0)
    with pytest.raises(ValueError, match="one action and one soe_kwh per slot"):
        spans_from_actions(
            plan.grid, plan.actions[:1], soe_kwh=plan.soe_kwh, start_soe_kwh=1.0, capacity_kwh=CAP
        )


flow = st.floats(0, 3)


@given(
    st.lists(st.tuples(flow, flow, flow, flow, flow, st.floats(0, CAP)), min_size=1, max_size=48)
)
def test_spans_tile_the_horizon_and_neighbours_differ(rows):
    spans = spans_for(rows)
    assert spans[0].start == T0
    assert spans[-1].end == T0 + len(rows) * SLOT
    for a, b in itertools.pairwise(spans):
        assert a.end == b.start
        assert a.action is not b.action
    assert all(s.action not in (Action.IDLE, Action.CHARGE_FROM_SOLAR) for s in spans)


def test_the_next_span_is_due_settle_minutes_early():
    spans = spans_for([(1.0, 1.0, 0, 0, 1.5, 6.0), (0, 0, 0.5, 0, 0, 5.5)])
    before_boundary = T0 + SLOT - timedelta(minutes=3)
    assert span_due(spans, before_boundary, 5).action is Action.SELF_POWER
    assert span_due(spans, before_boundary, 0).action is Action.CHARGE_FROM_GRID
    assert span_due(spans, T0 + 2 * SLOT - timedelta(minutes=1), 5).action is Action.SELF_POWER


# -- flip hysteresis -------------------------------------------------------------------------
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def _flip_spans(kinds: str, price, **kwargs):
    """Spans for slots described by letters: H hold, S self-power, C grid charge, E export."""
    rows = []
    level = 8.0
    for k in kinds:
        cfg = discharge = export = imports = 0.0
        if k == "S":
            discharge = 0.4
        elif k == "H":
            imports = 0.4
        elif k == "C":
            cfg, imports = 0.9, 1.3
        elif k == "E":
            discharge, export = 2.0, 1.6
        level += cfg - discharge
        rows.append((cfg, cfg, discharge, export, imports, level))
    plan = make_plan(rows, start=START, initial_soe_kwh=8.0, import_price=price)
    return spans_from_plan(plan, capacity_kwh=CAP, **kwargs)


def _actions(spans):
    return [(s.action, round((s.end - s.start) / SLOT)) for s in spans]


def test_a_one_slot_self_power_between_holds_at_one_price_is_held():
    spans = _flip_spans("HHSHH", [25.0] * 5)
    assert _actions(spans) == [(Action.HOLD, 5)]
    assert spans[0].target_soe_kwh == pytest.approx(8.0)
    assert "not worth its commands" in spans[0].why


def test_a_one_slot_hold_between_self_power_at_one_price_is_self_power():
    assert _actions(_flip_spans("SSHSS", [25.0] * 5)) == [(Action.SELF_POWER, 5)]


def test_a_flip_worth_more_than_the_threshold_is_followed():
    # The self-power slot is at a price 10 p above its neighbours: 0.4 kWh × 10 p = 4 p > 2 p.
    spans = _flip_spans("HHSHH", [25.0, 25.0, 35.0, 25.0, 25.0])
    assert _actions(spans) == [(Action.HOLD, 2), (Action.SELF_POWER, 1), (Action.HOLD, 2)]
    assert all(s.why is None for s in spans)
    # With a higher threshold it is suppressed after all.
    spans = _flip_spans("HHSHH", [25.0, 25.0, 35.0, 25.0, 25.0], flip_value_gbp=0.05)
    assert _actions(spans) == [(Action.HOLD, 5)]


def test_long_spans_are_real_decisions_and_zero_turns_the_hysteresis_off():
    assert _actions(_flip_spans("HSSSH", [25.0] * 5)) == [
        (Action.HOLD, 1),
        (Action.SELF_POWER, 3),
        (Action.HOLD, 1),
    ]
    assert len(_flip_spans("HHSHH", [25.0] * 5, flip_value_gbp=0.0)) == 3


def test_charge_and_export_are_never_touched():
    spans = _flip_spans("CSHHEE", [15.0, 15.0, 25.0, 25.0, 25.0, 25.0])
    kinds = [s.action for s in spans]
    assert kinds[0] is Action.CHARGE_FROM_GRID and kinds[-1] is Action.EXPORT
    assert Action.SELF_POWER in kinds  # next to a charge: not a flip between two holds


def test_the_first_span_flips_back_to_what_the_device_follows():
    spans = _flip_spans("SHHH", [25.0] * 4, before=Action.HOLD)
    assert _actions(spans) == [(Action.HOLD, 4)]
    assert _actions(_flip_spans("SHHH", [25.0] * 4)) == [(Action.SELF_POWER, 1), (Action.HOLD, 3)]
    first = _actions(_flip_spans("SHHH", [25.0] * 4, before=Action.SELF_POWER))[0]
    assert first[0] is Action.SELF_POWER


def test_flip_worth_is_energy_times_the_largest_spread():
    price = np.array([20.0, 30.0, 24.0])
    discharge = np.array([0.0, 0.5, 0.0])
    worth = flip_worth_gbp(
        Action.SELF_POWER, 1, 2, discharge_kwh=discharge, import_kwh=np.zeros(3), import_price=price
    )
    assert worth == pytest.approx(0.5 * 10.0 / 100.0)
