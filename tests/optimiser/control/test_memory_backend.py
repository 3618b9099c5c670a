"""The replay's in-memory device behind the production apply algorithm."""

from __future__ import annotations

from datetime import UTC, datetime

from optimiser.control.backends import MemoryBackend
from optimiser.control.budget import CommandBudget
from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import Command
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
