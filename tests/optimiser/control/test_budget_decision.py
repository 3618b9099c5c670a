"""The pure budget decisions shared by production's apply path and the replay."""

from __future__ import annotations

from datetime import UTC, datetime

from optimiser.control.apply_now import afford_forced, budget_shortfall
from optimiser.control.backends import Command, MemoryBackend, select_commands
from optimiser.control.budget import CommandBudget
from optimiser.control.safety import Failure, safe_settings
from optimiser.control.translate import Capabilities, ControlPolicy, DeviceSettings
from optimiser.domain.device import ExportRule, OperationMode

NOW = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
FLEET = Capabilities.fleet()
POLICY = ControlPolicy(reserve_floor_app_percent=20.0)
SAFE = safe_settings(POLICY)
EXPORT = DeviceSettings(
    OperationMode.AUTONOMOUS,
    40.0,
    grid_charging=True,
    export_rule=ExportRule.BATTERY_OK,
    tariff_content={"name": "doctored"},
)


def test_select_commands_keeps_the_safety_order_when_short():
    kept, skipped, unsupported = select_commands(SAFE, EXPORT, FLEET, 2)
    assert kept == [Command.BACKUP, Command.OPERATION]
    assert skipped == [Command.GRID_IMPORT_EXPORT, Command.TARIFF]
    assert unsupported == []
    kept, skipped, _ = select_commands(SAFE, EXPORT, FLEET, None)
    assert len(kept) == 4 and skipped == []


def test_select_commands_prefers_the_changes_worth_most():
    kept, skipped, _ = select_commands(SAFE, EXPORT, FLEET, 1, {Command.TARIFF: 0.5})
    assert kept == [Command.TARIFF]
    assert Command.BACKUP in skipped


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


def test_memory_backend_spends_its_budget_and_skips_the_rest():
    budget = CommandBudget(3, None, safety_reserve=1)
    backend = MemoryBackend(FLEET, initial=SAFE, budget=budget, now=NOW)
    report = backend.apply(EXPORT, reason="test")
    assert report.sent == (Command.BACKUP, Command.OPERATION)
    assert report.skipped == (Command.GRID_IMPORT_EXPORT, Command.TARIFF)
    assert backend.read().mode is OperationMode.AUTONOMOUS
    assert backend.read().export_rule is ExportRule.PV_ONLY  # the skipped change did not happen
    assert budget.used(NOW) == 2
    # A safety revert may use the reserved command, and only that one.
    report = backend.apply(SAFE, reason="revert", safety=True)
    assert report.sent == (Command.BACKUP,) and report.skipped == (Command.OPERATION,)
    assert budget.remaining(NOW, safety=True) == 0
    # The next UTC day brings a fresh budget.
    backend.now = datetime(2025, 1, 7, 0, 1, tzinfo=UTC)
    report = backend.apply(SAFE, reason="revert", safety=True)
    assert report.sent == (Command.OPERATION,) and backend.read() == SAFE


def test_budget_state_round_trips():
    budget = CommandBudget(5)
    budget.spend(NOW)
    other = CommandBudget(5)
    other.restore(budget.counted())
    assert other.used(NOW) == 1 and other.remaining(NOW) == 4
