"""Octopus events for planning from the loopback server: fetched when due, cached in between
(polite), the cache (said stale) when Octopus fails, auto-join, nothing without a login."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tariffs import OctopusAccess
from tariffs.account_tariff import login
from tariffs.credentials import ApiKey
from tariffs.events import DispatchStatus
from tariffs.live_events import DISPATCHES_TTL, SESSIONS_TTL, octopus_events
from tests.tariffs.octopus_server import ACCOUNT, API_KEY, OctopusServer, switching_account

NOW = datetime(2025, 12, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, when: datetime):
        self.when = when

    def __call__(self) -> datetime:
        return self.when


@pytest.fixture
def server():
    with OctopusServer() as srv:
        srv.accounts[ACCOUNT] = {
            "key": API_KEY,
            "payload": switching_account("2025-01-01T00:00:00Z"),
        }
        yield srv


def logged_in(server: OctopusServer, tmp_path, clock: Clock) -> OctopusAccess:
    access = OctopusAccess(server.url, tmp_path / "state", now=clock, sleep=lambda s: None)
    login(access, ACCOUNT, ApiKey(API_KEY))
    return access


def test_events_are_fetched_when_due_and_cached_in_between(server, tmp_path):
    clock = Clock(NOW)
    access = logged_in(server, tmp_path, clock)
    first = octopus_events(access, dispatches=True)
    assert first.note == "Octopus events live"
    assert len(first.events) == 3
    assert {d.status for d in first.dispatches} == {
        DispatchStatus.PLANNED,
        DispatchStatus.COMPLETED,
    }
    calls = len(server.requests)
    clock.when = NOW + DISPATCHES_TTL - timedelta(seconds=1)
    cached = octopus_events(access, dispatches=True)
    assert len(server.requests) == calls  # nothing asked
    assert cached.note.startswith("Octopus events from the cache (9 min old")
    assert cached.events == first.events and cached.dispatches == first.dispatches
    # Sessions alone keep longer; the cache with dispatches serves them too.
    clock.when = NOW + SESSIONS_TTL - timedelta(minutes=1)
    octopus_events(access, dispatches=False)
    assert len(server.requests) == calls


def test_octopus_failing_plans_on_the_cache_and_says_it_is_stale(server, tmp_path):
    clock = Clock(NOW)
    access = logged_in(server, tmp_path, clock)
    octopus_events(access, dispatches=False)
    clock.when = NOW + SESSIONS_TTL + timedelta(minutes=1)
    server.fail_next = [503]
    stale = octopus_events(access, dispatches=False)
    assert "STALE cache (31 min old; refresh failed" in stale.note
    assert len(stale.events) == 3


def test_nothing_cached_and_octopus_down_is_a_note_not_an_error(server, tmp_path):
    access = logged_in(server, tmp_path, Clock(NOW))
    server.fail_next = [(429, {"Retry-After": "900"})]
    fetched = octopus_events(access, dispatches=True)
    assert fetched.events == () and "no Octopus events" in fetched.note
    assert "429" in fetched.note


def test_auto_join_joins_new_sessions_that_have_not_started(server, tmp_path):
    access = logged_in(server, tmp_path, Clock(NOW))
    fetched = octopus_events(access, dispatches=False, auto_join=True)
    assert "joined saving session EVENT_2025_12_07" in fetched.note
    assert all(e.joined for e in fetched.events)
    assert ("joinSavingSessionsEvent", "token") in server.graphql_inputs


def test_not_logged_in_asks_nothing(server, tmp_path):
    access = OctopusAccess(server.url, tmp_path / "state", now=Clock(NOW))
    fetched = octopus_events(access, dispatches=True)
    assert fetched.events == () and "not logged in" in fetched.note
    assert server.requests == []
