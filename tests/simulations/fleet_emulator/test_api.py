"""The Fleet API's endpoints: command validation, the shared model, injected faults."""

from __future__ import annotations

from datetime import timedelta
from math import sqrt

import pytest

from optimiser.domain.device import ExportRule, OperationMode
from simulations.emulator.site import NIGHT_SOLAR_KW
from simulations.fleet_emulator import FleetEndpoint
from simulations.fleet_emulator.api import Command, parse_command
from tests.optimiser.control.tariff_fixture import flux_like_content
from tests.simulations.fleet_emulator.conftest import call

STANDBY_W = NIGHT_SOLAR_KW * 1000  # the solar meter reads -10 W with no sun; the grid pays it


@pytest.mark.parametrize("value", [81, 99.5, -1, "50", True])
def test_reserve_outside_the_fleet_rule_is_a_400(emulator, value):
    answer = call(emulator, "POST", "backup", {"backup_reserve_percent": value})
    assert answer.status_code == 400
    assert emulator.site.settings.backup_reserve_raw_percent == 24.0


def test_reserve_100_charges_from_the_grid_at_the_slow_rate(emulator, clock):
    assert call(emulator, "POST", "backup", {"backup_reserve_percent": 100}).status_code == 201
    info = call(emulator, "GET", "site_info").json()["response"]
    assert info["backup_reserve_percent"] == 100
    clock.advance(timedelta(hours=1))
    live = call(emulator, "GET", "live_status").json()["response"]
    expected_soe = 6.75 + 1.8 * sqrt(0.9)
    assert emulator.site.state.soe_kwh == pytest.approx(expected_soe)
    assert live["battery_power"] == pytest.approx(-1800.0)
    assert live["grid_power"] == pytest.approx(2300.0 + STANDBY_W)
    raw = 100 * expected_soe / 13.5
    assert live["percentage_charged"] == pytest.approx((raw - 5) / 0.95)


@pytest.mark.parametrize(("doctored", "exports"), [(True, True), (False, False)])
def test_autonomous_exports_at_peak_only_with_a_doctored_tariff(emulator, clock, doctored, exports):
    clock.advance(timedelta(hours=4, minutes=30))  # 16:30 London, the Flux peak
    call(emulator, "POST", "operation", {"default_real_mode": "autonomous"})
    call(
        emulator,
        "POST",
        "grid_import_export",
        {
            "disallow_charge_from_grid_with_solar_installed": False,
            "customer_preferred_export_rule": "battery_ok",
        },
    )
    tou = {"tou_settings": {"tariff_content_v2": flux_like_content(doctored)}}
    assert call(emulator, "POST", "time_of_use_settings", tou).status_code == 201
    clock.advance(timedelta(minutes=10))
    live = call(emulator, "GET", "live_status").json()["response"]
    if exports:
        # battery export at the DNO limit, less the inverter's night standby draw
        assert live["grid_power"] == pytest.approx(-3680.0 + STANDBY_W)
    else:
        assert live["battery_power"] == pytest.approx(500.0)  # only covers the house
        assert live["grid_power"] == pytest.approx(STANDBY_W)
    info = call(emulator, "GET", "site_info").json()["response"]
    assert info["components"]["customer_preferred_export_rule"] == "battery_ok"
    assert info["tariff_content_v2"]["name"].startswith("Flux")


def test_bad_tariff_is_a_400(emulator):
    answer = call(
        emulator, "POST", "time_of_use_settings", {"tou_settings": {"tariff_content_v2": {}}}
    )
    assert answer.status_code == 400


def test_injected_faults_answer_or_ignore(emulator):
    emulator.faults.answer[FleetEndpoint.SITE_INFO] = 429
    limited = call(emulator, "GET", "site_info")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    del emulator.faults.answer[FleetEndpoint.SITE_INFO]
    emulator.faults.ignore_once.add(FleetEndpoint.OPERATION)
    body = {"default_real_mode": "backup"}
    assert call(emulator, "POST", "operation", body).status_code == 201
    assert emulator.site.settings.mode is OperationMode.SELF_CONSUMPTION  # did not take
    assert call(emulator, "POST", "operation", body).status_code == 201
    assert emulator.site.settings.mode is OperationMode.BACKUP


def test_reads_are_get_and_commands_are_post(emulator):
    assert call(emulator, "POST", "live_status", {}).status_code == 404
    assert call(emulator, "GET", "backup").status_code == 404
    assert emulator.post_count() == 1 and emulator.post_count(FleetEndpoint.BACKUP) == 0


@pytest.mark.parametrize(
    ("endpoint", "body", "command"),
    [
        (
            FleetEndpoint.OPERATION,
            {"default_real_mode": "autonomous"},
            Command(mode=OperationMode.AUTONOMOUS),
        ),
        (
            FleetEndpoint.BACKUP,
            {"backup_reserve_percent": 100},
            Command(backup_reserve_app_percent=100.0),
        ),
        (
            FleetEndpoint.BACKUP,
            {"backup_reserve_percent": 0},
            Command(backup_reserve_app_percent=0.0),
        ),
        (
            FleetEndpoint.GRID_IMPORT_EXPORT,
            {"customer_preferred_export_rule": "pv_only"},
            Command(export_rule=ExportRule.PV_ONLY),
        ),
        (
            FleetEndpoint.GRID_IMPORT_EXPORT,
            {"disallow_charge_from_grid_with_solar_installed": True},
            Command(grid_charging=False),
        ),
        (FleetEndpoint.STORM_MODE, {"enabled": False}, Command(storm_mode=False)),
    ],
)
def test_parse_command(endpoint, body, command):
    assert parse_command(endpoint, body) == command


@pytest.mark.parametrize(
    ("endpoint", "body", "error"),
    [
        (FleetEndpoint.OPERATION, {"default_real_mode": "turbo"}, ValueError),
        (FleetEndpoint.GRID_IMPORT_EXPORT, {}, KeyError),
        (
            FleetEndpoint.GRID_IMPORT_EXPORT,
            {"disallow_charge_from_grid_with_solar_installed": 1},
            TypeError,
        ),
        (FleetEndpoint.STORM_MODE, {"enabled": "yes"}, TypeError),
        (FleetEndpoint.LIVE_STATUS, {}, KeyError),
    ],
)
def test_parse_command_refuses(endpoint, body, error):
    with pytest.raises(error):
        parse_command(endpoint, body)
