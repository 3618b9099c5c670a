"""Backends that apply :class:`DeviceSettings` to a Powerwall, behind one protocol.

``apply(target, reason=…)`` is the same everywhere:

1. read the device's settings back;
2. work out which commands would change something (only those are sent; the local backend
   folds mode and reserve into its one installer call);
3. when a :class:`CommandBudget` is short, keep the changes worth most (``value_gbp``) and
   report the rest as ``skipped``; the budget is never exceeded;
4. send, read back, resend once what did not take, read back again;
5. return an :class:`ApplyReport` naming what was sent, what did not take, what was skipped and
   what the backend cannot do at all (``unsupported``).

Temporary failures while sending (rate limit, network) stop the sending and are reported in
``errors``; authentication, permission and protocol errors propagate (stop and tell).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from optimiser.control.budget import CommandBudget, prioritise
from optimiser.control.errors import (
    ControlError,
    ControlNotPermitted,
    ControlProtocolError,
    ControlUnavailable,
    FleetProtocolError,
    FleetRateLimited,
)
from optimiser.control.fleet import FleetClient
from optimiser.control.translate import Capabilities, DeviceSettings
from optimiser.domain.device import ExportRule, OperationMode
from optimiser.domain.units import app_to_raw, raw_to_app

log = logging.getLogger(__name__)

RESERVE_TOLERANCE_APP_PERCENT = 0.5


class Command(StrEnum):
    """One settings command (one Fleet API POST)."""

    BACKUP = "backup"
    OPERATION = "operation"
    GRID_IMPORT_EXPORT = "grid_import_export"
    TARIFF = "time_of_use_settings"


@dataclass(frozen=True)
class ApplyReport:
    """What an ``apply`` did.

    Attributes
    ----------
    reason : str
        Why the settings were applied (logged).
    target : DeviceSettings
        What was asked for.
    before, after : DeviceSettings or None
        Read back before sending and after the last attempt (None if unreadable).
    sent : tuple of Command
        Every command sent, retries included, in order.
    not_taken : tuple of Command
        Commands whose setting still differs after the retry.
    skipped : tuple of Command
        Changes not sent because the command budget was short.
    unsupported : tuple of str
        Requested settings this backend cannot change.
    errors : tuple of str
        Temporary failures that stopped the sending.
    dry_run : bool
        Nothing was sent (``sent`` lists what would have been).
    """

    reason: str
    target: DeviceSettings
    before: DeviceSettings | None
    after: DeviceSettings | None
    sent: tuple[Command, ...] = ()
    not_taken: tuple[Command, ...] = ()
    skipped: tuple[Command, ...] = ()
    unsupported: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    dry_run: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Every wanted change is in place."""
        return not (self.not_taken or self.skipped or self.errors)

    def describe(self) -> str:
        """One line for logs."""
        parts = [f"{self.reason}: {self.target.describe()}"]
        verb = "would send" if self.dry_run else "sent"
        parts.append(f"{verb} {', '.join(self.sent) if self.sent else 'nothing'}")
        for label, values in (
            ("did not take", self.not_taken),
            ("skipped (budget)", self.skipped),
            ("unsupported", self.unsupported),
            ("errors", self.errors),
        ):
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        return "; ".join(parts)


class Backend(Protocol):
    """Anything that can read and apply Powerwall settings."""

    @property
    def capabilities(self) -> Capabilities: ...

    def read(self) -> DeviceSettings: ...

    def apply(
        self,
        target: DeviceSettings,
        *,
        reason: str,
        value_gbp: Mapping[Command, float] | None = None,
        safety: bool = False,
    ) -> ApplyReport: ...


def differences(
    current: DeviceSettings, target: DeviceSettings, capabilities: Capabilities
) -> tuple[list[Command], list[str]]:
    """(commands that would change something, requested settings the backend cannot set).

    A ``tariff_content`` of None in ``target`` means "leave the uploaded tariff alone".
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
    if target.tariff_content is not None and current.tariff_content != target.tariff_content:
        if capabilities.can_upload_tariff:
            changes.append(Command.TARIFF)
        else:
            unsupported.append("tariff upload")
    return changes, [str(u) for u in unsupported]


def select_commands(
    current: DeviceSettings,
    target: DeviceSettings,
    capabilities: Capabilities,
    available: int | None,
    value_gbp: Mapping[Command, float] | None = None,
) -> tuple[list[Command], list[Command], list[str]]:
    """(commands to send, changes skipped for the budget, settings the backend cannot set).

    Pure: the first decision of every ``apply``. ``available`` is what the command budget
    still allows (None: no budget); when short, :func:`prioritise` keeps the changes worth
    most (ties: reserve → mode → grid/export → tariff).
    """
    changes, unsupported = differences(current, target, capabilities)
    if available is None:
        return changes, [], unsupported
    kept, skipped = prioritise(changes, available, value_gbp)
    return kept, skipped, unsupported


class _VerifyingBackend:
    """The shared apply algorithm; subclasses read and send."""

    _capabilities: Capabilities
    budget: CommandBudget | None = None
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def read(self) -> DeviceSettings:  # pragma: no cover - abstract
        raise NotImplementedError

    def _send(
        self, commands: Sequence[Command], target: DeviceSettings, safety: bool, sent: list
    ) -> None:
        """Send ``commands``, appending each to ``sent`` as it goes out."""
        raise NotImplementedError  # pragma: no cover - abstract

    def _spend(self, commands: Sequence[Command], safety: bool) -> None:
        if self.budget is not None:
            for _ in commands:
                self.budget.spend(self.clock(), safety=safety)

    def _available(self, safety: bool) -> int | None:
        if self.budget is None:
            return None
        return self.budget.remaining(self.clock(), safety=safety)

    def apply(
        self,
        target: DeviceSettings,
        *,
        reason: str,
        value_gbp: Mapping[Command, float] | None = None,
        safety: bool = False,
    ) -> ApplyReport:
        before = self.read()
        kept, skipped, unsupported = select_commands(
            before, target, self.capabilities, self._available(safety), value_gbp
        )
        sent: list[Command] = []
        errors: list[str] = []
        after: DeviceSettings | None = before
        pending = kept
        for attempt in range(2):
            if not pending:
                break
            if attempt == 1:
                available = self._available(safety)
                if available is not None and available < len(pending):
                    pending, extra = prioritise(pending, available, value_gbp)
                    skipped.extend(extra)
                    if not pending:
                        break
            try:
                self._send(pending, target, safety, sent)
            except (FleetRateLimited, ControlUnavailable) as exc:
                errors.append(str(exc))
                log.warning("apply stopped: %s", exc)
            try:
                after = self.read()
            except (FleetRateLimited, ControlUnavailable) as exc:
                errors.append(f"read-back failed: {exc}")
                after = None
                break
            if errors:
                break
            still, _ = differences(after, target, self.capabilities)
            pending = [c for c in still if c in kept]
        not_taken: tuple[Command, ...] = ()
        if after is not None:
            still, _ = differences(after, target, self.capabilities)
            not_taken = tuple(c for c in still if c in kept)
        report = ApplyReport(
            reason=reason,
            target=target,
            before=before,
            after=after,
            sent=tuple(sent),
            not_taken=not_taken,
            skipped=tuple(skipped),
            unsupported=tuple(unsupported),
            errors=tuple(errors),
            notes=target.notes,
        )
        log.info("%s", report.describe())
        return report


# -- dry run ------------------------------------------------------------------------------
class DryRunBackend:
    """Says what it would send and sends nothing.

    Parameters
    ----------
    source : Backend, optional
        Read the real device's settings from here (reads only); without it, the dry run keeps
        a notional device that starts at ``initial`` and takes every "sent" change.
    capabilities : Capabilities, optional
        Whose capabilities to pretend (default: the source's, else Fleet's).
    """

    def __init__(
        self,
        source: Backend | None = None,
        *,
        initial: DeviceSettings | None = None,
        capabilities: Capabilities | None = None,
    ) -> None:
        self.source = source
        self._state = initial or DeviceSettings()
        if capabilities is None:
            capabilities = source.capabilities if source is not None else Capabilities.fleet()
        self._capabilities = replace(capabilities, name=f"dry-run({capabilities.name})")
        self.log: list[ApplyReport] = []

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def read(self) -> DeviceSettings:
        return self.source.read() if self.source is not None else self._state

    def apply(
        self,
        target: DeviceSettings,
        *,
        reason: str,
        value_gbp: Mapping[Command, float] | None = None,
        safety: bool = False,
    ) -> ApplyReport:
        before = self.read()
        changes, unsupported = differences(before, target, self.capabilities)
        if self.source is None:
            self._state = target
        report = ApplyReport(
            reason=reason,
            target=target,
            before=before,
            after=before,
            sent=tuple(changes),
            unsupported=tuple(unsupported),
            dry_run=True,
            notes=target.notes,
        )
        self.log.append(report)
        log.info("dry run: %s", report.describe())
        return report


# -- local gateway ------------------------------------------------------------------------
FIRMWARE_LOCK_MESSAGE = (
    "the gateway refused to change settings (access denied): since firmware 1.50.1 (Oct 2020) "
    "local control needs the installer login and a toggle of the physical switch on the "
    "gateway, and a customer login is always refused"
)
FIRMWARE_LOCK_HINT = (
    "set control.backend: fleet to control the Powerwall through Tesla's Fleet API "
    "(or control.backend: dry-run to only see what wattplan would do)"
)


class LocalBackend(_VerifyingBackend):
    """The gateway's legacy installer sequence: mode and reserve only.

    ``gateway`` is duck-typed: ``.operation()`` returns an object (or dict) with the mode
    (``mode`` or ``real_mode``) and the raw-scale ``backup_reserve_percent``;
    ``.set_operation(mode, backup_reserve_percent)`` runs the installer sequence and raises an
    ``AccessDenied`` error for a customer login (turned into :class:`ControlNotPermitted`).
    Grid charging, export rule and tariff cannot be set locally (reported as unsupported).
    """

    def __init__(
        self,
        gateway: Any,
        *,
        units: int = 1,
        settle_minutes: float = 5.0,
        budget: CommandBudget | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.gateway = gateway
        self._capabilities = Capabilities.local(units, settle_minutes=settle_minutes)
        self.budget = budget
        if clock is not None:
            self.clock = clock

    def read(self) -> DeviceSettings:
        op = self._call(self.gateway.operation)
        get = op.get if isinstance(op, Mapping) else lambda k, d=None: getattr(op, k, d)
        mode = get("mode", None) or get("real_mode", None)
        reserve = get("backup_reserve_percent", None)
        if mode is None or reserve is None:
            raise ControlProtocolError(
                f"gateway operation: expected mode and backup_reserve_percent, got {op!r}"
            )
        return DeviceSettings(OperationMode(str(mode)), round(raw_to_app(float(reserve)), 3))

    def _send(
        self, commands: Sequence[Command], target: DeviceSettings, safety: bool, sent: list
    ) -> None:
        if not commands:
            return
        self._spend(commands[:1], safety)  # one installer sequence sets both
        sent.extend(commands)
        self._call(
            self.gateway.set_operation, target.mode, app_to_raw(target.backup_reserve_app_percent)
        )

    def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        # Imported here: optimiser.gateway imports the config, whose defaults import control.
        from optimiser.gateway.errors import AccessDenied, GatewayUnavailable, RateLimited

        try:
            return func(*args)
        except ControlError:
            raise
        except AccessDenied as exc:
            raise ControlNotPermitted(FIRMWARE_LOCK_MESSAGE, hint=FIRMWARE_LOCK_HINT) from exc
        except (GatewayUnavailable, RateLimited) as exc:
            raise ControlUnavailable(f"gateway unavailable: {exc}") from exc


# -- Fleet API ----------------------------------------------------------------------------
class FleetBackend(_VerifyingBackend):
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
        self.client = client
        self.budget = budget
        self._capabilities = Capabilities.fleet(
            units, settle_minutes=settle_minutes, commands_per_day=budget.per_day
        )
        if clock is not None:
            self.clock = clock

    def read(self) -> DeviceSettings:
        info = self.client.get_site_info()
        return settings_from_site_info(info)

    def _send(
        self, commands: Sequence[Command], target: DeviceSettings, safety: bool, sent: list
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
            elif command is Command.TARIFF and target.tariff_content is not None:
                self.client.post_time_of_use_settings(target.tariff_content)


# -- in memory ----------------------------------------------------------------------------
class MemoryBackend(_VerifyingBackend):
    """A simulated device held in memory, with the Fleet API's commands and a command budget.

    The replay's backend: the same ``apply`` algorithm as the real backends (only what differs
    is sent, the budget is never exceeded, short changes are ``skipped``), on a device that
    takes each command at once. ``now`` is the clock (set it before each ``apply``).
    """

    def __init__(
        self,
        capabilities: Capabilities,
        *,
        initial: DeviceSettings | None = None,
        budget: CommandBudget | None = None,
        now: datetime | None = None,
    ) -> None:
        self._capabilities = capabilities
        self.device = initial or DeviceSettings()
        self.budget = budget
        self.now = now or datetime.now(UTC)
        self.clock = lambda: self.now

    def read(self) -> DeviceSettings:
        return self.device

    def _send(
        self, commands: Sequence[Command], target: DeviceSettings, safety: bool, sent: list
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
            elif command is Command.TARIFF and target.tariff_content is not None:
                device = replace(device, tariff_content=target.tariff_content)
            self.device = replace(device, notes=())


def settings_from_site_info(info: Mapping[str, Any]) -> DeviceSettings:
    """Parse ``site_info`` (the ``response`` object) into :class:`DeviceSettings`."""
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
    return DeviceSettings(
        mode,
        min(max(reserve, 0.0), 100.0),
        grid_charging=not disallow,
        export_rule=rule,
        tariff_content=info.get("tariff_content_v2"),
    )
