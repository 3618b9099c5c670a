"""Fixtures: a real HTTPS gateway emulator on loopback and clients pinned to it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from optimiser.domain.clock import SteppedClock
from optimiser.gateway import Gateway, GatewayApi, TlsPolicy
from simulations.emulator import EmulatedSite, GatewayEmulator, uk_household_day
from simulations.emulator.defaults import default_settings, default_spec, default_state

CUSTOMER = "ABCDE"
INSTALLER = "installer-pass"
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


class FakeMonotonic:
    """A monotonic clock the test moves by hand (for cool-downs)."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def stepped_site(start: datetime = NOON) -> EmulatedSite:
    spec = default_spec()
    return EmulatedSite(
        spec, default_state(spec), default_settings(), uk_household_day(), SteppedClock(start)
    )


@pytest.fixture
def emulator() -> Iterator[GatewayEmulator]:
    with GatewayEmulator(
        stepped_site(), customer_password=CUSTOMER, installer_password=INSTALLER
    ) as emu:
        yield emu


def make_api(
    emu: GatewayEmulator,
    *,
    password: str = CUSTOMER,
    username: str = "customer",
    host: str = "127.0.0.1",
    timeout_s: float = 2.0,
    max_login_attempts: int = 3,
    monotonic=None,
) -> GatewayApi:
    extra = {"monotonic": monotonic} if monotonic is not None else {}
    return GatewayApi(
        host,
        emu.port,
        policy=TlsPolicy(
            "127.0.0.1" if host == "127.0.0.1" else "powerwall",
            fingerprint=emu.fingerprint_sha256,
        ),
        password=SecretStr(password),
        username=username,
        timeout_s=timeout_s,
        max_login_attempts=max_login_attempts,
        rate_limit_cooldown_s=300.0,
        **extra,
    )


@pytest.fixture
def gateway(emulator: GatewayEmulator) -> Iterator[Gateway]:
    with Gateway(make_api(emulator)) as gw:
        yield gw
