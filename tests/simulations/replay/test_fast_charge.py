"""Fast grid charging through time-based control in the uploaded tariff's cheapest period."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from optimiser.control.capabilities import Capabilities
from optimiser.control.limits import planner_limits
from optimiser.domain.powerwall import PowerwallState
from simulations.replay import ClosedLoopOptions, ForecastMode, run_closed_loop
from simulations.replay.closed_loop import ClosedLoop
from tests.simulations.replay.conftest import LONDON, period


def _cheap_period_charge_kw(run, data):
    """Highest grid → battery power between 02:00 and 05:00 local. [kW]"""
    hours = np.array(
        [datetime.fromtimestamp(float(t), UTC).astimezone(LONDON).hour for t in data.trace.epoch_s]
    )
    cheap = (hours >= 2) & (hours < 5)
    return float(-run.battery_kw[cheap].min())


def test_wattplan_charges_at_full_power_in_the_flux_night_window(flux, site):
    data, prices = period(flux, date(2025, 1, 6), 3)
    options = ClosedLoopOptions(forecasts=ForecastMode.PERFECT)
    run = run_closed_loop(data, prices, site, options=options)
    charge_kw = _cheap_period_charge_kw(run, data)
    # Through a raised reserve it could only reach the reserve rate (1.8 kW per Powerwall).
    assert charge_kw > site.spec.reserve_charge_kw + 1.0
    assert charge_kw <= site.spec.max_charge_kw + 1e-9
    commands = run.stats["commands"]
    assert commands["by_command"].get("time_of_use_settings", 0) == 1  # uploaded once
    assert run.stats["intents"].get("charge_from_grid", 0) > 0


def test_planner_is_told_the_full_rate_only_in_the_cheapest_period(flux, site):
    data, prices = period(flux, date(2025, 1, 6), 2)
    loop = ClosedLoop(data, prices, site, ClosedLoopOptions())
    state = PowerwallState(site.initial_soe_kwh)
    request = loop.request_at(loop.now_at(0), state, None, loop.new_forecasting())
    grid = request.grid
    limits = request.limits.max_grid_charge_kw
    local_hours = np.array([s.astimezone(LONDON).hour for s in grid.starts])
    cheap = (local_hours >= 2) & (local_hours < 5)
    assert np.all(limits[cheap] == site.spec.max_charge_kw)
    assert np.all(limits[~cheap] == site.capabilities.max_grid_charge_kw)
    local = planner_limits(Capabilities.local(), grid.count, fast_slots=cheap, full_charge_kw=5.0)
    assert np.all(local["max_grid_charge_kw"] == 1.8)  # no tariff upload, no fast charging
