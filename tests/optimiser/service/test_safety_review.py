"""Battery safety of ``wattplan run`` found in review: failed or unpaid reverts, errors that
skipped the stop's revert, the lease written before sending, grid outages, and Wi-Fi blips.

Every test drives the real service against the gateway emulator (polls) and the Fleet emulator
(settings) serving one emulated house on a stepped clock. From 12:00 UTC the plan holds (from
14:25 to 15:55 through a raised reserve), then exports at the end of the Flux peak (17:55–19:00:
autonomous, reserve at the floor, export battery_ok — two commands to revert, operation and
grid_import_export) and charges off-peak at night at full power.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from optimiser.config import FLEET_REVERT_COMMANDS, Config
from optimiser.control.errors import FleetAuthError, FleetProtocolError, FleetRateLimited
from optimiser.control.lease_file import lease_path, load_lease
from optimiser.control.safety import Failure, worst_case_revert_commands
from optimiser.control.translate import Capabilities
from optimiser.domain.device import ExportRule, OperationMode
from optimiser.gateway.errors import AccessDenied, GatewayTimeout, RateLimited
from optimiser.service import is_gateway_loss
from simulations.fleet_emulator import FleetEmulator
from tests.optimiser.service.conftest import START
from tests.optimiser.service.test_fallbacks import FLOOR_RAW, at_night, charging, safe
from tests.optimiser.service.test_run_fleet import PER_DAY, fleet_service
from tests.optimiser.service.test_run_local import make_service

EXPORTING_AT = START + timedelta(hours=6, minutes=5)  # 18:05 UTC
HOLDING_AT = START + timedelta(hours=2, minutes=35)  # 14:35 UTC: reserve raised to hold


@pytest.fixture
def fleet(house):
    with FleetEmulator(house.site, clock=house.clock, commands_per_day=PER_DAY) as emulator:
        yield emulator


def exporting(house) -> bool:
    s = house.site.settings
    return s.mode is OperationMode.AUTONOMOUS and s.export_rule is ExportRule.BATTERY_OK


def run_to_export(house, fleet, **kwargs):
    service = fleet_service(house, fleet, **kwargs)
    service.stop_retry_window_s = 0.3  # keep the stop's retries quick in tests
    service.run(until=EXPORTING_AT)
    assert exporting(house)
    lease = load_lease(house.tmp / "state")
    assert lease is not None and lease.expires_at == START.replace(hour=19, minute=0)
    return service


def leave_only(service, commands: int) -> None:
    """Spend today's Fleet budget down to ``commands`` left (safety reserve included)."""
    budget = service.backend.budget
    now = service.clock.now()
    budget.restore((now.date(), budget.per_day - commands))


def lost_gateway_decisions(service):
    return [d for d in service.decisions if d.applied and d.applied.failure is Failure.GATEWAY_LOST]


# -- 1. failed or unpaid reverts ------------------------------------------------------------


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


def test_config_refuses_a_safety_reserve_a_fleet_revert_cannot_live_on():
    with pytest.raises(ValueError, match="can take 3 commands"):
        Config(control={"backend": "fleet", "safety_commands": 2})
    with pytest.raises(ValueError, match="must be less than"):
        Config(control={"commands_per_day": 3, "safety_commands": 3})
    assert Config(control={"backend": "local", "safety_commands": 1}).control.safety_commands == 1


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


# -- 2. errors: classified by class, and the stop's revert runs however run ends ---------------


def test_errors_are_classified_by_class_not_by_name():
    assert is_gateway_loss(FleetRateLimited("429", retry_after_s=60))
    assert is_gateway_loss(RateLimited("429", retry_after_s=60))
    assert is_gateway_loss(GatewayTimeout("slow"))
    assert not is_gateway_loss(FleetAuthError("token refused"))
    assert not is_gateway_loss(FleetProtocolError("400"))
    assert not is_gateway_loss(AccessDenied("403"))


def test_a_fleet_rate_limit_on_reading_does_not_stop_the_service(house, fleet):
    service = run_to_export(house, fleet)
    fleet.faults.answer["site_info"] = 429
    service.run(until=house.clock.now() + timedelta(minutes=30))  # decisions at 18:25, 18:55
    assert any(d.applied is None and "429" in (d.error or "") for d in service.decisions)
    del fleet.faults.answer["site_info"]
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert not exporting(house)  # the revert went through once the cloud answered


def test_a_fatal_error_still_reverts_the_forced_state(house, fleet):
    service = run_to_export(house, fleet)
    # The gateway starts refusing the poll (403): stop and tell, not a gap.
    house.emulator.faults.add("status", code=403, path="/api/meters/aggregates")
    with pytest.raises(AccessDenied):
        service.serve(until=house.clock.now() + timedelta(minutes=10))
    assert service.stats.reverted_on_stop
    assert safe(house) and house.site.settings.export_rule is ExportRule.PV_ONLY
    assert not lease_path(house.tmp / "state").exists()


# -- 3. the lease is written before the commands go out ----------------------------------------


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


# -- 4. a grid outage never lowers the reserve ---------------------------------------------------


def test_an_outage_with_a_failing_solver_and_a_stop_keeps_the_raised_reserve(house):
    at_night(house, 2)
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert charging(house)
    raised = house.site.settings.backup_reserve_percent

    house.site.cut_power()
    cut = house.clock.now()
    service.plan_hooks = (lambda p: p.add_constraint("impossible", p.soe[0] >= 10_000),)
    service.run(until=house.clock.now() + timedelta(hours=1))
    assert service.stats.plan_failures >= 1
    outage = [d for d in service.decisions if d.applied and d.time > cut]
    assert outage and all(d.applied.failure is Failure.GRID_OUTAGE for d in outage[1:])
    assert house.site.settings.backup_reserve_percent >= raised - 0.01

    service.request_stop()
    service.run()
    assert house.site.settings.backup_reserve_percent >= raised - 0.01
    assert house.site.settings.backup_reserve_percent > FLOOR_RAW + 5


def test_an_outage_on_a_spent_budget_never_sends_the_lower_safe_reserve(house, fleet):
    service = fleet_service(house, fleet)
    service.run(until=HOLDING_AT)
    held = house.site.settings.backup_reserve_percent
    assert held > FLOOR_RAW + 5  # holding through a raised reserve
    leave_only(service, service.backend.budget.safety_reserve)  # the all-or-nothing case

    house.site.cut_power()
    service.run(until=house.clock.now() + timedelta(minutes=10))
    outage = [d for d in service.decisions if d.why == "grid outage"]
    assert outage and outage[0].applied.failure is Failure.GRID_OUTAGE
    assert house.site.settings.backup_reserve_percent >= held - 0.01
    assert house.site.settings.export_rule is ExportRule.PV_ONLY  # no export while islanded


# -- 6. a Wi-Fi blip is not a reason to drop a forced state --------------------------------------


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


def test_gateway_loss_grace_is_configurable():
    assert Config().control.gateway_loss_grace_s == 300
    assert Config(control={"gateway_loss_grace_s": 60}).control.gateway_loss_grace_s == 60
    with pytest.raises(ValueError):
        Config(control={"gateway_loss_grace_s": -1})
    json.dumps(Config().model_dump(mode="json"))  # still a plain document
