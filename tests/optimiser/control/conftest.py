"""Fixtures: a Fleet emulator on loopback with a stepped clock, and a client for it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from optimiser.control import CommandBudget, FleetBackend, FleetClient, TokenSource
from optimiser.domain.clock import SteppedClock
from simulations.fleet_emulator import FleetEmulator, demo_site

START = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    return SteppedClock(START)


@pytest.fixture
def emulator(clock):
    with FleetEmulator(demo_site(clock), clock=clock) as emu:
        yield emu


@pytest.fixture
def token_file(tmp_path, emulator):
    path = tmp_path / "fleet-token.json"
    path.write_text(
        json.dumps(
            {"access_token": emulator.access_token, "refresh_token": emulator.refresh_token}
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def client(emulator, token_file):
    c = FleetClient(
        emulator.url,
        emulator.site_id,
        TokenSource(token_file=token_file),
        timeout=5,
        auth_url=emulator.url,
        client_id="wattplan-test",
    )
    yield c
    c.close()


@pytest.fixture
def make_backend(client, clock, tmp_path):
    def make(per_day: int = 20, safety_reserve: int = 0) -> FleetBackend:
        budget = CommandBudget(per_day, tmp_path / "budget.json", safety_reserve=safety_reserve)
        return FleetBackend(client, budget, clock=clock.now)

    return make
