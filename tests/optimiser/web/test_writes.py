"""The write endpoints: 403 without the token, 400 naming the field for a bad body, and with
the token the service takes the message (an override reaches the plan and the device)."""

from __future__ import annotations

import pytest

from optimiser.service.inbox import ManualMode
from tests.optimiser.web.conftest import TOKEN, serve

AUTH = {"Authorization": f"Bearer {TOKEN}"}
WRITES = [
    ("api/context/storm_warning", {"value": True, "expires_minutes": 360}),
    ("api/mode", {"mode": "hold", "ttl_minutes": 120}),
    ("api/reserve-floor", {"percent": 40}),
    ("api/control", {"on": False}),
    ("api/replan", {}),
]


@pytest.mark.parametrize(("path", "body"), WRITES)
def test_writes_without_the_right_token_are_refused_and_change_nothing(served, path, body):
    served.run(10)
    for headers in ({}, {"Authorization": "Bearer wrong-token-of-some-length"}, {"X": TOKEN}):
        response = served.post(path, json=body, headers=headers)
        assert response.status_code == 403
        assert "Bearer" in response.json()["error"]
    assert served.service.inbox.pending() == 0


def test_with_no_token_file_every_write_is_403(house):
    site = serve(house, token_file=None)
    try:
        response = site.post("api/replan", json={}, headers=AUTH)
        assert response.status_code == 403
        assert "web.token_file" in response.json()["error"]
    finally:
        site.dashboard.stop()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("api/mode", {"mode": "party"}, "mode"),
        ("api/mode", {"mode": "hold", "ttl_minutes": -5}, "ttl_minutes"),
        ("api/reserve-floor", {"percent": 140}, "percent"),
        ("api/reserve-floor", {}, "percent"),
        ("api/control", {"on": "yes"}, "on"),
        ("api/context/storm_warning", {"value": True, "colour": "red"}, "colour"),
        ("api/context/Not-A-Key", {"value": True}, "key"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(served, path, body, field):
    response = served.post(path, json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert served.service.inbox.pending() == 0


def test_a_manual_hold_reaches_the_service_and_the_plan(served):
    served.run(10)
    response = served.post("api/mode", json={"mode": "hold", "ttl_minutes": 60}, headers=AUTH)
    assert response.status_code == 202
    assert response.json()["accepted"] == "ModeOverride"
    plans = served.service.stats.plans
    served.run(5)  # the service wakes for the message and re-plans
    home = served.service.inbox.current()
    assert home is not None and home.override is not None
    assert home.override.mode is ManualMode.HOLD
    assert served.service.stats.plans > plans
    fact = served.post("api/context/storm_warning", json={"value": True}, headers=AUTH)
    assert fact.status_code == 202
    served.run(5)
    assert "storm_warning" in served.service.inbox.current().facts
