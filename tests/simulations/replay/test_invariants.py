"""Invariants at every step of every strategy: energy balance, stored-energy bounds and
accounting, and the backup reserve respected while on grid."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimiser.config import Config
from simulations.replay import SiteModel, Strategy, run_strategy
from simulations.replay.ledger import local_days
from tests.simulations.replay.conftest import LONDON, period

EPS = 1e-6


def check_invariants(run, site) -> None:
    cap = site.capacity_kwh
    # Energy balance: served load = grid + battery + used solar.
    assert np.allclose(run.load_kw, run.grid_kw + run.battery_kw + run.solar_kw, atol=1e-9)
    assert np.all(run.soe_kwh >= -EPS) and np.all(run.soe_kwh <= cap + EPS)
    start = np.concatenate([[run.initial_soe_kwh], run.soe_kwh[:-1]])
    if run.strategy != Strategy.NO_BATTERY:
        # Stored energy follows the AC flows through the efficiencies.
        spec = site.spec
        expected = start + (
            run.charged_kwh * spec.charge_efficiency
            - run.discharged_kwh / spec.discharge_efficiency
        )
        assert np.allclose(run.soe_kwh, expected, atol=1e-9)
    # The reserve in force is never discharged through (on grid).
    discharging = run.battery_kw > EPS
    floor = np.minimum(run.reserve_kwh, start)
    assert np.all(run.soe_kwh[discharging] >= floor[discharging] - EPS)
    assert np.all(run.curtailed_kw >= -EPS)


@pytest.fixture(scope="module")
def runs(flux, site):
    data, prices = period(flux, date(2025, 3, 28), 3)  # includes the spring clock change
    return {name: run_strategy(name, data, prices, site) for name in Strategy}


@pytest.mark.parametrize("name", list(Strategy))
def test_invariants_hold_at_every_step(runs, site, name):
    check_invariants(runs[name], site)


def test_the_clock_change_day_has_23_hours_of_steps(runs):
    run = runs[Strategy.WATTPLAN]
    days = local_days(run.epoch_s, LONDON)
    assert days.count(date(2025, 3, 30)) == 23 * 12
    assert date(2025, 3, 30) in run.per_day(LONDON)


@settings(max_examples=8, deadline=None)
@given(
    capacity=st.floats(5.0, 27.0),
    power=st.floats(1.0, 10.0),
    reserve=st.floats(0.0, 60.0),
    start_day=st.integers(0, 300),
    strategy=st.sampled_from([Strategy.SELF_POWERED, Strategy.TIME_BASED, Strategy.NO_BATTERY]),
)
def test_invariants_for_any_battery(flux, capacity, power, reserve, start_day, strategy):
    config = Config.model_validate({"battery": {"reserve_percent": reserve}})
    site = SiteModel.from_config(config, capacity_kwh=capacity, power_kw=power)
    data, prices = period(flux, date.fromordinal(date(2025, 1, 1).toordinal() + start_day), 1)
    check_invariants(run_strategy(strategy, data, prices, site), site)
