"""What the planner is told the backend can follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from optimiser.control.capabilities import Capabilities
from optimiser.control.limits import fast_charge_slots, planner_limits
from optimiser.domain.device import TouPeriod, TouSchedule, UploadedTariff


def test_planner_limits_reflect_capabilities():
    fleet = planner_limits(Capabilities.fleet(units=2), 4)
    assert fleet["max_grid_charge_kw"].tolist() == [3.6] * 4
    assert fleet["battery_export_allowed"].tolist() == [True] * 4
    local = planner_limits(Capabilities.local(), 3)
    assert local["max_grid_charge_kw"].tolist() == [1.8] * 3
    assert local["battery_export_allowed"].tolist() == [False] * 3


def test_full_rate_only_in_the_uploaded_tariffs_cheapest_period():
    night = TouSchedule(
        (TouPeriod("off", 120, 300, 15.0, 5.0), TouPeriod("day", 300, 120, 25.0, 5.0)), "UTC"
    )
    uploaded = UploadedTariff({"name": "flux"}, night)
    start = datetime(2025, 1, 10, 1, 0, tzinfo=UTC)
    starts = [start + timedelta(minutes=30 * i) for i in range(6)]
    fast = fast_charge_slots(starts, 30, lambda _when: uploaded)
    assert fast.tolist() == [False, False, True, True, True, True]
    limits = planner_limits(Capabilities.fleet(), 6, fast_slots=fast, full_charge_kw=5.0)
    np.testing.assert_allclose(limits["max_grid_charge_kw"], [1.8, 1.8, 5.0, 5.0, 5.0, 5.0])
