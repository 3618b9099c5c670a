"""Fixtures: the Fleet emulator on a stepped clock over a flat 0.5 kW, sunless house."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
import requests

from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.domain.traces import Trace
from simulations.emulator import EmulatedSite
from simulations.fleet_emulator import FleetEmulator

START = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)  # GMT: London time = UTC


def flat_site(clock: SteppedClock) -> EmulatedSite:
    epoch = np.array([START.timestamp(), START.timestamp() + 3600.0])
    trace = Trace(epoch, np.array([0.5, 0.5]), np.array([0.0, 0.0]), wrap=True)
    return EmulatedSite(
        PowerwallSpec.powerwall2(1),
        PowerwallState(soe_kwh=6.75),
        Settings(backup_reserve_app_percent=20.0),
        trace,
        clock,
    )


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock(START)


@pytest.fixture
def emulator(clock) -> Iterator[FleetEmulator]:
    with FleetEmulator(flat_site(clock), clock=clock, commands_per_day=6) as emu:
        yield emu


def call(emu: FleetEmulator, method: str, endpoint: str, body=None, token=None):
    """One energy-site request with the emulator's current access token (or ``token``)."""
    token = emu.access_token if token is None else token
    return requests.request(
        method,
        f"{emu.url}/api/1/energy_sites/{emu.site_id}/{endpoint}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def refresh(emu: FleetEmulator, refresh_token: str) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return requests.post(f"{emu.url}/oauth2/v3/token", data=form, timeout=5)
