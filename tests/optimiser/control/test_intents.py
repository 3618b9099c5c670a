from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.control.intents import (
    Intent,
    intents_from_arrays,
    intents_from_plan,
    span_at,
    span_due,
)
from optimiser.domain.slots import SlotGrid

T0 = datetime(2025, 3, 10, 0, 0, tzinfo=UTC)
SLOT = timedelta(minutes=30)
CAP = 13.5


def spans_for(rows, initial=5.0):
    """rows: (cfg, charge, discharge, export, import, soe_end) per slot."""
    a = np.array(rows, dtype=float)
    starts = [T0 + i * SLOT for i in range(len(rows))]
    return intents_from_arrays(
        starts,
        SLOT,
        charge_from_grid_kwh=a[:, 0],
        charge_kwh=a[:, 1],
        discharge_kwh=a[:, 2],
        export_kwh=a[:, 3],
        import_kwh=a[:, 4],
        soe_kwh=a[:, 5],
        capacity_kwh=CAP,
        initial_soe_kwh=initial,
    )


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
    assert [(s.intent, s.target_soe_kwh) for s in spans] == [
        (Intent.CHARGE_FROM_GRID, 7.0),
        (Intent.HOLD, 7.0),
        (Intent.SELF_POWER, None),
        (Intent.EXPORT, 3.5),
        (Intent.SELF_POWER, None),
    ]
    assert spans[0].start == T0 and spans[0].end == T0 + 2 * SLOT
    assert spans[3].start == T0 + 4 * SLOT and spans[3].end == T0 + 6 * SLOT
    assert span_at(spans, T0 + 2 * SLOT + timedelta(minutes=5)).intent is Intent.HOLD
    assert span_at(spans, T0 + 7 * SLOT) is None


def test_dust_below_tolerance_is_ignored():
    spans = spans_for([(0.04, 0.04, 0.0, 0, 0.3, 5.0), (0, 0, 0.03, 0.02, 0, 5.0)])
    assert [s.intent for s in spans] == [Intent.HOLD]


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
    assert [s.intent for s in spans] == [
        Intent.SELF_POWER,
        Intent.EXPORT,
        Intent.SELF_POWER,
        Intent.CHARGE_FROM_GRID,
    ]
    assert spans[0].end == T0 + 2 * SLOT
    assert spans[1].end == T0 + 3 * SLOT


def test_full_battery_with_solar_export_is_not_a_hold():
    spans = spans_for([(0, 0, 0, 2.0, 0, CAP)], initial=CAP)
    assert [s.intent for s in spans] == [Intent.SELF_POWER]


def test_mismatched_lengths_and_gaps_are_refused():
    with pytest.raises(ValueError, match="soe_kwh has 1 values, expected 2"):
        intents_from_arrays(
            [T0, T0 + SLOT],
            SLOT,
            charge_from_grid_kwh=[0, 0],
            charge_kwh=[0, 0],
            discharge_kwh=[0, 0],
            export_kwh=[0, 0],
            import_kwh=[0, 0],
            soe_kwh=[1.0],
            capacity_kwh=CAP,
        )
    with pytest.raises(ValueError, match="apart"):
        intents_from_arrays(
            [T0, T0 + 2 * SLOT],
            SLOT,
            charge_from_grid_kwh=[0, 0],
            charge_kwh=[0, 0],
            discharge_kwh=[0, 0],
            export_kwh=[0, 0],
            import_kwh=[0, 0],
            soe_kwh=[1.0, 1.0],
            capacity_kwh=CAP,
        )


def test_intents_from_a_duck_typed_plan():
    class FakePlan:
        grid = SlotGrid(T0, 30, 2)
        capacity_kwh = CAP
        charge_from_grid_kwh = np.array([2.0, 0.0])
        charge_kwh = np.array([2.0, 0.0])
        discharge_kwh = np.array([0.0, 0.6])
        export_kwh = np.zeros(2)
        import_kwh = np.array([2.3, 0.0])
        soe_kwh = np.array([7.0, 6.4])

    spans = intents_from_plan(FakePlan(), initial_soe_kwh=5.0)
    assert [(s.intent, s.target_soe_kwh) for s in spans] == [
        (Intent.CHARGE_FROM_GRID, 7.0),
        (Intent.SELF_POWER, None),
    ]


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
        assert a.intent is not b.intent
    assert all(s.intent is not Intent.IDLE for s in spans) or len(spans) == 1


def test_the_next_span_is_due_settle_minutes_early():
    spans = spans_for([(1.0, 1.0, 0, 0, 1.5, 6.0), (0, 0, 0.5, 0, 0, 5.5)])
    before_boundary = T0 + SLOT - timedelta(minutes=3)
    assert span_due(spans, before_boundary, 5).intent is Intent.SELF_POWER
    assert span_due(spans, before_boundary, 0).intent is Intent.CHARGE_FROM_GRID
    assert span_due(spans, T0 + 2 * SLOT - timedelta(minutes=1), 5).intent is Intent.SELF_POWER
