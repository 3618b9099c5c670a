"""Tesla tariff_content_v2 export: Tesla's rules hold and the round trip covers the week."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.domain.slots import SlotGrid
from tariffs import TeslaExportError, get_tariff, product_names
from tariffs.model import Rate, RateSeries, Tariff
from tariffs.tesla import MAX_TIERS, cluster_tiers, to_tesla_tariff, tou_schedule_from_content

LONDON_DAYS = (date(2025, 1, 15), date(2025, 7, 1), date(2025, 3, 30), date(2025, 10, 26))


def assert_valid(content: dict) -> None:
    """Tesla's rules, checked on the document itself, then by the round trip."""
    buys = content["energy_charges"]["Summer"]["rates"]
    sells = content["sell_tariff"]["energy_charges"]["Summer"]["rates"]
    assert 1 <= len(buys) <= MAX_TIERS and buys.keys() == sells.keys()
    assert set(buys) <= {"SUPER_OFF_PEAK", "OFF_PEAK", "PARTIAL_PEAK", "ON_PEAK"}
    for name in buys:
        assert buys[name] >= 0 and sells[name] >= 0
        assert buys[name] >= sells[name]
    schedule = tou_schedule_from_content(content)  # raises unless each minute is covered once
    assert len({p.name for p in schedule.periods}) == len(buys)


@pytest.mark.parametrize("day", LONDON_DAYS)
def test_flux_export_keeps_its_three_bands_in_local_time(day):
    result = to_tesla_tariff(get_tariff("flux", "K"), day)
    assert_valid(result.content)
    schedule = tou_schedule_from_content(result.content)
    buys = result.content["energy_charges"]["Summer"]["rates"]
    assert buys == {"OFF_PEAK": 0.1491, "PARTIAL_PEAK": 0.2485, "ON_PEAK": 0.3479}
    sells = result.content["sell_tariff"]["energy_charges"]["Summer"]["rates"]
    assert sells == {"OFF_PEAK": 0.0469, "PARTIAL_PEAK": 0.1326, "ON_PEAK": 0.2642}
    # 01:30Z in July is 02:30 BST: off-peak; 04:30Z is 05:30 BST: day rate.
    assert schedule.period_at(datetime(2025, 7, 1, 1, 30, tzinfo=UTC)).name == "OFF_PEAK"
    assert schedule.period_at(datetime(2025, 7, 1, 4, 30, tzinfo=UTC)).name == "PARTIAL_PEAK"
    assert schedule.period_at(datetime(2025, 1, 15, 4, 30, tzinfo=UTC)).name == "OFF_PEAK"
    assert not [line for line in result.report if "tiered" in line or "clipped" in line]


def test_doctored_flux_sells_at_the_peak_buy_price():
    result = to_tesla_tariff(get_tariff("flux", "K"), date(2025, 7, 1), doctor_for_export=True)
    assert_valid(result.content)
    assert result.content["sell_tariff"]["energy_charges"]["Summer"]["rates"]["ON_PEAK"] == 0.3479
    assert any(
        "doctored for export: ON_PEAK sell 26.42p → 34.79p" in line for line in result.report
    )


def test_agile_day_with_negative_prices_is_clustered_and_reported():
    tariff = get_tariff("agile", "C")
    year = tariff.prices(SlotGrid.local_days(date(2025, 1, 1), 365))
    cheapest = year.grid.starts[int(np.argmin(year.import_price))].astimezone(tariff.tz).date()
    assert year.import_price.min() < 0
    result = to_tesla_tariff(tariff, cheapest)
    assert_valid(result.content)
    assert len(result.content["energy_charges"]["Summer"]["rates"]) == 4
    tiered = [line for line in result.report if "tiered into" in line]
    assert len(tiered) >= 40  # nearly every half hour of an Agile day moves a little


def test_negative_tier_is_clipped_and_reported():
    t = datetime(2025, 5, 5, tzinfo=UTC)  # 01:00 BST
    rates = RateSeries(
        (
            Rate(datetime(2020, 1, 1, tzinfo=UTC), t.replace(hour=11), 20.0),
            Rate(t.replace(hour=11), t.replace(hour=13), -5.0),
            Rate(t.replace(hour=13), None, 20.0),
        )
    )
    tariff = Tariff("neg", rates, rates, rates, "test")
    result = to_tesla_tariff(tariff, date(2025, 5, 5))
    assert_valid(result.content)
    assert "OFF_PEAK: negative buy -5.00p clipped to 0" in result.report
    assert "OFF_PEAK: negative sell -5.00p clipped to 0" in result.report
    schedule = tou_schedule_from_content(result.content)
    assert schedule.period_at(t.replace(hour=12)).buy == 0.0  # 13:00 BST
    assert schedule.period_at(t.replace(hour=13)).buy == 20.0


def test_sell_above_buy_is_lowered_and_reported():
    always = (Rate(datetime(2020, 1, 1, tzinfo=UTC), None, 10.0),)
    tariff = Tariff(
        "odd",
        RateSeries(always),
        RateSeries((Rate(always[0].valid_from, None, 12.0),)),
        RateSeries(always),
        "test",
    )
    result = to_tesla_tariff(tariff, date(2025, 5, 5))
    assert_valid(result.content)
    assert result.report == ["OFF_PEAK: sell 12.00p above buy 10.00p lowered to the buy"]
    entry = result.content["seasons"]["Summer"]["tou_periods"]["OFF_PEAK"]["periods"]
    assert entry == [
        {
            "fromDayOfWeek": 0,
            "toDayOfWeek": 6,
            "fromHour": 0,
            "fromMinute": 0,
            "toHour": 0,
            "toMinute": 0,
        }
    ]


@given(
    product=st.sampled_from(product_names()),
    region=st.sampled_from(list("ACEKP")),
    day=st.dates(date(2023, 1, 2), date(2027, 12, 31)),
    doctor=st.booleans(),
)
def test_every_product_exports_valid_content(product, region, day, doctor):
    assert_valid(
        to_tesla_tariff(get_tariff(product, region), day, doctor_for_export=doctor).content
    )


@given(st.lists(st.floats(-20, 100, allow_nan=False), min_size=1, max_size=48))
def test_clustering_is_monotone_and_at_most_four_tiers(values):
    values = np.array(values)
    tiers = cluster_tiers(values)
    assert tiers.max() < MAX_TIERS
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(tiers[order]) >= 0)  # cheaper values never in a dearer tier


def test_round_trip_rejects_gaps_overlaps_and_broken_rules():
    good = to_tesla_tariff(get_tariff("flux", "K"), date(2025, 7, 1)).content
    gap = copy.deepcopy(good)
    gap["seasons"]["Summer"]["tou_periods"]["ON_PEAK"]["periods"][0]["toHour"] = 18
    with pytest.raises(TeslaExportError, match="day 0 18:00 is covered by 0 periods"):
        tou_schedule_from_content(gap)
    overlap = copy.deepcopy(good)
    overlap["seasons"]["Summer"]["tou_periods"]["ON_PEAK"]["periods"][0]["toHour"] = 20
    with pytest.raises(TeslaExportError, match="covered by 2 periods"):
        tou_schedule_from_content(overlap)
    negative = copy.deepcopy(good)
    negative["energy_charges"]["Summer"]["rates"]["OFF_PEAK"] = -0.01
    with pytest.raises(TeslaExportError, match="negative"):
        tou_schedule_from_content(negative)
    upside_down = copy.deepcopy(good)
    upside_down["sell_tariff"]["energy_charges"]["Summer"]["rates"]["ON_PEAK"] = 0.5
    with pytest.raises(TeslaExportError, match="above buy"):
        tou_schedule_from_content(upside_down)
    missing = copy.deepcopy(good)
    del missing["sell_tariff"]
    with pytest.raises(TeslaExportError, match="sell_tariff"):
        tou_schedule_from_content(missing)
