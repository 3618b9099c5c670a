"""The gateway's endpoints: error bodies, roles, the installer sequence, islanding, readings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from optimiser.domain.device import OperationMode
from simulations.emulator import FaultKind
from tests.optimiser.gateway.conftest import INSTALLER

READINGS = (
    "/api/system_status",
    "/api/system_status/soe",
    "/api/system_status/grid_status",
    "/api/system_status/grid_faults",
    "/api/meters/aggregates",
    "/api/operation",
    "/api/site_info",
    "/api/site_info/site_name",
    "/api/status",
    "/api/sitemaster",
    "/api/powerwalls",
)


def test_every_reading_answers_json_after_login(raw):
    assert raw.get("/api/operation").status_code == 401
    assert raw.get("/api/status").status_code == 200  # the one reading without a login
    raw.login()
    for path in READINGS:
        answer = raw.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"] == "application/json"


def test_error_bodies_are_the_gateways(emulator, raw):
    bad = raw.login(password="nope")
    assert (bad.status_code, bad.json()) == (
        401,
        {"code": 401, "error": "bad credentials", "message": "Login Error"},
    )
    raw.login()
    denied = raw.post("/api/operation", json={"real_mode": "backup"})
    assert (denied.status_code, denied.json()) == (
        403,
        {
            "code": 403,
            "error": "Unable to POST to resource",
            "message": "User does not have adequate access rights",
        },
    )
    missing = raw.get("/api/devices/vitals")
    assert missing.status_code == 404 and "/api/devices/vitals" in missing.json()["message"]
    assert raw.post("/api/site_info", json={}).status_code == 404
    emulator.faults.add(FaultKind.RESTART, count=1)
    restarting = raw.get("/api/operation")
    assert restarting.status_code == 502 and restarting.content == b""


def test_installer_sequence_and_sitemaster(emulator, raw):
    raw.login("installer", INSTALLER)
    assert raw.get("/api/sitemaster/stop").status_code == 202
    assert raw.get("/api/sitemaster").json()["running"] is False
    assert not emulator.sitemaster_running
    assert raw.get("/api/system_status/soe").status_code == 502  # readings pause
    posted = raw.post("/api/operation", json={"mode": "backup", "backup_reserve_percent": 64})
    assert posted.status_code == 200
    assert emulator.site.settings.mode is OperationMode.SELF_CONSUMPTION  # staged only
    assert raw.get("/api/config/completed").status_code == 202
    assert raw.get("/api/sitemaster/run").status_code == 202
    operation = raw.get("/api/operation").json()
    assert operation["real_mode"] == "backup" and operation["backup_reserve_percent"] == 64
    assert emulator.control_sequences() == 1 and emulator.post_count() == 1


def test_an_invalid_operation_is_a_400_and_changes_nothing(emulator, raw):
    raw.login("installer", INSTALLER)
    answer = raw.post("/api/operation", json={"real_mode": "turbo"})
    assert answer.status_code == 400 and "invalid operation" in answer.json()["message"]
    raw.get("/api/config/completed")
    assert emulator.site.settings.mode is OperationMode.SELF_CONSUMPTION


def test_islanding_mode_rejects_unknown_values(raw):
    raw.login()
    refused = raw.post("/api/v2/islanding/mode", json={"island_mode": "off"})
    assert refused.status_code == 400
    assert "'backup' or 'intentional_reconnect_failsafe'" in refused.json()["message"]
    answer = raw.post("/api/v2/islanding/mode", json={"island_mode": "backup"})
    assert answer.json() == {"island_mode": "backup"}
    grid = raw.get("/api/system_status/grid_status").json()["grid_status"]
    assert grid == "SystemIslandedActive"
    raw.post("/api/v2/islanding/mode", json={"island_mode": "intentional_reconnect_failsafe"})
    grid = raw.get("/api/system_status/grid_status").json()["grid_status"]
    assert grid == "SystemGridConnected"


def test_uptime_counts_on_the_site_clock(emulator, raw):
    emulator.site.clock.advance(timedelta(hours=2, minutes=3, seconds=4))
    assert raw.get("/api/status").json()["up_time_seconds"] == "2h3m4.000000s"


def test_readings_are_self_consistent_over_a_day(emulator, raw):
    raw.login()
    clock = emulator.site.clock
    for _ in range(24):
        clock.advance(timedelta(minutes=59))
        status = raw.get("/api/system_status").json()
        soe = raw.get("/api/system_status/soe").json()["percentage"]
        meters = raw.get("/api/meters/aggregates").json()
        blocks = status["battery_blocks"]
        assert soe == pytest.approx(
            100 * status["nominal_energy_remaining"] / status["nominal_full_pack_energy"]
        )
        assert meters["battery"]["energy_exported"] == pytest.approx(
            sum(b["energy_discharged"] for b in blocks)
        )
        assert meters["battery"]["energy_imported"] == pytest.approx(
            sum(b["energy_charged"] for b in blocks)
        )
        load = meters["load"]["instant_power"]
        parts = sum(meters[k]["instant_power"] for k in ("site", "battery", "solar"))
        assert load == pytest.approx(parts, abs=0.01)
        assert meters["battery"]["instant_power"] == pytest.approx(
            sum(b["p_out"] for b in blocks), abs=0.01
        )
        assert 0 <= status["nominal_energy_remaining"] <= status["nominal_full_pack_energy"]
        assert abs(meters["battery"]["instant_power"]) <= status["max_charge_power"] + 1e-6
        assert "num_meters_aggregated" not in meters["load"]
