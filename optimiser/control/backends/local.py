"""The local backend: the gateway's legacy installer sequence (mode and reserve only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from optimiser.control.backends.verifying import VerifyingBackend
from optimiser.control.budget import CommandBudget
from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import Command
from optimiser.control.errors import (
    ControlError,
    ControlNotPermitted,
    ControlUnavailable,
)
from optimiser.domain.device import OperationMode, Settings
from optimiser.domain.units import raw_to_app
from optimiser.gateway.errors import AccessDenied, GatewayUnavailable, RateLimited
from optimiser.gateway.models import Operation

T = TypeVar("T")

FIRMWARE_LOCK_MESSAGE = (
    "the gateway refused to change settings (access denied): since firmware 1.50.1 (Oct 2020) "
    "local control needs the installer login and a toggle of the physical switch on the "
    "gateway, and a customer login is always refused"
)
FIRMWARE_LOCK_HINT = (
    "set control.backend: fleet to control the Powerwall through Tesla's Fleet API "
    "(or control.backend: dry-run to only see what wattplan would do)"
)


class OperationGateway(Protocol):
    """What the local backend needs of :class:`optimiser.gateway.Gateway`."""

    def operation(self) -> Operation: ...

    def set_operation(self, mode: OperationMode, backup_reserve_percent: float) -> object: ...


class LocalBackend(VerifyingBackend):
    """The gateway's legacy installer sequence: mode and reserve only.

    ``gateway.operation()`` reads the mode and the raw-scale reserve;
    ``gateway.set_operation(mode, backup_reserve_percent)`` runs the installer sequence and
    raises :class:`~optimiser.gateway.errors.AccessDenied` for a customer login (turned into
    :class:`ControlNotPermitted`). Grid charging, export rule and tariff cannot be set locally
    (reported as unsupported).
    """

    def __init__(
        self,
        gateway: OperationGateway,
        *,
        units: int = 1,
        settle_minutes: float = 5.0,
        budget: CommandBudget | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(Capabilities.local(units, settle_minutes=settle_minutes), budget, clock)
        self.gateway = gateway

    def read(self) -> Settings:
        op = self._call(self.gateway.operation)
        return Settings(op.real_mode, round(raw_to_app(op.backup_reserve_percent), 3))

    def _send(
        self, commands: Sequence[Command], target: Settings, safety: bool, sent: list[Command]
    ) -> None:
        if not commands:
            return
        self._spend(commands[:1], safety)  # one installer sequence sets both
        sent.extend(commands)
        self._call(
            lambda: self.gateway.set_operation(target.mode, target.backup_reserve_raw_percent)
        )

    def _call(self, func: Callable[[], T]) -> T:
        """``func()``, with the gateway's errors turned into control errors."""
        try:
            return func()
        except ControlError:
            raise
        except AccessDenied as exc:
            raise ControlNotPermitted(FIRMWARE_LOCK_MESSAGE, hint=FIRMWARE_LOCK_HINT) from exc
        except (GatewayUnavailable, RateLimited) as exc:
            raise ControlUnavailable(f"gateway unavailable: {exc}") from exc
