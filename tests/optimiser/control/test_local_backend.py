"""LocalBackend over a small in-process gateway double raising the gateway's own errors.

The double has the client's shape (``operation()``, ``set_operation(mode, raw_reserve)``) so
the backend's logic is tested in isolation; tests/optimiser/service runs it against the real
HTTPS emulator.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimiser.control import (
    Command,
    ControlNotPermitted,
    ControlUnavailable,
    LocalBackend,
)
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff
from optimiser.domain.units import app_to_raw
from optimiser.gateway import AccessDenied, GatewayUnavailable, Operation


class GatewayDouble:
    """The gateway client's control surface: raw-scale reserve, the gateway's own errors."""

    def __init__(self, role: str = "installer", ignore: bool = False) -> None:
        self.role = role
        self.mode = OperationMode.SELF_CONSUMPTION
        self.raw_reserve = app_to_raw(20.0)
        self.calls: list[tuple[OperationMode, float]] = []
        self.ignore = ignore
        self.down = False

    def operation(self) -> Operation:
        if self.down:
            raise GatewayUnavailable("connection refused")
        return Operation(real_mode=self.mode, backup_reserve_percent=self.raw_reserve)

    def set_operation(self, mode: OperationMode, backup_reserve_percent: float) -> None:
        if self.role != "installer":
            raise AccessDenied("403 User does not have adequate access rights")
        self.calls.append((mode, backup_reserve_percent))
        if not self.ignore:
            self.mode, self.raw_reserve = mode, backup_reserve_percent


SAFE = Settings(OperationMode.SELF_CONSUMPTION, 20.0)


def test_mode_and_reserve_go_in_one_installer_sequence():
    gateway = GatewayDouble()
    backend = LocalBackend(gateway)
    assert backend.read() == SAFE
    target = Settings(OperationMode.BACKUP, 60.0)
    report = backend.apply(target, reason="storm")
    assert report.ok
    assert gateway.calls == [(OperationMode.BACKUP, pytest.approx(62.0))]
    assert backend.read() == target
    assert backend.apply(target, reason="again").sent == ()
    assert len(gateway.calls) == 1


def test_customer_login_gets_the_firmware_lock_explained():
    backend = LocalBackend(GatewayDouble(role="customer"))
    with pytest.raises(ControlNotPermitted, match=r"1\.50\.1.*installer.*switch") as info:
        backend.apply(Settings(OperationMode.SELF_CONSUMPTION, 50.0), reason="hold")
    assert "control.backend: fleet" in info.value.hint
    assert isinstance(info.value.__cause__, AccessDenied)


def test_grid_charging_and_export_rule_are_unsupported_locally():
    backend = LocalBackend(GatewayDouble())
    assert not backend.capabilities.can_export
    report = backend.apply(
        Settings(
            OperationMode.SELF_CONSUMPTION, 20.0, False, ExportRule.NEVER, UploadedTariff({"t": 1})
        ),
        reason="no export",
    )
    assert report.sent == ()
    assert report.unsupported == ("grid_charging=False, export_rule=never", "tariff upload")


def test_setting_that_did_not_take_is_retried_once_and_reported():
    gateway = GatewayDouble(ignore=True)
    report = LocalBackend(gateway).apply(replace(SAFE, backup_reserve_app_percent=70), reason="x")
    assert len(gateway.calls) == 2
    assert report.not_taken == (Command.BACKUP,)


def test_lost_gateway_is_unavailable():
    gateway = GatewayDouble()
    gateway.down = True
    with pytest.raises(ControlUnavailable, match="connection refused"):
        LocalBackend(gateway).read()
