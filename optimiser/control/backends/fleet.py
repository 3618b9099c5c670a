"""The Fleet API backend: every setting, one POST per changed command, within a daily budget."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from optimiser.control.backends.verifying import VerifyingBackend
from optimiser.control.budget import CommandBudget
from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import Command
from optimiser.control.errors import FleetProtocolError
from optimiser.control.fleet_client import FleetClient
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff


class FleetBackend(VerifyingBackend):
    """Tesla Fleet API: every setting, one POST per changed command, within a daily budget."""

    def __init__(
        self,
        client: FleetClient,
        budget: CommandBudget,
        *,
        units: int = 1,
        settle_minutes: float = 5.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        capabilities = Capabilities.fleet(
            units,
            settle_minutes=settle_minutes,
            commands_per_day=budget.per_day,
            tariff_changes_per_month=budget.tariff_per_month,
        )
        super().__init__(capabilities, budget, clock)
        self.client = client

    def read(self) -> Settings:
        return settings_from_site_info(self.client.get_site_info())

    def _send(
        self, commands: Sequence[Command], target: Settings, safety: bool, sent: list[Command]
    ) -> None:
        for command in commands:
            self._spend([command], safety)
            sent.append(command)
            if command is Command.BACKUP:
                value = target.backup_reserve_app_percent
                self.client.post_backup(int(value) if value == int(value) else value)
            elif command is Command.OPERATION:
                self.client.post_operation(target.mode.value)
            elif command is Command.GRID_IMPORT_EXPORT:
                self.client.post_grid_import_export(
                    grid_charging=target.grid_charging, export_rule=target.export_rule.value
                )
            elif command is Command.TARIFF and target.tariff is not None:
                self.client.post_time_of_use_settings(target.tariff.content)


def settings_from_site_info(info: Mapping[str, Any]) -> Settings:
    """Parse ``site_info`` (the ``response`` object, JSON) into :class:`Settings`."""
    try:
        mode = OperationMode(info["default_real_mode"])
        reserve = float(info["backup_reserve_percent"])
    except (KeyError, ValueError, TypeError) as exc:
        raise FleetProtocolError(
            f"Fleet API site_info: expected default_real_mode and backup_reserve_percent, "
            f"got {exc!r}"
        ) from exc
    components = info.get("components") or {}
    try:
        rule = ExportRule(components.get("customer_preferred_export_rule", "pv_only"))
    except ValueError as exc:
        raise FleetProtocolError(
            f"Fleet API site_info: unknown customer_preferred_export_rule {exc}"
        ) from exc
    disallow = bool(components.get("disallow_charge_from_grid_with_solar_installed", False))
    content = info.get("tariff_content_v2")
    return Settings(
        mode,
        min(max(reserve, 0.0), 100.0),
        grid_charging=not disallow,
        export_rule=rule,
        tariff=UploadedTariff(content) if content is not None else None,
    )
