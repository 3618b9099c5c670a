"""Login, session tokens, token lifetime and lock-out, over HTTPS and on the site's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from optimiser.domain.clock import SteppedClock
from simulations.emulator import Faults, GatewayEmulator
from simulations.emulator.auth import (
    BadCredentials,
    LockedOut,
    Role,
    Sessions,
    token_from_headers,
)
from tests.optimiser.gateway.conftest import CUSTOMER, INSTALLER, stepped_site
from tests.simulations.emulator.conftest import Raw

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_login_json_sets_cookies_and_returns_token(raw):
    response = raw.login()
    assert response.status_code == 200
    body = response.json()
    assert body["roles"] == ["Home_Owner"] and body["provider"] == "Basic" and body["token"]
    assert response.cookies["AuthCookie"] == body["token"]
    assert "UserRecord" in response.cookies
    assert response.headers["Content-Type"] == "application/json"
    assert datetime.fromisoformat(body["loginTime"]) == raw.emu.site.clock.now()


def test_login_form_body_and_bearer_token(raw):
    token = raw.post(
        "/api/login/Basic", data={"username": "customer", "password": CUSTOMER, "email": "x"}
    ).json()["token"]
    raw.session.cookies.clear()
    assert raw.get("/api/operation").status_code == 401
    bearer = raw.get("/api/operation", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200
    cookie_only = raw.get("/api/operation", cookies={"AuthCookie": token})
    assert cookie_only.status_code == 200


def test_logout_ends_the_session(raw):
    raw.login()
    assert raw.get("/api/logout").status_code == 204
    assert raw.get("/api/operation").status_code == 401


def test_repeated_bad_logins_lock_out_with_429_until_the_window_passes(emulator, raw):
    codes = [raw.login(password=f"bad{i}").status_code for i in range(5)]
    assert codes == [401] * 5
    locked = raw.login()  # even the right password is refused while locked
    assert locked.status_code == 429
    assert locked.json() == {
        "code": 429,
        "error": "Api Limit reached for this endpoint",
        "message": "API Limit Reached",
    }
    emulator.site.clock.advance(timedelta(seconds=299))
    assert raw.login().status_code == 429
    emulator.site.clock.advance(timedelta(seconds=1))
    assert raw.login().status_code == 200
    assert emulator.bad_logins == 5 and emulator.logins == 1


def test_token_expires_after_its_lifetime_on_the_site_clock(tmp_path):
    with GatewayEmulator(
        stepped_site(), customer_password=CUSTOMER, token_lifetime_s=600
    ) as emulator:
        raw = Raw(emulator, tmp_path)
        raw.login()
        emulator.site.clock.advance(timedelta(seconds=600))
        assert raw.get("/api/operation").status_code == 200
        emulator.site.clock.advance(timedelta(seconds=1))
        expired = raw.get("/api/operation")
    assert (expired.status_code, expired.json()["error"]) == (401, "token expired")


def test_expire_tokens_invalidates_every_session(emulator, raw):
    raw.login()
    emulator.expire_tokens()
    assert raw.get("/api/operation").status_code == 401
    raw.login()
    assert raw.get("/api/operation").status_code == 200


def _sessions(clock, **kw) -> Sessions:
    passwords = {Role.CUSTOMER: CUSTOMER, Role.INSTALLER: INSTALLER}
    return Sessions(clock, passwords, Faults(), **kw)


def test_sessions_know_roles_and_refuse_strangers():
    sessions = _sessions(SteppedClock(START))
    token, role = sessions.login("installer", INSTALLER)
    assert role is Role.INSTALLER and sessions.role_of(token) is Role.INSTALLER
    assert sessions.role_of("nonsense") is None and sessions.role_of(None) is None
    for username, password in (("customer", INSTALLER), ("admin", CUSTOMER), ("", "")):
        with pytest.raises(BadCredentials):
            sessions.login(username, password)
    sessions.revoke(token)
    assert sessions.role_of(token) is None


def test_a_good_login_resets_the_count_of_bad_ones():
    sessions = _sessions(SteppedClock(START), lockout_after=3)
    for _ in range(2):
        with pytest.raises(BadCredentials):
            sessions.login("customer", "wrong")
    sessions.login("customer", CUSTOMER)
    for _ in range(2):
        with pytest.raises(BadCredentials):
            sessions.login("customer", "wrong")
    sessions.login("customer", CUSTOMER)  # not locked: never three bad in a row
    with pytest.raises(BadCredentials):
        sessions.login("customer", "wrong")


def test_lock_out_window_runs_on_the_clock():
    clock = SteppedClock(START)
    sessions = _sessions(clock, lockout_after=2, lockout_s=60)
    for _ in range(2):
        with pytest.raises(BadCredentials):
            sessions.login("customer", "wrong")
    with pytest.raises(LockedOut):
        sessions.login("customer", CUSTOMER)
    clock.advance(timedelta(seconds=60))
    assert sessions.login("customer", CUSTOMER)[1] is Role.CUSTOMER


@pytest.mark.parametrize(
    ("authorization", "cookie", "token"),
    [
        ("Bearer abc", "", "abc"),
        ("Bearer abc ", "AuthCookie=xyz", "abc"),
        ("", "UserRecord=r; AuthCookie=xyz", "xyz"),
        # RFC 6265's quoted form, as aiohttp sends a base64 token (with / + =).
        ("", 'UserRecord=r; AuthCookie="ab/c+d=="', "ab/c+d=="),
        ("", "AuthCookie=", None),
        ("Basic abc", "", None),
    ],
)
def test_token_from_bearer_header_or_cookie(authorization, cookie, token):
    assert token_from_headers(authorization, cookie) == token
