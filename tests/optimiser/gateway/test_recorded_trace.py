"""The emulator driven by a recorded-data CSV: the gateway reports the recording's load/solar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from optimiser.domain.clock import SteppedClock
from optimiser.gateway import Gateway
from optimiser.recorder import read_recording
from simulations.datasets import demo_trace, write_recorded_csv
from simulations.emulator import EmulatedSite, GatewayEmulator
from simulations.emulator.defaults import default_settings, default_spec, default_state
from tests.optimiser.gateway.conftest import CUSTOMER, make_api


def test_recorded_csv_drives_the_emulated_house(tmp_path):
    start = datetime(2025, 3, 29, tzinfo=UTC)  # spans the spring clock change
    csv = tmp_path / "recorded.csv"
    write_recorded_csv(demo_trace(start, start + timedelta(days=2)), csv)
    trace = read_recording(csv).to_trace()
    clock = SteppedClock(trace.start + timedelta(hours=36, minutes=2))
    spec = default_spec()
    site = EmulatedSite(spec, default_state(spec), default_settings(), trace, clock)
    with GatewayEmulator(site, customer_password=CUSTOMER) as emu, Gateway(make_api(emu)) as gw:
        state = gw.site_state()
    load, solar = trace.at(clock.now())
    assert state.load_kw == pytest.approx(load, abs=0.01)
    assert state.solar_kw == pytest.approx(solar, abs=0.01)
    assert state.load_kw == pytest.approx(state.site_kw + state.battery_kw + state.solar_kw, 1e-3)
