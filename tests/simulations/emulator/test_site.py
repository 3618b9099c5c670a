"""EmulatedSite over random traces, settings and outages: the model's invariants hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import ExportRule, OperationMode, Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.domain.traces import Trace
from optimiser.domain.units import app_percent_to_kwh
from simulations.emulator import EmulatedSite
from simulations.emulator.defaults import (
    default_settings,
    default_spec,
    default_state,
    uk_household_day,
)
from simulations.emulator.payloads import meters_aggregates
from simulations.emulator.site import NIGHT_SOLAR_KW

START = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
EPS = 1e-6

settings_st = st.builds(
    Settings,
    mode=st.sampled_from([OperationMode.SELF_CONSUMPTION, OperationMode.BACKUP]),
    backup_reserve_app_percent=st.floats(0, 100),
    grid_charging=st.booleans(),
    export_rule=st.sampled_from(list(ExportRule)),
)
chunk_st = st.tuples(
    st.integers(1, 5400),  # seconds to advance
    st.one_of(st.none(), settings_st),  # new settings first, or none
    st.booleans(),  # grid up during the chunk
)


@given(
    units=st.integers(1, 3),
    soe_fraction=st.floats(0, 1),
    load=st.lists(st.floats(0, 12), min_size=2, max_size=12),
    solar=st.lists(st.floats(0, 9), min_size=2, max_size=12),
    chunks=st.lists(chunk_st, min_size=1, max_size=12),
)
def test_site_invariants(units, soe_fraction, load, solar, chunks):
    n = min(len(load), len(solar))
    trace = Trace(
        epoch_s=START.timestamp() + 900.0 * np.arange(n),
        load_kw=np.array(load[:n]),
        solar_kw=np.array(solar[:n]),
        wrap=True,
    )
    spec = PowerwallSpec.powerwall2(units)
    clock = SteppedClock(START)
    site = EmulatedSite(
        spec,
        PowerwallState(soe_fraction * spec.capacity_kwh, 100.0, 90.0),
        Settings(),
        trace,
        clock,
    )
    for seconds, settings, grid_up in chunks:
        if settings is not None:
            site.apply(settings)
        if grid_up:
            site.restore_power()
        else:
            site.cut_power()
        before = site.snapshot()
        clock.advance(timedelta(seconds=seconds))
        site.advance()
        after = site.snapshot()
        s0, s1 = before.state, after.state
        charged = s1.charged_kwh - s0.charged_kwh
        discharged = s1.discharged_kwh - s0.discharged_kwh
        # Stored energy stays within the pack.
        assert -EPS <= s1.soe_kwh <= spec.capacity_kwh + EPS
        # Energy is conserved with the losses accounted for.
        expected = (
            s0.soe_kwh + charged * spec.charge_efficiency - discharged / spec.discharge_efficiency
        )
        assert s1.soe_kwh == pytest.approx(min(max(expected, 0), spec.capacity_kwh), abs=1e-6)
        # Meters balance: served load = grid + battery + solar, lifetime, and instantly.
        grid = (after.site_imported_kwh - before.site_imported_kwh) - (
            after.site_exported_kwh - before.site_exported_kwh
        )
        solar_kwh = (after.solar_exported_kwh - before.solar_exported_kwh) - (
            after.solar_imported_kwh - before.solar_imported_kwh
        )
        load_kwh = after.load_imported_kwh - before.load_imported_kwh
        assert load_kwh == pytest.approx(grid + discharged - charged + solar_kwh, abs=1e-6)
        f = after.flows
        assert f.load_kw == pytest.approx(f.grid_kw + f.battery_kw + f.solar_kw, abs=1e-9)
        # Power limits.
        assert -spec.max_charge_kw - EPS <= f.battery_kw <= spec.max_discharge_kw + EPS
        assert f.grid_kw >= -spec.export_limit_kw - EPS
        if not grid_up:
            assert f.grid_kw == 0 and not after.grid_up
            continue
        # On grid, the reserve is respected unless the battery was already below it.
        floor = app_percent_to_kwh(after.settings.backup_reserve_app_percent, spec.capacity_kwh)
        if after.settings.mode is OperationMode.BACKUP:
            floor = spec.capacity_kwh
        if s0.soe_kwh >= floor:
            assert s1.soe_kwh >= floor - EPS
        else:
            assert s1.soe_kwh >= s0.soe_kwh - EPS  # below the reserve it only charges or holds


def test_the_solar_meter_reads_its_standby_draw_at_night():
    """DOMAIN.md §1: ≈ −10 W solar at night is normal; meters still balance."""
    clock = SteppedClock(datetime(2026, 1, 10, 1, 0, tzinfo=UTC))
    spec = default_spec()
    site = EmulatedSite(spec, default_state(spec), default_settings(), uk_household_day(), clock)
    clock.advance(timedelta(hours=1))
    site.advance()
    snap = site.snapshot()
    meters = meters_aggregates(snap)
    assert meters["solar"]["instant_power"] == pytest.approx(-1000 * NIGHT_SOLAR_KW)
    assert meters["solar"]["energy_imported"] == pytest.approx(1000 * NIGHT_SOLAR_KW, rel=0.05)
    total = sum(meters[m]["instant_power"] for m in ("site", "battery", "solar"))
    assert meters["load"]["instant_power"] == pytest.approx(total)
