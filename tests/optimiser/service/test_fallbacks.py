"""Safety of ``wattplan run``: gateway loss, solver failure, invalid and expired plans, an expired
lease left by an earlier run, and a dry run that sends nothing. Local backend on the emulator.

Each test starts the stepped clock in the night (the Flux off-peak window 02:00–05:00 UTC is
when the plan forces a charge through a raised reserve), so a forced state is in place to be
reverted.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from optimiser.control import DryRunBackend, LocalBackend
from optimiser.control.apply_now import apply_current_slot
from optimiser.control.lease_file import load_lease
from optimiser.control.plan_check import plan_problems
from optimiser.control.safety import Failure
from optimiser.domain.device import OperationMode
from optimiser.domain.units import app_to_raw
from optimiser.service import Service
from tests.optimiser.service.test_run_local import make_service

FLOOR_RAW = app_to_raw(20.0)


def at_night(house, hour: int, minute: int = 0) -> None:
    """Move the clock (from 12:00) to ``hour:minute`` UTC the next night."""
    house.clock.advance(timedelta(hours=12 + hour, minutes=minute))


def charging(house) -> bool:
    return house.site.settings.backup_reserve_raw_percent > FLOOR_RAW + 5


def safe(house) -> bool:
    s = house.site.settings
    return (
        s.mode is OperationMode.SELF_CONSUMPTION
        and s.backup_reserve_raw_percent == pytest.approx(FLOOR_RAW, abs=0.01)
    )


def test_gateway_loss_records_a_gap_and_returns_to_safe_settings_once_it_is_back(house):
    at_night(house, 2)
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert charging(house)

    house.emulator.stop()  # the gateway disappears mid-run
    service.run(until=house.clock.now() + timedelta(minutes=40))
    assert service.stats.gaps >= 7
    assert house.store.gap_count() >= 7
    assert charging(house)  # nobody could reach it: the device keeps its last settings

    house.emulator.start()  # same certificate and port, as a rebooted gateway
    back = house.clock.now()
    service.run(until=back + timedelta(minutes=10))
    after = [d for d in service.decisions if d.time >= back and d.applied is not None]
    revert, replanned = after[0], after[-1]
    # First the safe settings, read back from the device…
    assert revert.applied.failure is Failure.GATEWAY_LOST
    assert revert.applied.report.sent and revert.applied.report.ok
    assert revert.applied.report.after.backup_reserve_app_percent == 20
    # …then, at the next decision, the plan is followed again.
    assert replanned.applied.failure is None and replanned.applied.span.action == "charge_from_grid"
    assert charging(house)
    assert any(d.error and "gateway lost" in d.error for d in service.decisions)


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


def test_a_lapsed_lease_left_by_an_earlier_run_is_reverted_at_start(house):
    at_night(house, 4, 0)  # the charge runs until 05:00; its lease lapses then
    first = make_service(house)
    first.run(until=house.clock.now() + timedelta(minutes=10))
    assert charging(house)
    lease = load_lease(house.tmp / "state")
    assert lease is not None and lease.expires_at.hour == 5
    # The first run dies without reverting (kill -9); the next starts after the lease lapsed.
    house.clock.advance(timedelta(minutes=55))
    sequences = house.emulator.control_sequences()
    second = make_service(house)
    second.run(until=house.clock.now())
    revert = second.decisions[0]
    assert revert.why == "earlier forced state lapsed"
    assert revert.applied is not None and revert.applied.target.backup_reserve_app_percent == 20
    assert house.emulator.control_sequences() > sequences


def test_dry_run_sends_nothing(house):
    at_night(house, 1)
    config = house.config(backend="dry-run")
    backend = DryRunBackend(LocalBackend(house.gateway, clock=house.clock.now))
    service = Service(
        config,
        gateway=house.gateway,
        backend=backend,
        clock=house.clock,
        tariff=house.tariff,
        store=house.store,
        forecaster=house.forecaster,
        state_dir=house.tmp / "state",
    )
    service.run(until=house.clock.now() + timedelta(hours=3))
    would = [d for d in service.decisions if d.applied and d.applied.report.sent]
    assert would, "the plan charges off-peak: the dry run must say what it would send"
    assert all(d.applied.dry_run for d in would)
    assert "would send backup" in would[0].line()
    assert house.emulator.post_count() == 0
    assert service.stats.commands_sent == 0
    assert house.site.settings.backup_reserve_raw_percent == pytest.approx(FLOOR_RAW, abs=0.01)
    assert load_lease(house.tmp / "state") is None
