"""Plan → spans → settings → Fleet backend → the emulated Powerwall follows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from optimiser.control import (
    Capabilities,
    CommandBudget,
    ControlPolicy,
    FleetBackend,
    FleetClient,
    TokenSource,
    settings_for,
    spans_from_plan,
)
from optimiser.domain.actions import Action
from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import Settings, UploadedTariff
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.domain.traces import Trace
from simulations.emulator import EmulatedSite
from simulations.fleet_emulator import FleetEmulator
from tests.optimiser.control.plans import make_plan
from tests.optimiser.control.tariff_fixture import flux_like_content

START = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)  # GMT; the Flux peak is 16:00–19:00
SLOT = timedelta(minutes=30)


def test_the_emulated_powerwall_follows_charge_hold_export(tmp_path):
    clock = SteppedClock(START)
    epoch = np.array([START.timestamp(), START.timestamp() + 3600])
    trace = Trace(epoch, np.array([0.5, 0.5]), np.zeros(2), wrap=True)
    site = EmulatedSite(
        PowerwallSpec.powerwall2(1),
        PowerwallState(soe_kwh=6.75),
        Settings(backup_reserve_app_percent=20.0),
        trace,
        clock,
    )
    rows = np.array(
        [  # cfg, charge, discharge, export, import, soe_end
            (0.9, 0.9, 0, 0, 1.15, 7.6),
            (0.9, 0.9, 0, 0, 1.15, 8.4),
            (0, 0, 0, 0, 0.25, 8.4),
            (0, 0, 0, 0, 0.25, 8.4),
            (0, 0, 1.9, 1.65, 0, 6.4),
            (0, 0, 1.9, 1.65, 0, 4.5),
        ]
    )
    plan = make_plan(rows, start=START, initial_soe_kwh=6.75)
    spans = spans_from_plan(plan, capacity_kwh=13.5)
    assert [s.action for s in spans] == [Action.CHARGE_FROM_GRID, Action.HOLD, Action.EXPORT]
    policy = ControlPolicy(reserve_floor_app_percent=20)
    with FleetEmulator(site, clock=clock, commands_per_day=20) as emu:
        token = tmp_path / "t.json"
        token.write_text(json.dumps({"access_token": emu.access_token}))
        client = FleetClient(emu.url, emu.site_id, TokenSource(token_file=token), 5)
        backend = FleetBackend(client, CommandBudget(20, tmp_path / "b.json"), clock=clock.now)
        soe_after = []
        for span in spans:
            wanted = settings_for(
                span,
                soe_now_kwh=site.state.soe_kwh,
                policy=policy,
                capabilities=Capabilities.fleet(),
                uploaded=UploadedTariff(flux_like_content()),
            )
            assert backend.apply(wanted, reason=span.action.value).ok
            clock.advance(span.end - span.start)
            site.advance()
            soe_after.append(site.state.soe_kwh)
        client.close()
    charged, held, exported = soe_after
    assert charged == pytest.approx(6.75 + 1.8 * np.sqrt(0.9), abs=0.01)  # slow reserve rate
    assert charged <= 8.4 + 0.15  # the reserve (rounded up to 1 %) caps it near the target
    assert held == pytest.approx(charged, abs=0.05)
    assert exported == pytest.approx(4.5, abs=0.15)  # stops at the target reserve
    assert emu.post_count() <= 8
