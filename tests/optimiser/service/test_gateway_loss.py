"""The watchdog in the loop: a lost gateway records gaps, a blip keeps the forced state, and past
the grace (or when the forced state's lease lapses first) safe settings go out through any
backend that can take them — the Fleet API at once, the local backend once the gateway is back.
"""

from __future__ import annotations

from datetime import timedelta

from optimiser.control.safety import Failure
from tests.optimiser.service.conftest import (
    START,
    at_night,
    charging,
    exporting,
    lost_gateway_decisions,
    make_service,
    run_to_export,
    safe,
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


def test_one_failed_poll_keeps_the_forced_state(house, fleet):
    service = run_to_export(house, fleet)
    house.emulator.stop()
    service.run(until=house.clock.now() + timedelta(minutes=6))  # one failed poll (18:10)
    house.emulator.start()
    service.run(until=house.clock.now() + timedelta(minutes=6))
    assert service.stats.gaps == 1
    assert exporting(house)
    assert not lost_gateway_decisions(service)


def test_a_gateway_lost_beyond_the_grace_reverts_through_the_cloud(house, fleet):
    service = run_to_export(house, fleet)
    house.emulator.stop()
    service.run(until=house.clock.now() + timedelta(minutes=15))
    reverts = lost_gateway_decisions(service)
    assert len(reverts) == 1
    # First failed poll at 18:10; the grace (300 s) ends at 18:15.
    assert reverts[0].time == START.replace(hour=18, minute=15)
    assert safe(house) and not exporting(house)


def test_a_lapsing_lease_reverts_before_a_long_grace_ends(house, fleet):
    service = run_to_export(house, fleet)
    service.config = service.config.model_copy(
        update={"control": service.config.control.model_copy(update={"gateway_loss_grace_s": 7200})}
    )
    house.emulator.stop()
    service.run(until=START.replace(hour=19, minute=30))
    reverts = lost_gateway_decisions(service)
    assert reverts and reverts[0].time == START.replace(hour=19, minute=0)  # the lease's end
    assert safe(house)
