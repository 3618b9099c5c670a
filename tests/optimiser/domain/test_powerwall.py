"""The Powerwall model: behaviour by mode, and invariants over random traces and settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.domain.device import (
    ExportRule,
    OperationMode,
    Settings,
    TouPeriod,
    TouSchedule,
    UploadedTariff,
)
from optimiser.domain.powerwall import (
    PowerwallSpec,
    PowerwallState,
    reserve_kwh,
    step,
    step_through,
)
from optimiser.domain.units import app_percent_to_kwh, raw_to_app

SPEC = PowerwallSpec.powerwall2()
FLUX_TOU = TouSchedule(
    (
        TouPeriod("off_peak", 2 * 60, 5 * 60, 20.23, 8.0),
        TouPeriod("day", 5 * 60, 16 * 60, 33.73, 22.0),
        TouPeriod("peak", 16 * 60, 19 * 60, 47.22, 36.0),
        TouPeriod("evening", 19 * 60, 2 * 60, 33.73, 22.0),
    )
)
WINTER_3AM = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)
WINTER_5PM = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)


def run(settings: Settings, soe: float, load: float, solar: float, **kw):
    return step(SPEC, PowerwallState(soe), settings, load_kw=load, solar_kw=solar, dt_h=0.5, **kw)


def test_self_consumption_covers_load_from_battery():
    state, flows = run(Settings(), 6.0, 1.2, 0.0)
    assert flows.battery_kw == pytest.approx(1.2)
    assert flows.grid_kw == pytest.approx(0.0)
    assert state.soe_kwh == pytest.approx(6.0 - 0.6 / SPEC.discharge_efficiency)


def test_self_consumption_stops_at_reserve():
    # reserve 40% of 13.5 = 5.4 kWh; 5.5 stored leaves 0.1 kWh to give.
    state, flows = run(Settings(backup_reserve_app_percent=raw_to_app(40)), 5.5, 2.0, 0.0)
    assert state.soe_kwh == pytest.approx(5.4)
    assert flows.grid_kw > 0


def test_raised_reserve_charges_slowly_from_grid():
    _, flows = run(Settings(backup_reserve_app_percent=100), 5.0, 0.5, 0.0)
    assert flows.battery_kw == pytest.approx(-1.8)
    assert flows.grid_kw == pytest.approx(2.3)


def test_raised_reserve_without_grid_charging_only_holds():
    _, flows = run(Settings(backup_reserve_app_percent=100, grid_charging=False), 5.0, 0.5, 0.0)
    assert flows.battery_kw == pytest.approx(0.0)


def test_autonomous_charges_fast_in_cheapest_period():
    settings = Settings(mode=OperationMode.AUTONOMOUS, tariff=UploadedTariff({}, FLUX_TOU))
    _, flows = run(settings, 5.0, 0.5, 0.0, when=WINTER_3AM)
    assert flows.battery_kw == pytest.approx(-5.0)


def test_autonomous_does_not_export_at_true_flux_peak():
    settings = Settings(
        mode=OperationMode.AUTONOMOUS,
        tariff=UploadedTariff({}, FLUX_TOU),
        export_rule=ExportRule.BATTERY_OK,
    )
    _, flows = run(settings, 10.0, 0.5, 0.0, when=WINTER_5PM)
    assert flows.battery_kw == pytest.approx(0.5)


def test_autonomous_exports_at_doctored_peak():
    doctored = TouSchedule(
        tuple(
            TouPeriod(p.name, p.start_minute, p.end_minute, p.buy, p.buy if p.name == "peak" else 0)
            for p in FLUX_TOU.periods
        )
    )
    settings = Settings(
        mode=OperationMode.AUTONOMOUS,
        tariff=UploadedTariff({}, doctored),
        export_rule=ExportRule.BATTERY_OK,
    )
    _, flows = run(settings, 10.0, 0.5, 0.0, when=WINTER_5PM)
    assert flows.battery_kw == pytest.approx(0.5 + SPEC.export_limit_kw)
    assert flows.grid_kw == pytest.approx(-SPEC.export_limit_kw)


def test_backup_mode_keeps_battery_full():
    _, flows = run(Settings(mode=OperationMode.BACKUP), 13.0, 2.0, 0.0)
    assert flows.battery_kw <= 0


def test_islanded_battery_carries_home_below_reserve():
    state, flows = run(Settings(backup_reserve_app_percent=80), 2.0, 1.0, 0.0, grid_up=False)
    assert flows.grid_kw == 0
    assert flows.battery_kw == pytest.approx(1.0)
    assert state.soe_kwh < 2.0


def test_islanded_full_battery_curtails_solar():
    _, flows = run(Settings(), SPEC.capacity_kwh, 1.0, 4.0, grid_up=False)
    assert flows.curtailed_kw == pytest.approx(3.0)
    assert flows.grid_kw == 0


def test_export_rule_never_curtails_surplus():
    _, flows = run(Settings(export_rule=ExportRule.NEVER), SPEC.capacity_kwh, 0.5, 3.0)
    assert flows.grid_kw == pytest.approx(0.0)
    assert flows.curtailed_kw == pytest.approx(2.5)


def test_tariff_periods_must_tile_the_day():
    with pytest.raises(ValueError, match="exactly once"):
        TouSchedule((TouPeriod("a", 0, 600, 1, 0), TouPeriod("b", 500, 0, 2, 0)))


settings_st = st.builds(
    Settings,
    mode=st.sampled_from(OperationMode),
    backup_reserve_app_percent=st.floats(0, 100),
    grid_charging=st.booleans(),
    export_rule=st.sampled_from(ExportRule),
    tariff=st.sampled_from([None, UploadedTariff({}, FLUX_TOU)]),
    dispatch_kw=st.one_of(st.none(), st.floats(-6, 6)),
)
step_st = st.tuples(
    settings_st,
    st.floats(0, 12),  # load kW
    st.floats(-0.02, 8),  # solar kW (small negative night readings)
    st.booleans(),  # grid up
    st.sampled_from([1 / 40, 1 / 12, 0.25, 0.5]),  # dt in hours
)


@given(soe0=st.floats(0, 13.5), steps=st.lists(step_st, min_size=1, max_size=40))
def test_invariants_over_random_traces(soe0, steps):
    state = PowerwallState(soe0)
    when = datetime(2026, 6, 1, tzinfo=UTC)
    for settings, load, solar, grid_up, dt in steps:
        before = state
        state, flows = step(
            SPEC, state, settings, load_kw=load, solar_kw=solar, dt_h=dt, when=when, grid_up=grid_up
        )
        when += timedelta(hours=dt)
        charge = max(-flows.battery_kw, 0.0)
        discharge = max(flows.battery_kw, 0.0)
        # power limits
        assert charge <= SPEC.max_charge_kw + 1e-9
        assert discharge <= SPEC.max_discharge_kw + 1e-9
        # stored energy within [0, capacity]
        assert -1e-9 <= state.soe_kwh <= SPEC.capacity_kwh + 1e-9
        # energy conserved with losses accounted
        expected = (
            before.soe_kwh
            + (charge * SPEC.charge_efficiency - discharge / SPEC.discharge_efficiency) * dt
        )
        assert state.soe_kwh == pytest.approx(expected, abs=1e-9)
        assert state.charged_kwh - before.charged_kwh == pytest.approx(charge * dt)
        # site balance: served load = grid + battery + solar used
        assert flows.load_kw == pytest.approx(
            flows.grid_kw + flows.battery_kw + flows.solar_kw, abs=1e-9
        )
        assert flows.curtailed_kw >= -1e-12
        assert flows.solar_kw <= max(solar, 0.0) + 1e-9
        if grid_up:
            assert flows.unserved_kw == 0
            assert -flows.grid_kw <= SPEC.export_limit_kw + 1e-9
            # never discharges below the reserve while on grid (direct dispatch ignores it)
            floor = app_percent_to_kwh(settings.backup_reserve_app_percent, SPEC.capacity_kwh)
            if settings.mode is OperationMode.BACKUP:
                floor = SPEC.capacity_kwh
            if settings.dispatch_kw is not None:
                floor = 0.0
            if discharge > 0:
                assert state.soe_kwh >= floor - 1e-9
            if settings.export_rule is ExportRule.NEVER:
                assert flows.grid_kw >= -1e-9
            if settings.export_rule is not ExportRule.BATTERY_OK:
                # the battery never exports: its discharge only covers load
                assert discharge <= max(load - max(solar, 0), 0) + 1e-9
            if not settings.grid_charging:
                assert charge <= max(solar, 0.0) + 1e-9
        else:
            assert flows.grid_kw == 0


def test_step_through_is_step_after_step():
    load = [1.2, 0.4, 2.5, 0.0]
    solar = [0.0, 3.0, 0.5, 4.0]
    settings = [
        Settings(),
        Settings(export_rule=ExportRule.NEVER),
        Settings(mode=OperationMode.BACKUP),
        Settings(
            mode=OperationMode.AUTONOMOUS,
            tariff=UploadedTariff({}, FLUX_TOU),
            export_rule=ExportRule.BATTERY_OK,
        ),
    ]
    start = WINTER_3AM.timestamp()
    epoch = start + 1800.0 * np.arange(4)
    out = step_through(
        SPEC, PowerwallState(6.0), settings, load_kw=load, solar_kw=solar, dt_h=0.5, epoch_s=epoch
    )
    state = PowerwallState(6.0)
    for k in range(4):
        when = datetime.fromtimestamp(epoch[k], UTC)
        state, flows = step(
            SPEC, state, settings[k], load_kw=load[k], solar_kw=solar[k], dt_h=0.5, when=when
        )
        assert (out.battery_kw[k], out.grid_kw[k], out.soe_kwh[k]) == (
            flows.battery_kw,
            flows.grid_kw,
            state.soe_kwh,
        )
        assert out.reserve_kwh[k] == reserve_kwh(SPEC, settings[k])
    assert out.end == state
    assert out.reserve_kwh[2] == SPEC.capacity_kwh  # backup keeps it all


def test_step_through_needs_times_for_a_tariff_and_one_value_per_step():
    tou = Settings(mode=OperationMode.AUTONOMOUS, tariff=UploadedTariff({}, FLUX_TOU))
    with pytest.raises(ValueError, match="times"):
        step_through(SPEC, PowerwallState(6.0), tou, load_kw=[1.0], solar_kw=[0.0], dt_h=0.5)
    with pytest.raises(ValueError, match="one spec, settings and solar value per step"):
        step_through(SPEC, PowerwallState(6.0), [tou], load_kw=[1.0, 2.0], solar_kw=[0.0], dt_h=1)
