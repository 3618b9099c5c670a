"""The service reads each error's class policy (``optimiser.domain.errors``): gap-and-retry errors
never stop it, anything else stops it after reverting the forced state."""

from __future__ import annotations

from datetime import timedelta

import pytest

from optimiser.control.errors import FleetAuthError, FleetProtocolError, FleetRateLimited
from optimiser.control.lease_file import lease_path
from optimiser.domain.device import ExportRule
from optimiser.gateway.errors import (
    AccessDenied,
    AuthenticationError,
    GatewayTimeout,
    ProtocolError,
    RateLimited,
)
from optimiser.service.watchdog import carries_on
from tests.optimiser.service.conftest import (
    exporting,
    lost_gateway_decisions,
    run_to_export,
    safe,
)


def test_errors_are_classified_by_their_class_policy_not_by_name():
    assert carries_on(FleetRateLimited("429", retry_after_s=60))
    assert carries_on(RateLimited("429", retry_after_s=60))
    assert carries_on(GatewayTimeout("slow"))
    assert carries_on(ProtocolError("garbled", endpoint="/api/meters/aggregates"))
    assert not carries_on(ValueError("not a wattplan error: a bug"))
    assert not carries_on(FleetAuthError("token refused"))
    assert not carries_on(FleetProtocolError("400"))
    assert not carries_on(AccessDenied("403"))


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
    # The session expires and the gateway refuses the password: re-authenticate means stop
    # and tell, not a gap (a 403 right after an accepted login is a gap: SessionRefused).
    house.emulator.faults.add("status", code=401, path="/api/login")
    house.emulator.faults.expire_tokens()
    with pytest.raises(AuthenticationError):
        service.serve(until=house.clock.now() + timedelta(minutes=10))
    assert service.stats.reverted_on_stop
    assert safe(house) and house.site.settings.export_rule is ExportRule.PV_ONLY
    assert not lease_path(house.tmp / "state").exists()


def test_an_answer_the_service_does_not_understand_is_a_gap_not_a_stop(house, fleet):
    service = run_to_export(house, fleet)
    house.emulator.faults.add("malformed", count=1, path="/api/meters/aggregates")
    service.run(until=house.clock.now() + timedelta(minutes=6))  # one garbled poll (18:10)
    assert service.stats.gaps == 1
    assert [g.error_class for g in house.store.gaps()] == ["ProtocolError"]
    assert exporting(house)  # within the grace nothing it answered was acted on
    assert not lost_gateway_decisions(service)
    service.run(until=house.clock.now() + timedelta(minutes=5))
    assert service.stats.gaps == 1 and not service.stopping
