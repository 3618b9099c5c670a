"""A simulated device held in memory, behind the real apply algorithm (the replay's backend)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from optimiser.control.backends.verifying import VerifyingBackend
from optimiser.control.budget import CommandBudget
from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import Command
from optimiser.domain.device import Settings


class MemoryBackend(VerifyingBackend):
    """A simulated device held in memory, with the Fleet API's commands and a command budget.

    The same ``apply`` algorithm as the real backends (only what differs is sent, the budget
    is never exceeded, short changes are ``skipped``), on a device that takes each command at
    once. ``now`` is the clock (set it before each ``apply``).
    """

    def __init__(
        self,
        capabilities: Capabilities,
        *,
        initial: Settings | None = None,
        budget: CommandBudget | None = None,
        now: datetime | None = None,
    ) -> None:
        super().__init__(capabilities, budget, lambda: self.now)
        self.device = initial or Settings()
        self.now = now or datetime.now(UTC)

    def read(self) -> Settings:
        return self.device

    def _send(
        self, commands: Sequence[Command], target: Settings, safety: bool, sent: list[Command]
    ) -> None:
        device = self.device
        for command in commands:
            self._spend([command], safety)
            sent.append(command)
            if command is Command.BACKUP:
                device = replace(
                    device, backup_reserve_app_percent=target.backup_reserve_app_percent
                )
            elif command is Command.OPERATION:
                device = replace(device, mode=target.mode)
            elif command is Command.GRID_IMPORT_EXPORT:
                device = replace(
                    device, grid_charging=target.grid_charging, export_rule=target.export_rule
                )
            elif command is Command.TARIFF and target.tariff is not None:
                device = replace(device, tariff=target.tariff)
            self.device = replace(device, notes=())
