"""Whether the budget pays for a forced state: pure decisions production and the replay share."""

from __future__ import annotations

from datetime import UTC, datetime

from optimiser.control.budget_decision import afford_forced, budget_shortfall
from optimiser.control.capabilities import Capabilities
from optimiser.control.policy import ControlPolicy
from optimiser.control.safety import Failure, safe_settings
from optimiser.control.value import BudgetOutlook, SpanDemand
from optimiser.domain.actions import Action
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff

NOW = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
FLEET = Capabilities.fleet()
POLICY = ControlPolicy(reserve_floor_app_percent=20.0)
SAFE = safe_settings(POLICY)
EXPORT = Settings(
    OperationMode.AUTONOMOUS,
    40.0,
    grid_charging=True,
    export_rule=ExportRule.BATTERY_OK,
    tariff=UploadedTariff({"name": "doctored"}),
)

T0 = NOW


def test_a_forced_state_the_budget_cannot_pay_for_becomes_safe_settings():
    target, forced, failure = afford_forced(
        EXPORT, NOW, policy=POLICY, short=lambda t: budget_shortfall(SAFE, t, FLEET, 3)
    )
    assert failure is Failure.BUDGET_EXHAUSTED and not forced
    assert target == SAFE
    assert any("needs 4 command(s)" in note for note in target.notes)
    target, forced, failure = afford_forced(
        EXPORT, NOW, policy=POLICY, short=lambda t: budget_shortfall(SAFE, t, FLEET, 4)
    )
    assert (target, forced, failure) == (EXPORT, True, None)


def test_an_unforced_target_is_never_refused():
    asked = []
    target, forced, failure = afford_forced(
        SAFE, NOW, policy=POLICY, short=lambda t: asked.append(t) or "short"
    )
    assert (target, forced, failure, asked) == (SAFE, False, None, [])


def test_a_low_value_forced_state_leaves_the_commands_for_a_worthier_later_span():
    hold = Settings(OperationMode.SELF_CONSUMPTION, 60.0)
    outlook = BudgetOutlook(0.05, (SpanDemand(T0, Action.EXPORT, 1.0, 3),))
    assert budget_shortfall(SAFE, hold, FLEET, 3) is None
    why = budget_shortfall(SAFE, hold, FLEET, 3, outlook)
    assert why is not None and "kept for later" in why
    target, forced, failure = afford_forced(
        hold, T0, policy=POLICY, short=lambda t: budget_shortfall(SAFE, t, FLEET, 3, outlook)
    )
    assert failure is Failure.BUDGET_EXHAUSTED and not forced
    assert target.backup_reserve_app_percent == SAFE.backup_reserve_app_percent
    # With commands for both, both go ahead.
    assert budget_shortfall(SAFE, hold, FLEET, 4, outlook) is None


def test_a_refused_hold_or_charge_keeps_the_devices_hold_instead_of_spending_it():
    held = Settings(OperationMode.SELF_CONSUMPTION, 100.0, grid_charging=False)
    hold_lower = Settings(OperationMode.SELF_CONSUMPTION, 70.0)
    target, forced, failure = afford_forced(
        hold_lower, T0, policy=POLICY, short=lambda t: "no commands", current=held
    )
    assert failure is Failure.BUDGET_EXHAUSTED and forced
    assert (target.mode, target.backup_reserve_app_percent, target.grid_charging) == (
        OperationMode.SELF_CONSUMPTION,
        100.0,
        False,
    )
    assert "keeping the device's hold" in target.notes[-1]


def test_a_refused_export_or_a_self_powered_device_falls_back_to_safe_settings():
    held = Settings(OperationMode.SELF_CONSUMPTION, 60.0)
    export = Settings(
        OperationMode.AUTONOMOUS, 40.0, export_rule=ExportRule.BATTERY_OK, tariff=UploadedTariff({})
    )
    target, forced, failure = afford_forced(
        export, T0, policy=POLICY, short=lambda t: "no commands", current=held
    )
    assert failure is Failure.BUDGET_EXHAUSTED and not forced
    assert target.backup_reserve_app_percent == SAFE.backup_reserve_app_percent
    hold = Settings(OperationMode.SELF_CONSUMPTION, 60.0)
    target, forced, _ = afford_forced(
        hold, T0, policy=POLICY, short=lambda t: "no commands", current=SAFE
    )
    assert not forced and target.backup_reserve_app_percent == SAFE.backup_reserve_app_percent
