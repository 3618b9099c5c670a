from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from optimiser.control.policy import ControlPolicy
from optimiser.control.safety import Failure, Lease, decide, is_forced, safe_settings
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff

NOW = datetime(2025, 3, 10, 17, 0, tzinfo=UTC)
POLICY = ControlPolicy(reserve_floor_app_percent=20.0, lease_minutes=60)
SAFE = Settings(OperationMode.SELF_CONSUMPTION, 20.0, True, ExportRule.PV_ONLY)
EXPORT = Settings(
    OperationMode.AUTONOMOUS, 30.0, True, ExportRule.BATTERY_OK, UploadedTariff({"t": 1})
)


def test_safe_settings_are_self_powered_at_the_floor():
    assert safe_settings(POLICY) == SAFE
    assert not is_forced(SAFE, POLICY)
    assert is_forced(EXPORT, POLICY)
    assert is_forced(replace(SAFE, backup_reserve_app_percent=60), POLICY)


@pytest.mark.parametrize(
    "failure",
    [Failure.GATEWAY_LOST, Failure.SOLVER_FAILED, Failure.INVALID_PLAN, Failure.BUDGET_EXHAUSTED],
)
def test_failures_fall_back_to_safe(failure):
    lease = Lease.grant(EXPORT, NOW, POLICY)
    got = decide(NOW, NOW + timedelta(hours=5), EXPORT, failure, policy=POLICY, lease=lease)
    assert got == SAFE
    assert failure.value in got.notes[0]


def test_valid_plan_with_a_live_lease_is_followed():
    lease = Lease.grant(EXPORT, NOW, POLICY)
    assert decide(NOW, NOW + timedelta(hours=5), EXPORT, None, policy=POLICY, lease=lease) == EXPORT


def test_expired_plan_and_lapsed_lease_fall_back():
    lease = Lease.grant(EXPORT, NOW, POLICY)
    later = NOW + timedelta(minutes=61)
    assert lease.expired(later) and not lease.expired(NOW)
    assert decide(later, NOW + timedelta(hours=5), EXPORT, None, policy=POLICY, lease=lease) == SAFE
    got = decide(NOW, NOW, EXPORT, None, policy=POLICY, lease=lease)
    assert got == SAFE and "expired" in got.notes[0]
    assert decide(NOW, None, None, None, policy=POLICY) == SAFE


def test_forced_state_without_a_lease_is_not_held():
    assert decide(NOW, NOW + timedelta(hours=1), EXPORT, None, policy=POLICY) == SAFE


def test_lease_ends_no_later_than_its_span():
    lease = Lease.grant(EXPORT, NOW, POLICY, until=NOW + timedelta(minutes=30))
    assert lease.expires_at == NOW + timedelta(minutes=30)


def test_grid_outage_never_lowers_the_reserve():
    held = replace(SAFE, backup_reserve_app_percent=70)
    got = decide(NOW, None, EXPORT, Failure.GRID_OUTAGE, policy=POLICY, current=held)
    assert got.backup_reserve_app_percent == 70
    assert got.export_rule is ExportRule.PV_ONLY
    low = replace(SAFE, backup_reserve_app_percent=5)
    got = decide(NOW, None, None, Failure.GRID_OUTAGE, policy=POLICY, current=low)
    assert got.backup_reserve_app_percent == 20
