"""Planning that starts mid-slot: the first slot holds only what is left of it."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from optimiser.domain.slots import SlotGrid
from optimiser.planner import Battery, PlanInputError, PlanInputs, plan

GRID = SlotGrid(datetime(2026, 12, 7, 16, tzinfo=UTC), 30, 4)
BATTERY = Battery(13.5, 13.5, 5.0, 5.0, 0.95, 0.95)


def inputs(first_slot_hours=None) -> PlanInputs:
    return PlanInputs.build(
        GRID,
        import_price=np.full(4, 40.0),
        export_price=np.full(4, 30.0),
        load_kw=np.full(4, 1.0),
        solar_kw=np.zeros(4),
        battery=BATTERY,
        first_slot_hours=first_slot_hours,
        terminal_value_p_per_kwh=0.0,
    )


def test_a_quarter_hour_left_scales_the_first_slot():
    full = plan(inputs()).require()
    part = plan(inputs(0.25)).require()
    assert full.load_kwh[0] == pytest.approx(0.5) and part.load_kwh[0] == pytest.approx(0.25)
    # load plus the 3.68 kW export limit, for half an hour and for a quarter
    assert full.discharge_kwh[0] == pytest.approx(4.68 * 0.5, abs=1e-6)
    assert part.discharge_kwh[0] == pytest.approx(4.68 * 0.25, abs=1e-6)
    assert np.allclose(part.discharge_kwh[1:], full.discharge_kwh[1:])
    slot = part.to_json_dict()["slots"][0]
    assert slot["start"] == "2026-12-07T16:15:00Z" and slot["end"] == "2026-12-07T16:30:00Z"


@pytest.mark.parametrize("bad", [0.0, -1.0, 0.75, float("nan")])
def test_first_slot_hours_out_of_range_is_refused(bad):
    with pytest.raises(PlanInputError, match="first_slot_hours"):
        inputs(bad)
