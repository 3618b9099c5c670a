"""The one span → settings translation, per backend capability."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import differences
from optimiser.control.policy import ControlPolicy
from optimiser.control.safety import is_forced
from optimiser.control.spans import ActionSpan
from optimiser.control.tariff_upload import uploaded_tariff_for
from optimiser.control.translate import action_held, followed_action, settings_for
from optimiser.domain.actions import Action
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState, step
from optimiser.domain.units import app_percent_to_kwh, app_to_raw, raw_to_app
from tariffs import get_tariff

T0 = datetime(2025, 3, 10, 16, 0, tzinfo=UTC)
CAP = 13.5
POLICY = ControlPolicy(reserve_floor_app_percent=20.0)
FLEET = Capabilities.fleet()
LOCAL = Capabilities.local()
TARIFF = UploadedTariff({"name": "doctored", "seasons": {}})


def span(action, target=None, start=T0, hours=1.0):
    return ActionSpan(start, start + timedelta(hours=hours), action, target, CAP)


def soe_at_app(app):
    return app_percent_to_kwh(app, CAP)


def test_scales_round_trip():
    assert app_to_raw(0) == 5.0
    assert app_to_raw(100) == 100.0
    assert raw_to_app(24.0) == pytest.approx(20.0)
    assert raw_to_app(2.0) == 0.0


@pytest.mark.parametrize(
    ("action", "target_app", "mode", "reserve", "rule", "tariff"),
    [
        (Action.SELF_POWER, None, OperationMode.SELF_CONSUMPTION, 20, ExportRule.PV_ONLY, None),
        (Action.IDLE, None, OperationMode.SELF_CONSUMPTION, 20, ExportRule.PV_ONLY, None),
        (
            Action.CHARGE_FROM_SOLAR,
            None,
            OperationMode.SELF_CONSUMPTION,
            20,
            ExportRule.PV_ONLY,
            None,
        ),
        (Action.HOLD, None, OperationMode.SELF_CONSUMPTION, 43, ExportRule.PV_ONLY, None),
        (
            Action.CHARGE_FROM_GRID,
            65.2,
            OperationMode.SELF_CONSUMPTION,
            66,
            ExportRule.PV_ONLY,
            None,
        ),
        (Action.EXPORT, 30.0, OperationMode.AUTONOMOUS, 30, ExportRule.BATTERY_OK, TARIFF),
        (Action.EXPORT, 10.0, OperationMode.AUTONOMOUS, 20, ExportRule.BATTERY_OK, TARIFF),
    ],
)
def test_translation_table_on_fleet(action, target_app, mode, reserve, rule, tariff):
    target = None if target_app is None else soe_at_app(target_app)
    got = settings_for(
        span(action, target),
        soe_now_kwh=soe_at_app(42.3),
        policy=POLICY,
        capabilities=FLEET,
        uploaded=TARIFF,
    )
    assert got == Settings(mode, reserve, True, rule, tariff)


def test_fleet_reserve_rule_raises_a_charge_above_80_to_100_with_a_note():
    got = settings_for(
        span(Action.CHARGE_FROM_GRID, soe_at_app(90)),
        soe_now_kwh=soe_at_app(30),
        policy=POLICY,
        capabilities=FLEET,
    )
    assert got.backup_reserve_app_percent == 100
    assert "charging to 100%" in got.notes[0]


def test_fleet_hold_above_80_is_reserve_100_without_grid_charging():
    got = settings_for(
        span(Action.HOLD), soe_now_kwh=soe_at_app(91), policy=POLICY, capabilities=FLEET
    )
    assert got.backup_reserve_app_percent == 100
    assert got.grid_charging is False
    assert got.mode is OperationMode.SELF_CONSUMPTION
    assert "grid charging off" in got.notes[0]


def test_local_backend_has_no_fleet_rule_and_cannot_export():
    charge = settings_for(
        span(Action.CHARGE_FROM_GRID, soe_at_app(90)),
        soe_now_kwh=soe_at_app(30),
        policy=POLICY,
        capabilities=LOCAL,
    )
    assert charge.backup_reserve_app_percent == 90
    export = settings_for(
        span(Action.EXPORT, soe_at_app(30)),
        soe_now_kwh=soe_at_app(60),
        policy=POLICY,
        capabilities=LOCAL,
        uploaded=TARIFF,
    )
    assert export.mode is OperationMode.SELF_CONSUMPTION
    assert export.export_rule is ExportRule.PV_ONLY
    assert "cannot export" in export.notes[0]


def test_export_without_a_doctored_tariff_self_powers():
    got = settings_for(
        span(Action.EXPORT, soe_at_app(30)),
        soe_now_kwh=soe_at_app(60),
        policy=POLICY,
        capabilities=FLEET,
    )
    assert got.mode is OperationMode.SELF_CONSUMPTION
    assert "no tariff doctored" in got.notes[0]


def test_followed_action_says_why_it_differs_from_the_span():
    def followed(action, capabilities, uploaded):
        return followed_action(
            span(action, soe_at_app(30)),
            soe_now_kwh=soe_at_app(60),
            policy=POLICY,
            capabilities=capabilities,
            uploaded=uploaded,
        )

    action, why = followed(Action.EXPORT, LOCAL, TARIFF)
    assert action is Action.SELF_POWER and "local backend cannot export" in why
    action, why = followed(Action.EXPORT, FLEET, None)
    assert action is Action.SELF_POWER and "no tariff doctored" in why
    assert followed(Action.EXPORT, FLEET, TARIFF) == (Action.EXPORT, None)
    assert followed(Action.CHARGE_FROM_SOLAR, FLEET, None) == (Action.SELF_POWER, None)
    assert followed(Action.HOLD, FLEET, None) == (Action.HOLD, None)


def test_hold_never_goes_below_the_floor():
    got = settings_for(
        span(Action.HOLD), soe_now_kwh=soe_at_app(5), policy=POLICY, capabilities=FLEET
    )
    assert got.backup_reserve_app_percent == 20


def test_notes_do_not_take_part_in_equality():
    assert Settings(notes=("a",)) == Settings(notes=("b",))


def _hold_at(soe_kwh: float) -> Settings:
    return settings_for(
        span(Action.HOLD, soe_kwh), soe_now_kwh=soe_kwh, policy=POLICY, capabilities=FLEET
    )


def test_a_hold_within_the_tolerance_of_the_floor_is_self_power_at_the_floor():
    floor_kwh = (0.95 * 20.0 + 5.0) / 100.0 * CAP
    near = _hold_at(floor_kwh + 0.2)  # ~1.5 app points above the floor
    assert near.backup_reserve_app_percent == 20.0 and not is_forced(near, POLICY)
    assert any("self-power at the floor" in n for n in near.notes)
    far = _hold_at(floor_kwh + 1.0)  # ~7.8 points: a real hold
    assert far.backup_reserve_app_percent > 25.0 and is_forced(far, POLICY)


def test_action_held_reads_the_device():
    assert action_held(Settings(backup_reserve_app_percent=20.0), POLICY) is Action.SELF_POWER
    assert action_held(Settings(backup_reserve_app_percent=45.0), POLICY) is Action.HOLD
    export = Settings(OperationMode.AUTONOMOUS, 20.0, export_rule=ExportRule.BATTERY_OK)
    assert action_held(export, POLICY) is None
    assert action_held(None, POLICY) is None


# -- a hold above 80 on Fleet really holds ---------------------------------------------------
def test_fleet_hold_above_80_never_discharges_in_the_shared_model():
    soe = app_percent_to_kwh(88.0, CAP)
    settings = settings_for(span(Action.HOLD), soe_now_kwh=soe, policy=POLICY, capabilities=FLEET)
    spec = PowerwallSpec.powerwall2()
    state = PowerwallState(soe_kwh=soe)
    # Evening load, no solar: nothing may come out of the battery, nothing from the grid in.
    state, flows = step(spec, state, settings, load_kw=2.0, solar_kw=0.0, dt_h=0.5)
    assert flows.battery_kw == 0.0
    assert state.soe_kwh == pytest.approx(soe)
    # Surplus solar charges it (as a self-powered hold would); the grid never does.
    _, flows2 = step(spec, state, settings, load_kw=0.5, solar_kw=2.0, dt_h=0.5)
    assert flows2.battery_kw == pytest.approx(-1.5)
    assert flows2.grid_kw == pytest.approx(0.0)


# -- hold creep ------------------------------------------------------------------------------
def _hold_commands(tolerance):
    policy = ControlPolicy(reserve_floor_app_percent=20.0, hold_tolerance_app_percent=tolerance)
    device = Settings(backup_reserve_app_percent=20.0)
    sent = 0
    for k in range(12):  # solar nudges the charge up ~0.6 points a slot
        soe = app_percent_to_kwh(50.0 + 0.6 * k, CAP)
        target = settings_for(
            span(Action.HOLD), soe_now_kwh=soe, policy=policy, capabilities=FLEET, current=device
        )
        changes, _ = differences(device, target, FLEET)
        sent += len(changes)
        if changes:
            device = target
    return sent


def test_hold_tolerance_cuts_the_commands_spent_on_creep():
    without = _hold_commands(0.0)
    with_tolerance = _hold_commands(3.0)
    assert without >= 6
    assert with_tolerance <= 3
    assert with_tolerance < without


def test_hold_tolerance_never_keeps_a_reserve_below_the_floor_or_an_illegal_one():
    policy = ControlPolicy(reserve_floor_app_percent=30.0)
    got = settings_for(
        span(Action.HOLD),
        soe_now_kwh=app_percent_to_kwh(31.0, CAP),
        policy=policy,
        capabilities=FLEET,
        current=Settings(backup_reserve_app_percent=29.0),
    )
    # Not the device's 29 (below the floor); a hold within the tolerance of the floor is
    # self-power at the floor.
    assert got.backup_reserve_app_percent == 30.0
    near_full = settings_for(
        span(Action.HOLD),
        soe_now_kwh=app_percent_to_kwh(82.0, CAP),
        policy=policy,
        capabilities=FLEET,
        current=Settings(backup_reserve_app_percent=80.0),
    )
    assert (near_full.backup_reserve_app_percent, near_full.grid_charging) == (100.0, False)


# -- fast grid charging in the uploaded tariff's cheapest period -----------------------------
def _uploaded():
    uploaded, why = uploaded_tariff_for(get_tariff("flux", "C"), date(2025, 1, 10), "Europe/London")
    assert uploaded is not None, why
    return uploaded


def _charge(start_h, end_h, target_app, soe_app, caps=FLEET):
    start = datetime(2025, 1, 10, start_h, 0, tzinfo=UTC)  # January: UTC = London
    charge = span(
        Action.CHARGE_FROM_GRID,
        app_percent_to_kwh(target_app, CAP),
        start=start,
        hours=end_h - start_h,
    )
    return settings_for(
        charge,
        soe_now_kwh=app_percent_to_kwh(soe_app, CAP),
        policy=POLICY,
        capabilities=caps,
        uploaded=_uploaded(),
        now=start,
    )


def test_full_charge_in_the_cheapest_period_uses_time_based_control():
    got = _charge(2, 5, 100.0, 20.0)
    assert got.mode is OperationMode.AUTONOMOUS
    assert got.grid_charging is True
    assert got.backup_reserve_app_percent == 20.0  # no forced reserve left behind
    assert got.tariff == _uploaded()
    assert any("full power" in n for n in got.notes)


def test_partial_charge_slow_enough_for_the_reserve_route_keeps_it():
    got = _charge(2, 5, 40.0, 30.0)  # 1.35 kWh in 3 h
    assert got.mode is OperationMode.SELF_CONSUMPTION
    assert got.backup_reserve_app_percent == 40.0
    assert got.tariff is None


def test_partial_charge_faster_than_the_reserve_route_uses_time_based_control():
    got = _charge(2, 3, 60.0, 20.0)  # ~5.7 kWh in 1 h
    assert got.mode is OperationMode.AUTONOMOUS
    assert any("more than the reserve route" in n for n in got.notes)


def test_charge_outside_the_cheapest_period_or_on_local_keeps_the_reserve_route():
    outside = _charge(12, 14, 100.0, 20.0)
    assert outside.mode is OperationMode.SELF_CONSUMPTION
    assert outside.backup_reserve_app_percent == 100.0
    straddling = _charge(4, 6, 100.0, 20.0)
    assert straddling.mode is OperationMode.SELF_CONSUMPTION
    local = _charge(2, 5, 100.0, 20.0, caps=LOCAL)
    assert local.mode is OperationMode.SELF_CONSUMPTION


def test_fast_charge_then_export_needs_no_second_tariff_upload():
    charge = _charge(2, 5, 100.0, 20.0)
    export_span = ActionSpan(
        datetime(2025, 1, 10, 16, tzinfo=UTC),
        datetime(2025, 1, 10, 19, tzinfo=UTC),
        Action.EXPORT,
        app_percent_to_kwh(30.0, CAP),
        CAP,
    )
    export = settings_for(
        export_span,
        soe_now_kwh=app_percent_to_kwh(95.0, CAP),
        policy=POLICY,
        capabilities=FLEET,
        uploaded=_uploaded(),
    )
    changes, _ = differences(charge, export, FLEET)
    assert "time_of_use_settings" not in changes
