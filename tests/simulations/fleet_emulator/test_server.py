"""The Fleet emulator over real HTTP: auth, quotas, validation, and the shared model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from math import sqrt

import numpy as np
import pytest
import requests

from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.domain.traces import Trace
from simulations.emulator.site import NIGHT_SOLAR_KW
from simulations.fleet_emulator import EmulatedFleetSite, FleetEmulator
from tests.optimiser.control.tariff_fixture import flux_like_content

STANDBY_W = NIGHT_SOLAR_KW * 1000  # the solar meter reads -10 W with no sun; the grid pays it

START = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)  # GMT: London time = UTC


@pytest.fixture
def clock():
    return SteppedClock(START)


@pytest.fixture
def emulator(clock):
    epoch = np.array([START.timestamp(), START.timestamp() + 3600.0])
    trace = Trace(epoch, np.array([0.5, 0.5]), np.array([0.0, 0.0]), wrap=True)
    site = EmulatedFleetSite(
        PowerwallSpec.powerwall2(1),
        PowerwallState(soe_kwh=6.75),
        Settings(backup_reserve_app_percent=20.0),
        trace,
        clock,
    )
    with FleetEmulator(site, clock=clock, commands_per_day=6) as emu:
        yield emu


def call(emu, method, endpoint, body=None, token=None):
    token = emu.access_token if token is None else token
    return requests.request(
        method,
        f"{emu.url}/api/1/energy_sites/{emu.site_id}/{endpoint}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_bearer_token_is_required(emulator):
    assert call(emulator, "GET", "site_info", token="nope").status_code == 401
    assert call(emulator, "GET", "nothing").status_code == 404
    assert call(emulator, "GET", "site_info").status_code == 200


def test_token_expires_on_the_clock_and_refresh_rotates(emulator, clock):
    emulator.token_lifetime_s = 600
    clock.advance(timedelta(minutes=11))
    assert call(emulator, "GET", "live_status").status_code == 401
    old_refresh = emulator.refresh_token
    form = {"grant_type": "refresh_token", "refresh_token": old_refresh}
    answer = requests.post(f"{emulator.url}/oauth2/v3/token", data=form, timeout=5)
    assert answer.status_code == 200
    fresh = answer.json()["access_token"]
    assert call(emulator, "GET", "live_status", token=fresh).status_code == 200
    again = requests.post(f"{emulator.url}/oauth2/v3/token", data=form, timeout=5)
    assert again.status_code == 401  # a refresh token is good once


def test_commands_answer_updated_and_quota_gives_429(emulator, clock):
    for _ in range(6):
        answer = call(emulator, "POST", "storm_mode", {"enabled": True})
        assert answer.json() == {"response": {"code": 201, "message": "Updated"}}
    refused = call(emulator, "POST", "storm_mode", {"enabled": False})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 12 * 3600
    assert call(emulator, "GET", "live_status").json()["response"]["storm_mode_active"] is True
    clock.advance(timedelta(hours=12))
    assert call(emulator, "POST", "storm_mode", {"enabled": False}).status_code == 201


@pytest.mark.parametrize("value", [81, 99.5, -1, "50", True])
def test_reserve_outside_the_fleet_rule_is_a_400(emulator, value):
    answer = call(emulator, "POST", "backup", {"backup_reserve_percent": value})
    assert answer.status_code == 400
    assert emulator.site.settings.backup_reserve_app_percent == 20.0


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
