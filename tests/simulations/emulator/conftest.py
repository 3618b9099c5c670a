"""Fixtures: the emulator on a stepped clock, and a plain requests session for raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from simulations.emulator import GatewayEmulator
from tests.optimiser.gateway.conftest import CUSTOMER, INSTALLER, stepped_site


@pytest.fixture
def emulator() -> Iterator[GatewayEmulator]:
    with GatewayEmulator(
        stepped_site(), customer_password=CUSTOMER, installer_password=INSTALLER
    ) as emu:
        yield emu


class Raw:
    """Raw HTTPS to the emulator, checking its certificate by the emulator's own PEM."""

    def __init__(self, emu: GatewayEmulator, tmp_path) -> None:
        ca = tmp_path / "emulator.pem"
        ca.write_bytes(emu.certificate.cert_pem)
        self.emu = emu
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = str(ca)

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.emu.url + path, timeout=5, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.session.post(self.emu.url + path, timeout=5, **kw)

    def login(self, username: str = "customer", password: str = CUSTOMER, **kw):
        return self.post(
            "/api/login/Basic", json={"username": username, "password": password, "email": ""}, **kw
        )


@pytest.fixture
def raw(emulator, tmp_path) -> Raw:
    return Raw(emulator, tmp_path)
