"""The emulator speaks the gateway's API: auth, error bodies, control, faults, consistency."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from optimiser.domain.device import OperationMode
from tests.optimiser.gateway.conftest import CUSTOMER, INSTALLER

QUERIES = (
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


def test_certificate_names_and_fingerprint(emulator, raw):
    # verify= the emulator's PEM checks the chain and that 127.0.0.1 is in the SAN.
    assert raw.get("/api/status").status_code == 200
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(emulator.certificate.cert_pem)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"teg", "powerwall", "powerpack"} <= set(san.get_values_for_type(x509.DNSName))
    assert len(emulator.fingerprint_sha256) == 64


def test_login_json_sets_cookies_and_returns_token(raw):
    response = raw.login()
    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ["Home_Owner"] and body["provider"] == "Basic" and body["token"]
    assert response.cookies["AuthCookie"] == body["token"]
    assert "UserRecord" in response.cookies
    assert response.headers["Content-Type"] == "application/json"
    for path in QUERIES:
        answer = raw.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"] == "application/json"


def test_login_form_body_and_bearer_token(emulator, raw):
    token = raw.post(
        "/api/login/Basic", data={"username": "customer", "password": CUSTOMER, "email": "x"}
    ).json()["token"]
    raw.session.cookies.clear()
    assert raw.get("/api/operation").status_code == 401
    bearer = raw.get("/api/operation", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200
    cookie_only = raw.get("/api/operation", cookies={"AuthCookie": token})
    assert cookie_only.status_code == 200


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
    assert raw.get("/api/devices/vitals").status_code == 404
    emulator.faults.add("restart", count=1)
    restarting = raw.get("/api/operation")
    assert restarting.status_code == 502 and restarting.content == b""


def test_repeated_bad_logins_lock_out_with_429(emulator, raw):
    codes = [raw.login(password=f"bad{i}").status_code for i in range(5)]
    assert codes == [401] * 5
    locked = raw.login()  # even the right password is refused while locked
    assert locked.status_code == 429
    assert locked.json() == {
        "code": 429,
        "error": "Api Limit reached for this endpoint",
        "message": "API Limit Reached",
    }
    emulator.lockout_s = 0
    emulator._locked_until = 0.0
    assert raw.login().status_code == 200


def test_token_lifetime(emulator, raw):
    emulator.token_lifetime_s = 0.1
    raw.login()
    import time

    time.sleep(0.2)
    assert raw.get("/api/operation").status_code == 401


def test_installer_sequence_and_sitemaster(emulator, raw):
    raw.login("installer", INSTALLER)
    assert raw.get("/api/sitemaster/stop").status_code == 202
    assert raw.get("/api/sitemaster").json()["running"] is False
    assert raw.get("/api/system_status/soe").status_code == 502  # readings pause
    posted = raw.post("/api/operation", json={"mode": "backup", "backup_reserve_percent": 64})
    assert posted.status_code == 200
    assert emulator.site.settings.mode is OperationMode.SELF_CONSUMPTION  # staged only
    assert raw.get("/api/config/completed").status_code == 202
    assert raw.get("/api/sitemaster/run").status_code == 202
    operation = raw.get("/api/operation").json()
    assert operation["real_mode"] == "backup" and operation["backup_reserve_percent"] == 64


def test_islanding_mode_rejects_unknown_values(raw):
    raw.login()
    assert raw.post("/api/v2/islanding/mode", json={"island_mode": "off"}).status_code == 400
    answer = raw.post("/api/v2/islanding/mode", json={"island_mode": "backup"})
    assert answer.json() == {"island_mode": "backup"}
    grid = raw.get("/api/system_status/grid_status").json()["grid_status"]
    assert grid == "SystemIslandedActive"


def test_faults_reset_malformed_latency(emulator, raw):
    raw.login()
    emulator.faults.add("reset", count=1)
    with pytest.raises(requests.ConnectionError):
        raw.get("/api/operation")
    emulator.faults.add("malformed", count=1)
    with pytest.raises(ValueError):
        raw.get("/api/operation").json()
    fault = emulator.faults.add("latency", seconds=0.2, count=1)
    response = raw.get("/api/operation")
    assert response.status_code == 200 and response.elapsed >= timedelta(seconds=0.2)
    assert fault.hits == 1
    emulator.faults.add("status", code=503, path="/api/meters", count=2)
    assert raw.get("/api/operation").status_code == 200  # other paths unaffected
    assert raw.get("/api/meters/aggregates").json()["code"] == 503


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


def test_plain_http_answers_301_to_https():
    """DOMAIN.md §1: the gateway's plain-HTTP port redirects to HTTPS."""
    import http.client

    from simulations.emulator import GatewayEmulator

    with GatewayEmulator(http_port=0) as emu:
        host, port = emu.http_url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", "/api/status")
        answer = conn.getresponse()
        assert answer.status == 301
        assert answer.getheader("Location") == f"{emu.url}/api/status"
        conn.close()
