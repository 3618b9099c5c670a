"""When the plan cannot be trusted: a failed solve falls back to safe settings and re-plans, an
invalid plan is not followed, and a plan whose inputs cannot be refreshed is followed until it
expires, then reverted."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np

from optimiser.control.apply_now import apply_current_slot
from optimiser.control.lease_file import load_lease
from optimiser.control.plan_check import plan_problems
from optimiser.control.safety import Failure
from tests.optimiser.service.conftest import (
    at_night,
    charging,
    make_service,
    safe,
)


def test_solver_failure_falls_back_to_safe_settings_and_keeps_trying(house):
    at_night(house, 2)
    broken = {"on": False}

    def infeasible(problem):
        if broken["on"]:
            problem.add_constraint("impossible", problem.soe[0] >= 10_000)

    service = make_service(house)
    service.plan_hooks = (infeasible,)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert charging(house)

    broken["on"] = True
    service.run(until=house.clock.now() + timedelta(minutes=30))
    failed = [d for d in service.decisions if d.applied and d.applied.failure]
    assert failed and failed[-1].applied.failure is Failure.SOLVER_FAILED
    assert service.stats.plan_failures >= 1
    assert safe(house)

    broken["on"] = False
    service.run(until=house.clock.now() + timedelta(minutes=30))
    assert charging(house)


def test_an_invalid_plan_is_not_followed(house):
    at_night(house, 2)
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    result = service.current_plan
    plan = result.outcome.plan
    soe = np.array(plan.soe_kwh, dtype=float)
    soe[3] = np.nan
    bad = replace(result, outcome=replace(result.outcome, plan=replace(plan, soe_kwh=soe)))
    assert plan_problems(bad.outcome.plan, 13.5)
    applied = apply_current_slot(
        service.config, service.backend, bad, house.clock.now(), state_dir=house.tmp / "state"
    )
    assert applied.failure is Failure.INVALID_PLAN
    assert safe(house)
    assert load_lease(house.tmp / "state") is None


def test_an_expired_plan_is_reverted_when_its_inputs_cannot_be_refreshed(house):
    at_night(house, 2)

    class FlakyTariff:
        """The real tariff until ``down`` is set, then unreadable (as an offline Octopus)."""

        down = False

        def __getattr__(self, name):
            return getattr(house.tariff, name)

        def prices(self, grid):
            if self.down:
                raise OSError("Octopus unreachable")
            return house.tariff.prices(grid)

    tariff = FlakyTariff()
    service = make_service(house, plan_max_age_minutes=45)
    service.tariff = tariff
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert charging(house)
    tariff.down = True
    service.run(until=house.clock.now() + timedelta(minutes=20))
    assert charging(house)  # the last plan still holds (20 min old)
    service.run(until=house.clock.now() + timedelta(minutes=40))
    assert service.stats.input_failures >= 2
    assert safe(house)  # older than 45 min: expired, safe settings
    assert any(
        "expired" in " ".join(d.applied.target.notes) for d in service.decisions if d.applied
    )
