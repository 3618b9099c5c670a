"""A grid outage keeps the reserve for the home: never lowered, not by a failing solver, a stop,
or a spent command budget."""

from __future__ import annotations

from datetime import timedelta

from optimiser.control.safety import Failure
from optimiser.domain.device import ExportRule
from tests.optimiser.service.conftest import (
    FLOOR_RAW,
    HOLDING_AT,
    at_night,
    charging,
    fleet_service,
    leave_only,
    make_service,
)


def test_a_grid_outage_never_lowers_the_reserve(house):
    at_night(house, 2)
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert charging(house)
    raised = house.site.settings.backup_reserve_raw_percent

    house.site.cut_power()
    service.run(until=house.clock.now() + timedelta(hours=1))
    outage = [d for d in service.decisions if d.why == "grid outage"]
    assert outage and outage[0].applied.failure is Failure.GRID_OUTAGE
    later = [d for d in service.decisions if d.time > outage[0].time and d.applied]
    assert later and all(d.applied.failure is Failure.GRID_OUTAGE for d in later)
    assert house.site.settings.backup_reserve_raw_percent >= raised - 0.01

    house.site.restore_power()
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert any(d.why == "grid back" for d in service.decisions)


def test_an_outage_with_a_failing_solver_and_a_stop_keeps_the_raised_reserve(house):
    at_night(house, 2)
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert charging(house)
    raised = house.site.settings.backup_reserve_raw_percent

    house.site.cut_power()
    cut = house.clock.now()
    service.plan_hooks = (lambda p: p.add_constraint("impossible", p.soe[0] >= 10_000),)
    service.run(until=house.clock.now() + timedelta(hours=1))
    assert service.stats.plan_failures >= 1
    outage = [d for d in service.decisions if d.applied and d.time > cut]
    assert outage and all(d.applied.failure is Failure.GRID_OUTAGE for d in outage[1:])
    assert house.site.settings.backup_reserve_raw_percent >= raised - 0.01

    service.request_stop()
    service.run()
    assert house.site.settings.backup_reserve_raw_percent >= raised - 0.01
    assert house.site.settings.backup_reserve_raw_percent > FLOOR_RAW + 5


def test_an_outage_on_a_spent_budget_never_sends_the_lower_safe_reserve(house, fleet):
    service = fleet_service(house, fleet)
    service.run(until=HOLDING_AT)
    held = house.site.settings.backup_reserve_raw_percent
    assert held > FLOOR_RAW + 5  # holding through a raised reserve
    leave_only(service, service.backend.budget.safety_reserve)  # the all-or-nothing case

    house.site.cut_power()
    service.run(until=house.clock.now() + timedelta(minutes=10))
    outage = [d for d in service.decisions if d.why == "grid outage"]
    assert outage and outage[0].applied.failure is Failure.GRID_OUTAGE
    assert house.site.settings.backup_reserve_raw_percent >= held - 0.01
    assert house.site.settings.export_rule is ExportRule.PV_ONLY  # no export while islanded
