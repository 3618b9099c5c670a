"""Tariff model: band tables, DST-correct time-of-use, slot tiling, rate history."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.domain.slots import LONDON, SlotGrid
from tariffs import PricesUnknown, get_tariff, product_names
from tariffs.model import Band, BandTable, Rate, RateSeries, Tariff, TouEra, TouSource


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_real_2023_03_27_region_e_flux_lands_in_the_right_utc_slots():
    """DOMAIN.md: 01:00–04:00Z 20.23602p, 04:00–15:00Z 33.726735p, 15:00–18:00Z 47.21745p."""
    tariff = get_tariff("flux", "E")
    grid = SlotGrid.covering(utc(2023, 3, 26, 23), utc(2023, 3, 28, 1), 30)
    prices = tariff.prices(grid)
    expected = {
        (utc(2023, 3, 27, 1), utc(2023, 3, 27, 4)): 20.23602,
        (utc(2023, 3, 27, 4), utc(2023, 3, 27, 15)): 33.726735,
        (utc(2023, 3, 27, 15), utc(2023, 3, 27, 18)): 47.21745,
        (utc(2023, 3, 27, 18), utc(2023, 3, 28, 1)): 33.726735,
    }
    for (start, end), value in expected.items():
        for i, slot in enumerate(grid.starts):
            if start <= slot < end:
                assert prices.import_price[i] == pytest.approx(value, abs=1e-9), slot
                assert prices.export_price[i] == pytest.approx(value - 11, abs=1e-9), slot
    assert not prices.estimated


def test_flux_offpeak_is_0100_to_0400z_in_summer_and_0200_to_0500z_in_winter():
    tariff = get_tariff("flux", "K")
    for day, first_cheap in ((date(2025, 7, 1), 1), (date(2025, 1, 15), 2)):
        grid = SlotGrid.local_days(day)
        prices = tariff.prices(grid)
        pairs = zip(grid.starts, prices.import_price, strict=True)
        cheap = [s.hour + s.minute / 60 for s, p in pairs if p == pytest.approx(14.91)]
        assert cheap == [first_cheap + 0.5 * k for k in range(6)]


@pytest.mark.parametrize(
    ("day", "count"), [(date(2025, 3, 30), 46), (date(2025, 10, 26), 50), (date(2025, 6, 2), 48)]
)
def test_clock_change_day_flux_keeps_three_hours_of_offpeak(day, count):
    tariff = get_tariff("flux", "K")
    prices = tariff.prices(SlotGrid.local_days(day))
    assert len(prices.import_price) == count
    assert np.sum(np.isclose(prices.import_price, 14.91)) == 6
    assert np.sum(np.isclose(prices.import_price, 34.79)) == 6
    assert np.sum(np.isclose(prices.export_price, 26.42)) == 6


def test_weekend_and_seasonal_bands():
    weekday = frozenset(range(5))
    weekend = frozenset({5, 6})
    winter = frozenset({1, 2, 3, 10, 11, 12})
    summer = frozenset(range(4, 10))
    table = BandTable(
        (
            Band("weekday-winter", 0, 1440, 30.0, weekday, winter),
            Band("weekday-summer", 0, 1440, 20.0, weekday, summer),
            Band("weekend-cheap", 0, 600, 5.0, weekend),
            Band("weekend", 600, 1440, 10.0, weekend),
        )
    )
    source = TouSource((TouEra(utc(2020, 1, 1), None, table),))
    tariff = Tariff("t", source, source, RateSeries(()), "test")
    # Sat 2025-01-04 09:30 GMT is cheap; 10:00 is not; Mon 2025-01-06 winter; Mon 2025-07-07 summer.
    grid = SlotGrid(utc(2025, 1, 4, 9, 30), 30, 2)
    assert list(tariff.prices(grid).import_price) == [5.0, 10.0]
    assert tariff.prices(SlotGrid(utc(2025, 1, 6, 12), 30, 1)).import_price[0] == 30.0
    assert tariff.prices(SlotGrid(utc(2025, 7, 7, 12), 30, 1)).import_price[0] == 20.0
    # In summer local 10:00 on a Saturday is 09:00Z.
    assert list(tariff.prices(SlotGrid(utc(2025, 7, 5, 8, 30), 30, 2)).import_price) == [5, 10]


def test_band_table_rejects_gaps_and_overlaps():
    with pytest.raises(ValueError, match=r"Mon 05:00 in month 1 is covered by 0"):
        BandTable((Band("a", 0, 300, 1.0), Band("b", 330, 1440, 1.0)))
    with pytest.raises(ValueError, match="covered by 2"):
        BandTable((Band("a", 0, 900, 1.0), Band("b", 600, 0, 1.0)))


def test_rate_history_and_unknown_periods():
    series = RateSeries(
        (Rate(utc(2025, 1, 1), utc(2025, 1, 2), 10.0), Rate(utc(2025, 1, 2), None, 20.0))
    )
    tariff = Tariff("hist", series, series, series, "test")
    grid = SlotGrid(utc(2025, 1, 1, 23), 60, 3)
    assert list(tariff.prices(grid).import_price) == [10.0, 20.0, 20.0]
    assert tariff.known_until is None
    with pytest.raises(PricesUnknown, match="no import price at 2024-12-31T23:00:00"):
        tariff.prices(SlotGrid(utc(2024, 12, 31, 23), 60, 2))


def test_sixty_minute_slot_averages_half_hourly_prices():
    series = RateSeries(
        (
            Rate(utc(2025, 1, 1), utc(2025, 1, 1, 0, 30), 10.0),
            Rate(utc(2025, 1, 1, 0, 30), utc(2025, 1, 1, 1), 20.0),
        )
    )
    tariff = Tariff("avg", series, series, series, "test")
    assert tariff.prices(SlotGrid(utc(2025, 1, 1), 60, 1)).import_price[0] == 15.0
    assert list(tariff.prices(SlotGrid(utc(2025, 1, 1), 15, 4)).export_price) == [10, 10, 20, 20]


def test_agile_offline_is_estimated_deterministic_and_sometimes_negative():
    tariff = get_tariff("agile", "C")
    grid = SlotGrid.local_days(date(2025, 1, 1), 365)
    a = tariff.prices(grid)
    b = get_tariff("agile", "C").prices(grid)
    assert a.estimated and a.estimated_slots.all()
    np.testing.assert_array_equal(a.import_price, b.import_price)
    assert (a.import_price < 0).any()
    assert a.import_price.max() <= 100
    # Negative prices only around sunny middays.
    hours = {
        s.astimezone(tariff.tz).hour
        for s, p in zip(grid.starts, a.import_price, strict=True)
        if p < 0
    }
    assert hours <= set(range(10, 17))
    # One price per half hour.
    fine = tariff.prices(SlotGrid.local_days(date(2025, 6, 1), 1, 5)).import_price
    assert np.all(fine.reshape(-1, 6) == fine.reshape(-1, 6)[:, :1])


def test_every_builtin_product_has_every_region():
    for product in product_names():
        for region in "ABCDEFGHJKLMNP":
            tariff = get_tariff(product, region)
            assert tariff.standing_charge_p_per_day(date(2025, 3, 1)) > 0
            prices = tariff.prices(SlotGrid.local_days(date(2025, 3, 1)))
            assert np.isfinite(prices.import_price).all()
            assert "snapshot" in prices.source


PRODUCTS = st.sampled_from(product_names())
REGIONS = st.sampled_from(list("ABCDEFGHJKLMNP"))


@given(
    product=PRODUCTS,
    region=REGIONS,
    start=st.datetimes(datetime(2023, 1, 2), datetime(2027, 12, 1), timezones=st.just(UTC)),
    span=st.timedeltas(timedelta(minutes=1), timedelta(days=3)),
    minutes=st.sampled_from([5, 15, 30, 60]),
)
def test_slots_tile_any_period_with_one_import_and_one_export_price(
    product, region, start, span, minutes
):
    tariff = get_tariff(product, region)
    grid = SlotGrid.covering(start, start + span, minutes)
    prices = tariff.prices(grid)
    starts = grid.starts
    assert starts[0] <= start and grid.end >= start + span
    for a, b in itertools.pairwise(starts):
        assert b - a == timedelta(minutes=minutes)  # no gap, no overlap
    assert prices.import_price.shape == prices.export_price.shape == (grid.count,)
    assert np.isfinite(prices.import_price).all() and np.isfinite(prices.export_price).all()


@given(day=st.dates(date(2020, 1, 1), date(2035, 12, 31)), product=PRODUCTS)
def test_a_local_day_has_46_48_or_50_half_hours(day, product):
    tariff = get_tariff(product, "A")
    grid = SlotGrid.local_days(day)
    midnight = datetime.combine(day, time(0), LONDON)
    after = datetime.combine(day + timedelta(days=1), time(0), LONDON)
    shift = (after.utcoffset() - midnight.utcoffset()) // timedelta(minutes=30)
    expected = 48 - shift
    assert len(grid) == expected in (46, 48, 50)
    if day >= date(2023, 1, 2):
        assert len(tariff.prices(grid).import_price) == expected
