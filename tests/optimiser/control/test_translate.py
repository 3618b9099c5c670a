from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from optimiser.config import Config
from optimiser.control.intents import Intent, IntentSpan
from optimiser.control.translate import (
    Capabilities,
    ControlPolicy,
    DeviceSettings,
    planner_limits,
    settings_for,
)
from optimiser.domain.device import ExportRule, OperationMode
from optimiser.domain.units import app_percent_to_kwh, app_to_raw, raw_to_app

T0 = datetime(2025, 3, 10, 16, 0, tzinfo=UTC)
CAP = 13.5
POLICY = ControlPolicy(reserve_floor_app_percent=20.0)
FLEET = Capabilities.fleet()
LOCAL = Capabilities.local()
TARIFF = {"name": "doctored", "seasons": {}}


def span(intent, target=None):
    return IntentSpan(T0, T0 + timedelta(hours=1), intent, target, CAP)


def soe_at_app(app):
    return app_percent_to_kwh(app, CAP)


def test_scales_round_trip():
    assert app_to_raw(0) == 5.0
    assert app_to_raw(100) == 100.0
    assert raw_to_app(24.0) == pytest.approx(20.0)
    assert raw_to_app(2.0) == 0.0


@pytest.mark.parametrize(
    ("intent", "target_app", "mode", "reserve", "rule", "tariff"),
    [
        (Intent.SELF_POWER, None, OperationMode.SELF_CONSUMPTION, 20, ExportRule.PV_ONLY, None),
        (Intent.IDLE, None, OperationMode.SELF_CONSUMPTION, 20, ExportRule.PV_ONLY, None),
        (Intent.HOLD, None, OperationMode.SELF_CONSUMPTION, 43, ExportRule.PV_ONLY, None),
        (
            Intent.CHARGE_FROM_GRID,
            65.2,
            OperationMode.SELF_CONSUMPTION,
            66,
            ExportRule.PV_ONLY,
            None,
        ),
        (Intent.EXPORT, 30.0, OperationMode.AUTONOMOUS, 30, ExportRule.BATTERY_OK, TARIFF),
        (Intent.EXPORT, 10.0, OperationMode.AUTONOMOUS, 20, ExportRule.BATTERY_OK, TARIFF),
    ],
)
def test_translation_table_on_fleet(intent, target_app, mode, reserve, rule, tariff):
    target = None if target_app is None else soe_at_app(target_app)
    got = settings_for(
        span(intent, target),
        soe_now_kwh=soe_at_app(42.3),
        policy=POLICY,
        capabilities=FLEET,
        export_tariff=TARIFF,
    )
    assert got == DeviceSettings(mode, reserve, True, rule, tariff)


def test_fleet_reserve_rule_raises_a_charge_above_80_to_100_with_a_note():
    got = settings_for(
        span(Intent.CHARGE_FROM_GRID, soe_at_app(90)),
        soe_now_kwh=soe_at_app(30),
        policy=POLICY,
        capabilities=FLEET,
    )
    assert got.backup_reserve_app_percent == 100
    assert "charging to 100%" in got.notes[0]


def test_fleet_hold_above_80_is_reserve_100_without_grid_charging():
    got = settings_for(
        span(Intent.HOLD), soe_now_kwh=soe_at_app(91), policy=POLICY, capabilities=FLEET
    )
    assert got.backup_reserve_app_percent == 100
    assert got.grid_charging is False
    assert got.mode is OperationMode.SELF_CONSUMPTION
    assert "grid charging off" in got.notes[0]


def test_local_backend_has_no_fleet_rule_and_cannot_export():
    charge = settings_for(
        span(Intent.CHARGE_FROM_GRID, soe_at_app(90)),
        soe_now_kwh=soe_at_app(30),
        policy=POLICY,
        capabilities=LOCAL,
    )
    assert charge.backup_reserve_app_percent == 90
    export = settings_for(
        span(Intent.EXPORT, soe_at_app(30)),
        soe_now_kwh=soe_at_app(60),
        policy=POLICY,
        capabilities=LOCAL,
        export_tariff=TARIFF,
    )
    assert export.mode is OperationMode.SELF_CONSUMPTION
    assert export.export_rule is ExportRule.PV_ONLY
    assert "cannot export" in export.notes[0]


def test_export_without_a_doctored_tariff_self_powers():
    got = settings_for(
        span(Intent.EXPORT, soe_at_app(30)),
        soe_now_kwh=soe_at_app(60),
        policy=POLICY,
        capabilities=FLEET,
    )
    assert got.mode is OperationMode.SELF_CONSUMPTION
    assert "no tariff doctored" in got.notes[0]


def test_hold_never_goes_below_the_floor():
    got = settings_for(
        span(Intent.HOLD), soe_now_kwh=soe_at_app(5), policy=POLICY, capabilities=FLEET
    )
    assert got.backup_reserve_app_percent == 20


def test_notes_do_not_take_part_in_equality():
    assert DeviceSettings(notes=("a",)) == DeviceSettings(notes=("b",))


def test_planner_limits_reflect_capabilities():
    fleet = planner_limits(Capabilities.fleet(units=2), 4)
    assert fleet["max_grid_charge_kw"].tolist() == [3.6] * 4
    assert fleet["battery_export_allowed"].tolist() == [True] * 4
    local = planner_limits(LOCAL, 3)
    assert local["max_grid_charge_kw"].tolist() == [1.8] * 3
    assert local["battery_export_allowed"].tolist() == [False] * 3


def test_policy_from_config():
    config = Config.model_validate(
        {"battery": {"reserve_percent": 35}, "control": {"lease_minutes": 45}}
    )
    policy = ControlPolicy.from_config(config)
    assert policy.reserve_floor_app_percent == 35
    assert policy.lease_minutes == 45


def test_config_rejects_unknown_control_keys():
    with pytest.raises(ValueError, match="extra"):
        Config.model_validate({"control": {"fleet": {"site": "1"}}})
