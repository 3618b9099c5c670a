"""Review findings: token file shapes, one pair of scale converters."""

from __future__ import annotations

import pytest

from optimiser.control import FleetAuthError, TokenSource


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ('["abc", "def"]', "array"),
        ('"just-a-string"', "string"),
        ('{"access_token": ["abc"]}', "array"),
        ('{"access_token": "abc", "refresh_token": 12}', "number"),
    ],
)
def test_token_file_with_json_that_is_not_the_expected_object_is_a_clear_auth_error(
    tmp_path, content, kind
):
    path = tmp_path / "fleet-token.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FleetAuthError) as err:
        TokenSource(token_file=path).access_token()
    message = str(err.value)
    assert str(path) in message
    assert kind in message
    assert "abc" not in message  # never echo a token


def test_token_file_object_and_bare_token_still_work(tmp_path):
    obj = tmp_path / "obj.json"
    obj.write_text('{"access_token": "acc", "refresh_token": "ref"}', encoding="utf-8")
    source = TokenSource(token_file=obj)
    assert (source.access_token(), source.refresh_token()) == ("acc", "ref")
    bare = tmp_path / "bare.txt"
    bare.write_text("eyJhbGciOi.bare-token\n", encoding="utf-8")
    assert TokenSource(token_file=bare).access_token() == "eyJhbGciOi.bare-token"


# -- finding 1: the Fleet reserve rule applies to the configured floor ---------------------
from datetime import UTC, date, datetime, timedelta  # noqa: E402

from optimiser.config import Config  # noqa: E402
from optimiser.control import (  # noqa: E402
    Capabilities,
    ControlPolicy,
    DeviceSettings,
    Failure,
    Intent,
    IntentSpan,
    decide,
    differences,
    safe_settings,
    settings_for,
)
from optimiser.control.translate import config_warnings  # noqa: E402
from optimiser.domain.device import OperationMode, Settings  # noqa: E402
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState, step  # noqa: E402
from optimiser.domain.units import app_percent_to_kwh, app_to_raw  # noqa: E402

T0 = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
CAP = 13.5
FLEET = Capabilities.fleet()


def _span(intent, target=None, hours=1.0):
    return IntentSpan(T0, T0 + timedelta(hours=hours), intent, target, CAP)


def _fleet_config(reserve):
    return Config.model_validate(
        {"battery": {"reserve_percent": reserve}, "control": {"backend": "fleet"}}
    )


def _fleet_legal(value):
    return value <= 80 or value == 100


@pytest.mark.parametrize("floor", [85.0, 90.0, 99.0])
def test_every_path_sends_a_fleet_legal_floor(floor):
    policy = ControlPolicy(reserve_floor_app_percent=floor)
    from_config = ControlPolicy.from_config(_fleet_config(floor))
    outcomes = {
        "self_power": settings_for(
            _span(Intent.SELF_POWER), soe_now_kwh=6.0, policy=policy, capabilities=FLEET
        ),
        "idle": settings_for(
            _span(Intent.IDLE), soe_now_kwh=6.0, policy=policy, capabilities=FLEET
        ),
        "safe(policy, fleet)": safe_settings(policy, FLEET),
        "safe(from_config)": safe_settings(from_config),
        "decide(solver failed)": decide(
            T0, None, None, Failure.SOLVER_FAILED, policy=policy, capabilities=FLEET
        ),
        "decide(grid outage)": decide(
            T0,
            None,
            None,
            Failure.GRID_OUTAGE,
            policy=from_config,
            current=DeviceSettings(backup_reserve_app_percent=20.0),
        ),
    }
    for name, got in outcomes.items():
        assert got.backup_reserve_app_percent == 80.0, name
        assert _fleet_legal(got.backup_reserve_app_percent), name
    assert any("reserve floor" in n for n in outcomes["safe(policy, fleet)"].notes)


def test_floor_above_80_is_kept_on_a_backend_without_the_fleet_rule():
    policy = ControlPolicy(reserve_floor_app_percent=90.0)
    assert safe_settings(policy, Capabilities.local()).backup_reserve_app_percent == 90.0
    assert (
        ControlPolicy.from_config(
            Config.model_validate(
                {"battery": {"reserve_percent": 90}, "control": {"backend": "local"}}
            )
        ).reserve_floor_app_percent
        == 90.0
    )


def test_fleet_emulator_accepts_the_safe_fallback_for_a_floor_of_90(make_backend, emulator):
    backend = make_backend()
    policy = ControlPolicy(reserve_floor_app_percent=90.0)
    report = backend.apply(safe_settings(policy, backend.capabilities), reason="safe", safety=True)
    assert report.ok, report.describe()
    assert emulator.site_info()["backup_reserve_percent"] == pytest.approx(80.0)


def test_config_warnings_for_a_fleet_floor_between_80_and_100():
    assert any("above 80%" in w for w in config_warnings(_fleet_config(90)))
    assert config_warnings(_fleet_config(80)) == []
    assert config_warnings(_fleet_config(100)) == []
    local = Config.model_validate({"battery": {"reserve_percent": 90}})
    assert config_warnings(local) == []


def test_config_check_cli_warns_about_the_fleet_floor(tmp_path, capsys):
    from optimiser.cli import main

    path = tmp_path / "wattplan.yaml"
    path.write_text("battery:\n  reserve_percent: 90\ncontrol:\n  backend: fleet\n")
    assert main(["--config", str(path), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out and "reserve floor 90%" in out


# -- finding 2: a hold above 80 on Fleet really holds --------------------------------------
def test_fleet_hold_above_80_never_discharges_in_the_shared_model():
    soe = app_percent_to_kwh(88.0, CAP)
    device = settings_for(
        _span(Intent.HOLD),
        soe_now_kwh=soe,
        policy=ControlPolicy(reserve_floor_app_percent=20.0),
        capabilities=FLEET,
    )
    settings = Settings(
        mode=device.mode,
        backup_reserve_percent=min(app_to_raw(device.backup_reserve_app_percent), 100.0),
        grid_charging=device.grid_charging,
        export_rule=device.export_rule,
    )
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


def test_fleet_hold_above_80_on_the_emulator_holds_through_the_evening(tmp_path):
    from optimiser.control import CommandBudget, FleetBackend, FleetClient, TokenSource
    from optimiser.domain.clock import SteppedClock
    from simulations.fleet_emulator import FleetEmulator, demo_site

    clock = SteppedClock(datetime(2025, 1, 10, 19, 30, tzinfo=UTC))  # after the demo sun
    soe = app_percent_to_kwh(88.0, CAP)
    with FleetEmulator(demo_site(clock, soe_kwh=soe), clock=clock) as emulator:
        token = tmp_path / "token"
        token.write_text(emulator.access_token)
        client = FleetClient(emulator.url, emulator.site_id, TokenSource(token_file=token))
        backend = FleetBackend(client, CommandBudget(20), clock=clock.now)
        target = settings_for(
            _span(Intent.HOLD),
            soe_now_kwh=soe,
            policy=ControlPolicy(reserve_floor_app_percent=20.0),
            capabilities=backend.capabilities,
        )
        report = backend.apply(target, reason="hold")
        assert report.ok, report.describe()
        info = emulator.site_info()
        assert info["backup_reserve_percent"] == 100
        assert info["components"]["disallow_charge_from_grid_with_solar_installed"] is True
        clock.advance(timedelta(hours=3))  # 19:30–22:30: load, no sun
        live = emulator.live_status()
        client.close()
    assert live["percentage_charged"] == pytest.approx(88.0, abs=1e-6)  # never discharged
    assert live["load_power"] > 0 and live["battery_power"] == 0.0


# -- finding 3: hold creep -----------------------------------------------------------------
def _hold_commands(tolerance):
    policy = ControlPolicy(reserve_floor_app_percent=20.0, hold_tolerance_app_percent=tolerance)
    device = DeviceSettings(backup_reserve_app_percent=20.0)
    sent = 0
    for k in range(12):  # solar nudges the charge up ~0.6 points a slot
        soe = app_percent_to_kwh(50.0 + 0.6 * k, CAP)
        target = settings_for(
            _span(Intent.HOLD), soe_now_kwh=soe, policy=policy, capabilities=FLEET, current=device
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
        _span(Intent.HOLD),
        soe_now_kwh=app_percent_to_kwh(31.0, CAP),
        policy=policy,
        capabilities=FLEET,
        current=DeviceSettings(backup_reserve_app_percent=29.0),
    )
    # Not the device's 29 (below the floor); a hold within the tolerance of the floor is
    # self-power at the floor.
    assert got.backup_reserve_app_percent == 30.0
    near_full = settings_for(
        _span(Intent.HOLD),
        soe_now_kwh=app_percent_to_kwh(82.0, CAP),
        policy=policy,
        capabilities=FLEET,
        current=DeviceSettings(backup_reserve_app_percent=80.0),
    )
    assert (near_full.backup_reserve_app_percent, near_full.grid_charging) == (100.0, False)


def test_hold_tolerance_is_configurable():
    config = Config.model_validate({"control": {"hold_tolerance_percent": 5}})
    assert ControlPolicy.from_config(config).hold_tolerance_app_percent == 5.0


# -- finding 6: fast grid charging in the uploaded tariff's cheapest period ----------------
def _uploaded():
    from optimiser.control.apply_now import uploaded_tariff_for
    from tariffs import get_tariff

    uploaded, why = uploaded_tariff_for(get_tariff("flux", "C"), date(2025, 1, 10), "Europe/London")
    assert uploaded is not None, why
    return uploaded


def _charge(start_h, end_h, target_app, soe_app, caps=FLEET):
    start = datetime(2025, 1, 10, start_h, 0, tzinfo=UTC)  # January: UTC = London
    end = datetime(2025, 1, 10, end_h, 0, tzinfo=UTC)
    span = IntentSpan(start, end, Intent.CHARGE_FROM_GRID, app_percent_to_kwh(target_app, CAP), CAP)
    return settings_for(
        span,
        soe_now_kwh=app_percent_to_kwh(soe_app, CAP),
        policy=ControlPolicy(reserve_floor_app_percent=20.0),
        capabilities=caps,
        uploaded=_uploaded(),
        now=start,
    )


def test_uploaded_tariff_is_the_doctored_one_with_the_true_cheapest_period():
    uploaded = _uploaded()
    assert uploaded.cheapest_at(datetime(2025, 1, 10, 3, 0, tzinfo=UTC))
    assert not uploaded.cheapest_at(datetime(2025, 1, 10, 12, 0, tzinfo=UTC))
    peak = uploaded.schedule.period_at(datetime(2025, 1, 10, 17, 0, tzinfo=UTC))
    assert peak.sell == peak.buy == uploaded.schedule.max_buy  # exports at peak


def test_full_charge_in_the_cheapest_period_uses_time_based_control():
    got = _charge(2, 5, 100.0, 20.0)
    assert got.mode is OperationMode.AUTONOMOUS
    assert got.grid_charging is True
    assert got.backup_reserve_app_percent == 20.0  # no forced reserve left behind
    assert got.tariff_content == _uploaded().content
    assert any("full power" in n for n in got.notes)


def test_partial_charge_slow_enough_for_the_reserve_route_keeps_it():
    got = _charge(2, 5, 40.0, 30.0)  # 1.35 kWh in 3 h
    assert got.mode is OperationMode.SELF_CONSUMPTION
    assert got.backup_reserve_app_percent == 40.0
    assert got.tariff_content is None


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
    local = _charge(2, 5, 100.0, 20.0, caps=Capabilities.local())
    assert local.mode is OperationMode.SELF_CONSUMPTION


def test_fast_charge_then_export_needs_no_second_tariff_upload():
    charge = _charge(2, 5, 100.0, 20.0)
    export_span = IntentSpan(
        datetime(2025, 1, 10, 16, tzinfo=UTC),
        datetime(2025, 1, 10, 19, tzinfo=UTC),
        Intent.EXPORT,
        app_percent_to_kwh(30.0, CAP),
        CAP,
    )
    export = settings_for(
        export_span,
        soe_now_kwh=app_percent_to_kwh(95.0, CAP),
        policy=ControlPolicy(reserve_floor_app_percent=20.0),
        capabilities=FLEET,
        uploaded=_uploaded(),
    )
    changes, _ = differences(charge, export, FLEET)
    assert "time_of_use_settings" not in changes
