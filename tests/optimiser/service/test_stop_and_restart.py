"""Stopping reverts a forced state to safe settings, retried within a bounded time and paid for
by the commands kept for safety; a lease is written before the commands go out, so a run
killed mid-send, or one whose revert is not confirmed, is reverted by the next run."""

from __future__ import annotations

from datetime import timedelta

import pytest

from optimiser.config import FLEET_REVERT_COMMANDS, Config
from optimiser.control.capabilities import Capabilities
from optimiser.control.errors import FleetProtocolError
from optimiser.control.lease_file import lease_path, load_lease
from optimiser.control.safety import worst_case_revert_commands
from optimiser.domain.device import ExportRule, OperationMode
from tests.optimiser.service.conftest import (
    FLOOR_RAW,
    START,
    at_night,
    charging,
    exporting,
    fleet_service,
    leave_only,
    lost_gateway_decisions,
    make_service,
    run_to_export,
    safe,
)


def test_stop_reverts_the_forced_charge_to_safe_settings(house):
    house.clock.advance(timedelta(hours=14, minutes=10))  # 02:10: charging off-peak
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=20))
    assert house.site.settings.backup_reserve_raw_percent > FLOOR_RAW + 20
    lease_file = house.tmp / "state" / "lease.json"
    assert lease_file.exists()

    service.request_stop()
    stats = service.run()

    assert stats.reverted_on_stop
    assert house.site.settings.backup_reserve_raw_percent == pytest.approx(FLOOR_RAW, abs=0.01)
    assert house.site.settings.mode is OperationMode.SELF_CONSUMPTION
    assert not lease_file.exists()
    assert service.decisions[-1].why.startswith("stopping")


def test_a_failed_revert_on_stop_keeps_the_lease_and_is_retried(house, fleet):
    service = run_to_export(house, fleet)
    fleet.faults.answer["operation"] = 503  # the cloud fails every revert

    service.request_stop()
    service.run()  # must not raise

    assert exporting(house)  # nothing could be reverted…
    lease = load_lease(house.tmp / "state")
    assert lease is not None and lease.settings.export_rule is ExportRule.BATTERY_OK  # …so kept
    failed_posts = [r for r in fleet.requests if r[1] == "operation" and r[2] == 503]
    assert len(failed_posts) == service.stop_attempts == 3
    stops = [d for d in service.decisions if d.why.startswith("stopping")]
    assert len(stops) == 3 and all(d.applied.report.errors for d in stops)


def test_a_stop_whose_revert_is_refused_never_raises(house, fleet):
    service = run_to_export(house, fleet)
    fleet.faults.answer["operation"] = 400  # a rejected request: stop-and-tell, not temporary
    service.request_stop()
    service.run()  # shutdown logs instead of raising
    assert service.stats.reverted_on_stop
    assert load_lease(house.tmp / "state") is not None


def test_the_default_safety_reserve_pays_for_the_worst_case_revert(house, fleet):
    assert worst_case_revert_commands(Capabilities.fleet()) == FLEET_REVERT_COMMANDS == 3
    assert Config().control.safety_commands == 3
    service = run_to_export(house, fleet)
    leave_only(service, service.backend.budget.safety_reserve)  # nothing but the reserve left
    service.request_stop()
    service.run()
    assert safe(house) and house.site.settings.export_rule is ExportRule.PV_ONLY
    assert not lease_path(house.tmp / "state").exists()  # confirmed by the read-back


def test_a_revert_the_budget_cannot_finish_stays_pending_until_it_can(house, fleet):
    service = run_to_export(house, fleet)
    leave_only(service, 1)  # the revert needs 2
    house.emulator.stop()  # gateway lost: revert through the cloud after the grace
    service.run(until=START.replace(hour=23))

    reverts = lost_gateway_decisions(service)
    assert reverts and reverts[0].applied.report.skipped == ("grid_import_export",)
    assert house.site.settings.export_rule is ExportRule.BATTERY_OK  # half reverted
    assert load_lease(house.tmp / "state") is not None  # the lease stays: not confirmed

    service.run(until=START.replace(day=16, hour=0, minute=10))  # a new UTC day's budget
    assert house.site.settings.export_rule is ExportRule.PV_ONLY
    assert safe(house)
    assert not lease_path(house.tmp / "state").exists()
    assert fleet.commands_by_day()[START.date() + timedelta(days=1)] == 1


def test_a_crash_mid_send_leaves_a_lease_the_next_run_reverts(house, fleet):
    service = fleet_service(house, fleet)
    service.run(until=START.replace(hour=17, minute=50))
    assert load_lease(house.tmp / "state") is None  # self-powered: nothing forced yet
    fleet.faults.answer["grid_import_export"] = 400  # the third command of the export fails
    with pytest.raises(FleetProtocolError):
        service.run(until=START.replace(hour=18, minute=0))  # run() alone: as a kill -9
    assert house.site.settings.mode is OperationMode.AUTONOMOUS  # half forced
    lease = load_lease(house.tmp / "state")
    assert lease is not None and lease.expires_at == START.replace(hour=19, minute=0)

    del fleet.faults.answer["grid_import_export"]
    house.clock.advance(timedelta(hours=1, minutes=5))  # 19:05: lapsed
    second = fleet_service(house, fleet)
    second.run(until=house.clock.now())
    assert second.decisions[0].why == "earlier forced state lapsed"
    assert house.site.settings.mode is OperationMode.SELF_CONSUMPTION


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
