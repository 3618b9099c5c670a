"""The service under the documented Fleet limits (5 writes a day, 1 tariff change a month),
against the Fleet emulator enforcing them (429 past them): the scarce policy never meets a 429
across a month's end, and a forced 429 leaves it safe.

Hourly slots and hourly polls keep a week of service time to a few hundred plans.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http import HTTPMethod

import pytest
from pydantic import SecretStr

from optimiser.config import DOCUMENTED_LIMITS, Config
from optimiser.control import CommandBudget, FleetBackend, FleetClient, TokenSource
from optimiser.control.scarce import ControlStyle, control_style, in_scarce_family
from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.forecast import PerfectForecaster
from optimiser.gateway import Gateway, GatewayApi, TlsPolicy
from optimiser.recorder import RecordingStore
from optimiser.service import Service
from simulations.datasets import demo_trace
from simulations.emulator import EmulatedSite, GatewayEmulator
from simulations.fleet_emulator import FleetEmulator
from simulations.fleet_emulator.api import FleetEndpoint
from tariffs import get_tariff
from tests.optimiser.service.conftest import fleet_token

START = datetime(2025, 1, 29, 12, 0, tzinfo=UTC)  # the month's end is 2½ days ahead
DAY = timedelta(days=1)
DAYS = 6


@pytest.fixture
def scarce(tmp_path):
    """(service, fleet emulator, emulated site) on documented limits at both ends."""
    clock = SteppedClock(START)
    trace = demo_trace(START - DAY, START + (DAYS + 2) * DAY, step_minutes=5)
    spec = PowerwallSpec.powerwall2(1)
    site = EmulatedSite(
        spec,
        PowerwallState(soe_kwh=0.4 * spec.capacity_kwh),
        Settings(backup_reserve_app_percent=20.0),
        trace,
        clock,
    )
    gateway_emulator = GatewayEmulator(site).start()
    api = GatewayApi(
        "127.0.0.1",
        gateway_emulator.port,
        policy=TlsPolicy("127.0.0.1", fingerprint=gateway_emulator.fingerprint_sha256),
        password=SecretStr(gateway_emulator.installer_password),
        username="installer",
        timeout_s=5.0,
    )
    gateway = Gateway(api)
    store = RecordingStore(tmp_path / "rec.sqlite")
    fleet = FleetEmulator(site, clock=clock).start()
    fleet.quota.enforce(DOCUMENTED_LIMITS)
    config = Config(
        recorder={"interval_s": 3600, "database": tmp_path / "rec.sqlite"},
        planner={"slot_minutes": 60},
        control={"backend": "fleet", "limits": "documented", "fleet": {"site_id": "1"}},
        state_dir=tmp_path / "state",
    )
    client = FleetClient(
        fleet.url, fleet.site_id, TokenSource(token_file=fleet_token(tmp_path, fleet)), 5
    )
    limits = config.control.fleet_limits
    budget = CommandBudget(
        limits.writes_per_day,
        tmp_path / "state" / "command-budget.json",
        safety_reserve=config.control.safety_commands,
        tariff_per_month=limits.tariff_changes_per_month,
    )
    backend = FleetBackend(client, budget, clock=clock.now)
    service = Service(
        config,
        gateway=gateway,
        backend=backend,
        clock=clock,
        tariff=get_tariff("flux", "C"),
        store=store,
        forecaster=PerfectForecaster(trace),
        state_dir=tmp_path / "state",
        keep_plans=5,
    )
    service.stop_retry_window_s = 0.3
    try:
        yield service, fleet, site
    finally:
        fleet.stop()
        store.close()
        gateway.close()
        gateway_emulator.stop()


def _statuses(fleet, status: int) -> list[tuple[HTTPMethod, str, int]]:
    return [r for r in fleet.requests if r[2] == status]


def test_documented_limits_never_meet_a_429_across_a_months_end(scarce):
    service, fleet, _ = scarce
    assert control_style(service.config, service.backend.capabilities) is ControlStyle.SCARCE
    service.run(until=START + DAYS * DAY)
    assert not _statuses(fleet, 429)
    by_day = fleet.commands_by_day()
    assert by_day and max(by_day.values()) <= 5
    tariffs = [r for r in fleet.requests if r[1] == FleetEndpoint.TIME_OF_USE_SETTINGS]
    assert 1 <= len(tariffs) <= 2  # at most one a month, January's and maybe February's
    assert in_scarce_family(service.backend.read())  # time-based control does the work
    assert sum(by_day.values()) < 5 * DAYS  # and the daily writes are spent sparingly


def test_a_forced_429_is_survived_safely(scarce):
    """Every write answers 429 for a day: the service keeps deciding, sends each write at most
    once a decision, never passes the daily limit, and is back in time-based control after."""
    service, fleet, _ = scarce
    service.run(until=START + 2 * DAY)
    for endpoint in (
        FleetEndpoint.BACKUP,
        FleetEndpoint.OPERATION,
        FleetEndpoint.GRID_IMPORT_EXPORT,
        FleetEndpoint.TIME_OF_USE_SETTINGS,
    ):
        fleet.faults.answer[endpoint] = 429
    decisions = len(service.decisions)
    service.run(until=START + 3 * DAY)
    refused = _statuses(fleet, 429)
    assert refused, "the day must have wanted a write"
    assert len(refused) <= len(service.decisions) - decisions  # no retry storm
    fleet.faults.answer.clear()
    service.run(until=START + 5 * DAY)
    assert max(fleet.commands_by_day().values()) <= 5
    assert in_scarce_family(service.backend.read())
