"""The UTC slot grid: alignment, clock-change days, lookups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.domain.slots import SlotGrid, ceil_to_slot, floor_to_slot


@pytest.mark.parametrize(
    ("day", "count"),
    [(date(2026, 3, 29), 46), (date(2026, 10, 25), 50), (date(2026, 6, 1), 48)],
)
def test_local_day_has_46_48_or_50_half_hours(day, count):
    assert len(SlotGrid.local_days(day)) == count


def test_summer_day_starts_at_2300z():
    grid = SlotGrid.local_days(date(2026, 6, 1))
    assert grid.start == datetime(2026, 5, 31, 23, tzinfo=UTC)


def test_naive_and_misaligned_starts_are_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        SlotGrid(datetime(2026, 1, 1), 30, 2)
    with pytest.raises(ValueError, match="boundary"):
        SlotGrid(datetime(2026, 1, 1, 0, 10, tzinfo=UTC), 30, 2)
    with pytest.raises(ValueError, match="slot length"):
        SlotGrid(datetime(2026, 1, 1, tzinfo=UTC), 20, 2)


@given(
    start=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
    span=st.timedeltas(timedelta(0), timedelta(days=3)),
    minutes=st.sampled_from([5, 15, 30, 60]),
)
def test_covering_tiles_the_period(start, span, minutes):
    grid = SlotGrid.covering(start, start + span, minutes)
    assert grid.start <= start
    assert grid.end >= start + span
    assert grid.end - grid.start == grid.count * grid.step
    if grid.count:
        assert grid.index_of(start) == 0
    assert floor_to_slot(start, minutes) <= start <= ceil_to_slot(start, minutes)
