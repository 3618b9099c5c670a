"""What a change costs: the commands that would change something, kept by value when short."""

from __future__ import annotations

from datetime import UTC, datetime

from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import Command, select_commands
from optimiser.control.policy import ControlPolicy
from optimiser.control.safety import safe_settings
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
