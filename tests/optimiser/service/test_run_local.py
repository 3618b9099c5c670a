"""``wattplan run`` against the gateway emulator through the local backend (installer login).

A simulated day and night (12:00 → 12:00 UTC, winter, Flux region C) on a stepped clock: every
poll is a real HTTPS request to the emulator, every plan a real LP solve, every setting the
legacy installer sequence. The whole day runs in about 3 s of wall time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from optimiser.control.factory import backend_from_config
from optimiser.control.translate import app_to_raw
from optimiser.domain.device import OperationMode
from optimiser.service import Service
from tests.optimiser.service.conftest import (
    DAY,
    START,
    planned_cost_gbp,
    realised_cost_gbp,
)

FLOOR_RAW = app_to_raw(20.0)  # 24 % on the gateway's scale


def make_service(house, **control):
    config = house.config(**control)
    backend = backend_from_config(
        config, gateway=house.gateway, state_dir=house.tmp / "state", clock=house.clock.now
    )
    return Service(
        config,
        gateway=house.gateway,
        backend=backend,
        clock=house.clock,
        tariff=house.tariff,
        store=house.store,
        forecaster=house.forecaster,
        state_dir=house.tmp / "state",
        keep_plans=200,
    )


def test_a_day_and_night_follows_the_plan_and_costs_what_was_planned(house):
    """The emulated Powerwall charges in the Flux off-peak window, self-powers otherwise, and the
    realised cost is within £0.20 (and 12 %) of the first plan's cost for the same 24 h.

    Measured (2025-01-15 12:00 → 01-16 12:00 UTC, perfect forecasts): planned £1.598, realised
    £1.758 (gap £0.161, 10.1 %); the battery ends with 6.43 kWh against the planned 6.06 kWh.
    The gap is the control's: settings go out 5 minutes before each slot (the settle margin),
    a charge runs at the slow reserve rate up to a reserve rounded up to 1 %, and the re-plans
    every slot move the targets a little. Most of it is the holds: among equally cheap plans
    the planner keeps energy for later in the same price band (its tie-break), so it holds
    14:30–16:00 and 19:00–20:30 at the day rate; the 19:00 hold goes out at 18:55, inside the
    peak (0.21 kWh bought at 34 p), and each hold's reserve is met only approximately.
    """
    service = make_service(house)
    stats = service.run(until=START + DAY)

    assert stats.gaps == 0
    assert stats.samples == 24 * 12 + 1  # every 5 min, both ends included
    assert stats.plans >= 48 and stats.plan_failures == 0
    assert any(d.why == "nightly plan" and d.time.hour == 21 for d in service.decisions)
    # Every installer sequence the emulator saw is one the service says it sent.
    assert house.emulator.control_sequences() == stats.commands_sent >= 2

    samples = {s.time: s for s in house.store.samples()}
    night = START.replace(day=16)
    at = {h: samples[night.replace(hour=h)] for h in (1, 2, 3, 4, 5)}
    # Off-peak 02:00–05:00: the reserve is raised and the battery charges from the grid.
    assert at[3].backup_reserve_percent > FLOOR_RAW + 20
    assert at[5].soe_kwh - at[2].soe_kwh > 3.0
    assert at[5].site_imported_kwh - at[2].site_imported_kwh > 4.0
    # Before and after the window it is self-powered at the floor.
    assert at[1].backup_reserve_percent == pytest.approx(FLOOR_RAW, abs=0.2)
    assert at[1].mode == OperationMode.SELF_CONSUMPTION.value
    later = samples[night.replace(hour=8)]
    assert later.backup_reserve_percent == pytest.approx(FLOOR_RAW, abs=0.2)

    first = service.plans[0].result.outcome.plan
    planned = planned_cost_gbp(first, START, START + DAY)
    realised = realised_cost_gbp(house.store, house.tariff, START, START + DAY)
    assert realised == pytest.approx(planned, abs=0.20)
    assert abs(realised - planned) / planned < 0.12
    planned_end = first.soe_kwh[first.grid.index_of(START + DAY) - 1]
    assert house.site.state.soe_kwh == pytest.approx(planned_end, abs=0.8)


def test_stop_reverts_the_forced_charge_to_safe_settings(house):
    house.clock.advance(timedelta(hours=14, minutes=10))  # 02:10: charging off-peak
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=20))
    assert house.site.settings.backup_reserve_percent > FLOOR_RAW + 20
    lease_file = house.tmp / "state" / "lease.json"
    assert lease_file.exists()

    service.request_stop()
    stats = service.run()

    assert stats.reverted_on_stop
    assert house.site.settings.backup_reserve_percent == pytest.approx(FLOOR_RAW, abs=0.01)
    assert house.site.settings.mode is OperationMode.SELF_CONSUMPTION
    assert not lease_file.exists()
    assert service.decisions[-1].why.startswith("stopping")
