"""Realised cost and savings against no battery, by hand-checkable cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from optimiser.domain.slots import SlotGrid
from optimiser.mqtt.savings import period_starts, realised_savings
from optimiser.recorder import Sample

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)  # GMT: local = UTC


@dataclass
class Prices:
    import_price: np.ndarray
    export_price: np.ndarray


class Flat:
    """20 p/kWh to buy, 10 p/kWh to sell, every slot."""

    def prices(self, grid: SlotGrid) -> Prices:
        return Prices(np.full(grid.count, 20.0), np.full(grid.count, 10.0))


def meters(t: datetime, imported: float, exported: float, load: float, solar: float) -> Sample:
    return Sample(
        time=t,
        site_imported_kwh=imported,
        site_exported_kwh=exported,
        load_imported_kwh=load,
        solar_exported_kwh=solar,
    )


def test_an_hour_today_from_the_meters():
    t0 = NOW - timedelta(hours=2)
    samples = [
        meters(t0, 100.0, 50.0, 200.0, 80.0),
        meters(t0 + timedelta(minutes=30), 100.5, 50.0, 201.0, 80.0),  # bought 0.5, load 1
        meters(t0 + timedelta(minutes=60), 100.5, 51.0, 201.5, 82.0),  # sold 1, net -1.5
    ]
    savings = realised_savings(samples, Flat(), NOW, LONDON, max_step_s=1800)
    # Realised: 0.5 × 20 − 1 × 10 = 0 p. No battery: 1 × 20 − 1.5 × 10 = 5 p.
    assert savings.today.cost_gbp == pytest.approx(0.0)
    assert savings.today.no_battery_gbp == pytest.approx(0.05)
    assert savings.today.saving_gbp == pytest.approx(0.05)
    assert savings.today.hours == pytest.approx(1.0)
    assert savings.month.saving_gbp == pytest.approx(0.05)


def test_earlier_days_count_for_the_month_only_and_gaps_for_nothing():
    yesterday = NOW - timedelta(days=1)
    samples = [
        meters(yesterday, 0.0, 0.0, 0.0, 0.0),
        meters(yesterday + timedelta(minutes=30), 1.0, 0.0, 1.0, 0.0),  # 20 p both ways
        meters(yesterday + timedelta(hours=5), 9.0, 0.0, 9.0, 0.0),  # a gap: not counted
    ]
    savings = realised_savings(samples, Flat(), NOW, LONDON, max_step_s=1800)
    assert savings.today.hours == 0 and savings.today.cost_gbp == 0
    assert savings.month.cost_gbp == pytest.approx(0.20)
    assert savings.month.no_battery_gbp == pytest.approx(0.20)
    assert savings.month.hours == pytest.approx(0.5)


def test_powers_stand_in_when_the_meters_are_missing():
    t0 = NOW - timedelta(hours=1)
    samples = [
        Sample(time=t0, site_kw=-1.0, load_kw=0.5, solar_kw=2.0),
        Sample(time=t0 + timedelta(minutes=30), site_kw=0.0, load_kw=0.5, solar_kw=0.0),
    ]
    savings = realised_savings(samples, Flat(), NOW, LONDON, max_step_s=1800)
    # Exported 0.5 kWh (−5 p); without a battery 0.75 kWh would have been exported (−7.5 p).
    assert savings.today.cost_gbp == pytest.approx(-0.05)
    assert savings.today.no_battery_gbp == pytest.approx(-0.075)


def test_periods_start_at_local_midnight():
    summer = datetime(2025, 7, 1, 12, tzinfo=UTC)
    day, month = period_starts(summer, LONDON)
    assert day == datetime(2025, 6, 30, 23, tzinfo=UTC)
    assert month == day
