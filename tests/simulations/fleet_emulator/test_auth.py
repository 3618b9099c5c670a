"""Fleet OAuth: bearer tokens that expire on the clock, single-use refresh tokens."""

from __future__ import annotations

from datetime import timedelta

import requests

from optimiser.domain.clock import SteppedClock
from simulations.fleet_emulator import FleetEmulator
from simulations.fleet_emulator.auth import OAuthTokens
from tests.simulations.fleet_emulator.conftest import START, call, flat_site, refresh


def test_bearer_token_is_required(emulator):
    assert call(emulator, "GET", "site_info", token="nope").status_code == 401
    assert call(emulator, "GET", "nothing").status_code == 404
    assert call(emulator, "GET", "site_info").status_code == 200
    assert emulator.requests[0] == ("GET", "site_info", 401)


def test_token_expires_on_the_clock_and_refresh_rotates(clock):
    with FleetEmulator(flat_site(clock), token_lifetime_s=600) as emulator:
        clock.advance(timedelta(minutes=10))
        assert call(emulator, "GET", "live_status").status_code == 401
        old_refresh = emulator.refresh_token
        answer = refresh(emulator, old_refresh)
        assert answer.status_code == 200
        grant = answer.json()
        assert grant["token_type"] == "Bearer" and grant["expires_in"] == 600
        assert grant["refresh_token"] == emulator.refresh_token != old_refresh
        fresh = grant["access_token"]
        assert call(emulator, "GET", "live_status", token=fresh).status_code == 200
        assert refresh(emulator, old_refresh).status_code == 401  # a refresh token is good once
        bad_grant = requests.post(
            f"{emulator.url}/oauth2/v3/token", data={"grant_type": "password"}, timeout=5
        )
        assert bad_grant.status_code == 400
    assert emulator.requests[-1] == ("POST", "oauth", 400)


def test_expire_tokens_keeps_the_refresh_token(emulator):
    emulator.expire_tokens()
    assert call(emulator, "GET", "live_status").status_code == 401
    assert refresh(emulator, emulator.refresh_token).status_code == 200
    assert call(emulator, "GET", "live_status").status_code == 200


def test_tokens_without_a_lifetime_never_expire():
    clock = SteppedClock(START)
    tokens = OAuthTokens(clock)
    clock.advance(timedelta(days=365))
    assert tokens.valid(tokens.access_token)
    assert not tokens.valid("") and not tokens.valid("made-up")
    grant = tokens.refresh(tokens.refresh_token)
    assert grant is not None and grant.expires_in == 28800
