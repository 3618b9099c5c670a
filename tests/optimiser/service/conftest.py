"""A house on a stepped clock, served by the gateway emulator (and the Fleet emulator) at once.

One :class:`EmulatedSite` (the demo household's trace, one Powerwall 2 at 40 %) is served by a
real HTTPS gateway emulator on loopback; the Fleet emulator can serve the very same site. The
service under test gets a gateway client logged in as installer, a real SQLite recording store
and the bundled Flux tariff (region C); forecasts are perfect (the site's own trace), so the gap
between planned and realised cost is the control's, not the forecast's.

The helpers below build the service on the local backend (:func:`make_service`) or the Fleet
backend (:func:`fleet_service`). Through the Fleet API, from 12:00 UTC the plan holds (from
14:25 to 15:55 through a raised reserve; :data:`HOLDING_AT`), then exports at the end of the
Flux peak (17:55–19:00: autonomous, reserve at the floor, export battery_ok — two commands to
revert, operation and grid_import_export; :func:`run_to_export`) and charges off-peak at night
at full power (02:00–05:00 UTC; :func:`at_night`, :func:`charging`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr

from optimiser.config import Config
from optimiser.control import CommandBudget, FleetBackend, FleetClient, TokenSource
from optimiser.control.factory import backend_from_config
from optimiser.control.lease_file import load_lease
from optimiser.control.safety import Failure
from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import ExportRule, OperationMode, Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.domain.units import app_to_raw
from optimiser.forecast import PerfectForecaster
from optimiser.gateway import Gateway, GatewayApi, TlsPolicy
from optimiser.recorder import RecordingStore
from optimiser.service import Service
from simulations.datasets import demo_trace
from simulations.emulator import EmulatedSite, GatewayEmulator
from simulations.fleet_emulator import FleetEmulator
from tariffs import get_tariff

# A winter Wednesday (GMT = UTC, so the Flux windows are 02–05 and 16–19 UTC).
START = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
FLOOR_RAW = app_to_raw(20.0)  # 24 % on the gateway's scale
PER_DAY = 12  # Fleet commands a day
EXPORTING_AT = START + timedelta(hours=6, minutes=5)  # 18:05 UTC, in the Flux peak
HOLDING_AT = START + timedelta(hours=2, minutes=35)  # 14:35 UTC: reserve raised to hold


@dataclass
class House:
    clock: SteppedClock
    site: EmulatedSite
    emulator: GatewayEmulator
    gateway: Gateway
    store: RecordingStore
    tariff: object
    forecaster: PerfectForecaster
    tmp: Path

    def config(self, **control) -> Config:
        return Config(
            recorder={"interval_s": 300, "database": self.tmp / "rec.sqlite"},
            control={"backend": "local", **control},
            state_dir=self.tmp / "state",
        )


@pytest.fixture
def house(tmp_path):
    clock = SteppedClock(START)
    trace = demo_trace(START - DAY, START + 3 * DAY, step_minutes=5)
    spec = PowerwallSpec.powerwall2(1)
    site = EmulatedSite(
        spec,
        PowerwallState(soe_kwh=0.4 * spec.capacity_kwh),
        Settings(backup_reserve_app_percent=20.0),
        trace,
        clock,
    )
    emulator = GatewayEmulator(site).start()
    api = GatewayApi(
        "127.0.0.1",
        emulator.port,
        policy=TlsPolicy("127.0.0.1", fingerprint=emulator.fingerprint_sha256),
        password=SecretStr(emulator.installer_password),
        username="installer",
        timeout_s=5.0,
    )
    gateway = Gateway(api)
    store = RecordingStore(tmp_path / "rec.sqlite")
    try:
        yield House(
            clock,
            site,
            emulator,
            gateway,
            store,
            get_tariff("flux", "C"),
            PerfectForecaster(trace),
            tmp_path,
        )
    finally:
        store.close()
        gateway.close()
        emulator.stop()


def slot_prices(tariff, start: datetime, end: datetime):
    """(slot starts, import and export price per half hour) over [start, end). [p/kWh]"""
    from optimiser.domain.slots import SlotGrid

    grid = SlotGrid.covering(start, end, 30)
    prices = tariff.prices(grid)
    return grid, np.asarray(prices.import_price), np.asarray(prices.export_price)


def realised_cost_gbp(store: RecordingStore, tariff, start: datetime, end: datetime) -> float:
    """Cost from the recorded lifetime site meters × each half hour's prices. [£]"""
    grid, buy, sell = slot_prices(tariff, start, end)
    samples = {s.time: s for s in store.samples(start, end + timedelta(seconds=1))}
    total = 0.0
    for i, t0 in enumerate(grid.starts):
        a, b = samples[t0], samples[t0 + timedelta(minutes=30)]
        imported = b.site_imported_kwh - a.site_imported_kwh
        exported = b.site_exported_kwh - a.site_exported_kwh
        total += (imported * buy[i] - exported * sell[i]) / 100.0
    return total


def planned_cost_gbp(plan, start: datetime, end: datetime) -> float:
    """The plan's cost over [start, end) from its own per-slot flows and prices. [£]"""
    idx = [i for i, t in enumerate(plan.grid.starts) if start <= t < end]
    buy, sell = np.asarray(plan.import_price), np.asarray(plan.export_price)
    imp, exp = np.asarray(plan.import_kwh), np.asarray(plan.export_kwh)
    return float(sum(imp[i] * buy[i] - exp[i] * sell[i] for i in idx) / 100.0)


def fleet_token(tmp: Path, emulator) -> Path:
    path = tmp / "fleet-token.json"
    path.write_text(
        json.dumps({"access_token": emulator.access_token, "refresh_token": emulator.refresh_token})
    )
    return path


@pytest.fixture
def fleet(house):
    with FleetEmulator(house.site, clock=house.clock, commands_per_day=PER_DAY) as emulator:
        yield emulator


def make_service(house, **control):
    config = house.config(**control)
    backend = backend_from_config(
        config, gateway=house.gateway, state_dir=house.tmp / "state", clock=house.clock.now
    )
    return Service(
        config,
        gateway=house.gateway,
        backend=backend,
        clock=house.clock,
        tariff=house.tariff,
        store=house.store,
        forecaster=house.forecaster,
        state_dir=house.tmp / "state",
        keep_plans=200,
    )


def fleet_service(house, fleet, per_day: int = PER_DAY, **control) -> Service:
    config = house.config(backend="fleet", commands_per_day=per_day, safety_commands=3, **control)
    client = FleetClient(
        fleet.url, fleet.site_id, TokenSource(token_file=fleet_token(house.tmp, fleet)), 5
    )
    budget = CommandBudget(per_day, house.tmp / "state" / "command-budget.json", safety_reserve=3)
    backend = FleetBackend(client, budget, clock=house.clock.now)
    return Service(
        config,
        gateway=house.gateway,
        backend=backend,
        clock=house.clock,
        tariff=house.tariff,
        store=house.store,
        forecaster=house.forecaster,
        state_dir=house.tmp / "state",
        keep_plans=200,
    )


def at_night(house, hour: int, minute: int = 0) -> None:
    """Move the clock (from 12:00) to ``hour:minute`` UTC the next night."""
    house.clock.advance(timedelta(hours=12 + hour, minutes=minute))


def charging(house) -> bool:
    return house.site.settings.backup_reserve_raw_percent > FLOOR_RAW + 5


def safe(house) -> bool:
    s = house.site.settings
    return (
        s.mode is OperationMode.SELF_CONSUMPTION
        and s.backup_reserve_raw_percent == pytest.approx(FLOOR_RAW, abs=0.01)
    )


def exporting(house) -> bool:
    s = house.site.settings
    return s.mode is OperationMode.AUTONOMOUS and s.export_rule is ExportRule.BATTERY_OK


def run_to_export(house, fleet, **kwargs):
    """A Fleet service run to 16:35 UTC, exporting under a lease that lapses at 17:30."""
    service = fleet_service(house, fleet, **kwargs)
    service.stop_retry_window_s = 0.3  # keep the stop's retries quick in tests
    service.run(until=EXPORTING_AT)
    assert exporting(house)
    lease = load_lease(house.tmp / "state")
    assert lease is not None and lease.expires_at == START.replace(hour=19, minute=0)
    return service


def leave_only(service, commands: int) -> None:
    """Spend today's Fleet budget down to ``commands`` left (safety reserve included)."""
    budget = service.backend.budget
    now = service.clock.now()
    budget.restore(replace(budget.counted(), day=now.date(), used=budget.per_day - commands))


def lost_gateway_decisions(service):
    return [d for d in service.decisions if d.applied and d.applied.failure is Failure.GATEWAY_LOST]
