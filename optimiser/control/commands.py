"""What a change of settings costs: the commands that would change something. Pure.

Every backend sends only :func:`differences` between what the device holds and the target, and
the command budget, the look-ahead (:mod:`optimiser.control.value`) and the safety revert count
(:func:`~optimiser.control.safety.worst_case_revert_commands`) count commands the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from optimiser.control.budget import prioritise
from optimiser.control.capabilities import Capabilities
from optimiser.domain.device import Settings

RESERVE_TOLERANCE_APP_PERCENT = 0.5
"""Reserves closer than this are the same setting. [app %]"""


class Command(StrEnum):
    """One settings command (one Fleet API POST)."""

    BACKUP = "backup"
    OPERATION = "operation"
    GRID_IMPORT_EXPORT = "grid_import_export"
    TARIFF = "time_of_use_settings"


def describe_commands(commands: Iterable[Command], target: Settings) -> str:
    """What each command sets, with its value, for people: ``backup reserve 20%, mode
    self_consumption`` (the Fleet endpoint ``backup`` sets the reserve, not backup mode)."""
    grid = "on" if target.grid_charging else "off"
    what = {
        Command.BACKUP: f"backup reserve {target.backup_reserve_app_percent:g}%",
        Command.OPERATION: f"mode {target.mode.value}",
        Command.GRID_IMPORT_EXPORT: (f"grid charging {grid}, export {target.export_rule.value}"),
        Command.TARIFF: "tariff",
    }
    return ", ".join(what[Command(c)] for c in commands)


def differences(
    current: Settings, target: Settings, capabilities: Capabilities
) -> tuple[list[Command], list[str]]:
    """(commands that would change something, requested settings the backend cannot set).

    A ``tariff`` of None in ``target`` means "leave the uploaded tariff alone".
    """
    changes: list[Command] = []
    unsupported: list[str] = []
    reserve_differs = (
        abs(current.backup_reserve_app_percent - target.backup_reserve_app_percent)
        > RESERVE_TOLERANCE_APP_PERCENT
    )
    if reserve_differs:
        (changes if capabilities.can_set_reserve else unsupported).append(Command.BACKUP)
    if current.mode is not target.mode:
        (changes if capabilities.can_set_mode else unsupported).append(Command.OPERATION)
    grid_differs = (
        current.grid_charging != target.grid_charging or current.export_rule != target.export_rule
    )
    if grid_differs:
        if capabilities.can_set_grid_charging and capabilities.can_set_export_rule:
            changes.append(Command.GRID_IMPORT_EXPORT)
        else:
            unsupported.append(
                f"grid_charging={target.grid_charging}, export_rule={target.export_rule.value}"
            )
    if target.tariff is not None and current.tariff != target.tariff:
        if capabilities.can_upload_tariff:
            changes.append(Command.TARIFF)
        else:
            unsupported.append("tariff upload")
    return changes, [str(u) for u in unsupported]


def select_commands(
    current: Settings,
    target: Settings,
    capabilities: Capabilities,
    available: int | None,
    value_gbp: Mapping[Command, float] | None = None,
) -> tuple[list[Command], list[Command], list[str]]:
    """(commands to send, changes skipped for the budget, settings the backend cannot set).

    Pure: the first decision of every ``apply``. ``available`` is what the command budget
    still allows (None: no budget); when short, :func:`~optimiser.control.budget.prioritise`
    keeps the changes worth most (ties: reserve → mode → grid/export → tariff).
    """
    changes, unsupported = differences(current, target, capabilities)
    if available is None:
        return changes, [], unsupported
    kept, skipped = prioritise(changes, available, value_gbp)
    return kept, skipped, unsupported
