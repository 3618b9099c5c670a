"""A house on a stepped clock, served by the gateway emulator (and the Fleet emulator) at once.

One :class:`EmulatedSite` (the demo household's trace, one Powerwall 2 at 40 %) is served by a
real HTTPS gateway emulator on loopback; the Fleet emulator can serve the very same site. The
service under test gets a gateway client logged in as installer, a real SQLite recording store
and the bundled Flux tariff (region C); forecasts are perfect (the site's own trace), so the gap
between planned and realised cost is the control's, not the forecast's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from pydantic import SecretStr

from optimiser.config import Config
from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.forecast import PerfectForecaster
from optimiser.gateway import Gateway, GatewayApi, TlsPolicy
from optimiser.recorder import RecordingStore
from simulations.datasets import demo_trace
from simulations.emulator import EmulatedSite, GatewayEmulator
from tariffs import get_tariff

# A winter Wednesday (GMT = UTC, so the Flux windows are 02–05 and 16–19 UTC).
START = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


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
