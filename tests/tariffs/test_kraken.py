"""The Kraken GraphQL client against a loopback server replaying recorded answers: the token
from the API key, its expiry and refresh, saving sessions, dispatches, joining, and faults
(429, 5xx, malformed JSON, a refused key)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tariffs.credentials import ApiKey
from tariffs.errors import (
    OctopusAuthError,
    OctopusProtocolError,
    OctopusRateLimited,
    OctopusUnavailable,
)
from tariffs.events import DispatchStatus, EventKind
from tariffs.kraken import KrakenClient
from tariffs.octopus import OctopusClient
from tests.tariffs.octopus_server import (
    ACCOUNT,
    API_KEY,
    OctopusServer,
    recorded,
    switching_account,
)

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
        srv.token_expires_at = NOW + timedelta(hours=1)
        yield srv


def client(server: OctopusServer, clock: Clock, *, retries: int = 2, key: str = API_KEY):
    api_key = ApiKey(key)
    transport = OctopusClient(
        server.url, api_key=api_key, now=clock, sleep=lambda s: None, retries=retries
    )
    return KrakenClient(transport, api_key)


def test_a_token_from_the_api_key_serves_every_call_until_it_expires(server):
    clock = Clock(NOW)
    kraken = client(server, clock)
    sessions = kraken.saving_sessions(ACCOUNT)
    kraken.dispatches(ACCOUNT)
    assert kraken.tokens_obtained == 1
    assert server.graphql_inputs == [
        ("obtainKrakenToken", "APIKey"),
        ("savingSessions", "token"),
        ("plannedDispatches", "token"),
    ]
    # 1600 OctoPoints/kWh at 8 points a penny; the first two joined, the third not.
    assert [(e.code, e.price, e.joined) for e in sessions] == [
        ("EVENT_2025_12_04", 200.0, True),
        ("EVENT_2025_12_06", 300.0, True),
        ("EVENT_2025_12_07", 100.0, False),
    ]
    assert {e.kind for e in sessions} == {EventKind.SAVING_SESSION}

    clock.when = NOW + timedelta(minutes=59, seconds=30)  # within a minute of expiry: renew
    kraken.saving_sessions(ACCOUNT)
    assert kraken.tokens_obtained == 2
    assert server.graphql_inputs[-2] == ("obtainKrakenToken", "refreshToken")


def test_a_token_the_api_says_expired_is_renewed_once_and_the_call_made_again(server):
    kraken = client(server, Clock(NOW))
    kraken.saving_sessions(ACCOUNT)
    server.expired_tokens |= set(server.issued)  # the server's clock disagrees with ours
    sessions = kraken.saving_sessions(ACCOUNT)
    assert len(sessions) == 3
    assert kraken.tokens_obtained == 2
    server.expire_every_token = True  # every token refused: an auth error, not a loop
    with pytest.raises(OctopusAuthError):
        kraken.saving_sessions(ACCOUNT)
    assert kraken.tokens_obtained == 3


def test_a_key_octopus_does_not_know_is_an_auth_error_that_never_shows_the_key(server):
    wrong = "sk_live_WrongKeyAlsoNeverPrinted0"
    kraken = client(server, Clock(NOW), key=wrong)
    with pytest.raises(OctopusAuthError) as raised:
        kraken.dispatches(ACCOUNT)
    assert wrong not in str(raised.value) and wrong not in repr(raised.value)


def test_planned_then_completed_dispatches(server):
    kraken = client(server, Clock(NOW))
    first = kraken.dispatches(ACCOUNT)
    assert [(d.start.hour, d.status) for d in first] == [
        (23, DispatchStatus.COMPLETED),
        (0, DispatchStatus.PLANNED),
        (13, DispatchStatus.PLANNED),
    ]
    server.graphql["dispatches"] = recorded("dispatches_completed")
    later = kraken.dispatches(ACCOUNT)
    assert [(d.start.hour, d.status) for d in later] == [
        (23, DispatchStatus.COMPLETED),
        (13, DispatchStatus.COMPLETED),
    ]


def test_joining_a_saving_session(server):
    kraken = client(server, Clock(NOW))
    kraken.join_saving_session(ACCOUNT, "EVENT_2025_12_07")
    assert all(e.joined for e in kraken.saving_sessions(ACCOUNT))


def test_429_holds_every_call_until_retry_after(server):
    clock = Clock(NOW)
    kraken = client(server, clock)
    server.fail_next = [(429, {"Retry-After": "600"})]
    with pytest.raises(OctopusRateLimited):
        kraken.saving_sessions(ACCOUNT)
    calls = len(server.requests)
    with pytest.raises(OctopusRateLimited):
        kraken.saving_sessions(ACCOUNT)
    assert len(server.requests) == calls  # held: nothing sent
    clock.when = NOW + timedelta(minutes=11)
    assert len(kraken.saving_sessions(ACCOUNT)) == 3


def test_5xx_is_retried_then_unavailable(server):
    kraken = client(server, Clock(NOW), retries=1)
    server.fail_next = [503, 502]
    with pytest.raises(OctopusUnavailable):
        kraken.saving_sessions(ACCOUNT)
    server.fail_next = [500]
    assert len(kraken.saving_sessions(ACCOUNT)) == 3  # one retry got through


def test_malformed_json_and_unexpected_shapes_are_protocol_errors(server):
    kraken = client(server, Clock(NOW))
    kraken.saving_sessions(ACCOUNT)  # a token first
    server.bodies["/v1/graphql/"] = '{"data": {"savingSessions": '
    with pytest.raises(OctopusProtocolError, match="expected JSON"):
        kraken.saving_sessions(ACCOUNT)
    del server.bodies["/v1/graphql/"]
    server.graphql["dispatches"] = {"data": {"plannedDispatches": [{"start": "soon"}]}}
    with pytest.raises(OctopusProtocolError, match=r"plannedDispatches\[0\]\.start"):
        kraken.dispatches(ACCOUNT)
