"""Live rates by default: publication at 16:00, the cache, the snapshot, and politeness.

A loopback Octopus serves two days of Agile (14th 23:00Z → 16th 23:00Z, January 2025, so UK
time is UTC) and hides what is not published yet; the clock is injected.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from optimiser.domain.slots import SlotGrid
from tariffs import OctopusAccess, OctopusProtocolError, OctopusRateLimited, get_tariff
from tariffs.freshness import (
    Coverage,
    last_publication,
    planning_windows,
    publishable_until,
    refresh_due,
)
from tariffs.journal import KEEP, Call, CallJournal, HoldKind, endpoint_of
from tariffs.octopus import retry_after_s
from tests.tariffs.octopus_server import OctopusServer, agile_price, agile_rows

AGILE = "E-1R-AGILE-24-10-01-E"
OUTGOING = "E-1R-AGILE-OUTGOING-19-05-13-E"
UNIT_PATH = f"/v1/products/AGILE-24-10-01/electricity-tariffs/{AGILE}/standard-unit-rates/"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def publish(server, until: str) -> None:
    server.published_until[AGILE] = server.published_until[OUTGOING] = until


@pytest.fixture
def server():
    with OctopusServer() as srv:
        rows = agile_rows(utc(2025, 1, 14, 23), 96)
        srv.data["rates"][AGILE]["standard-unit-rates"] = rows
        srv.data["rates"][OUTGOING]["standard-unit-rates"] = [
            dict(r, value_inc_vat=r["value_inc_vat"] / 2) for r in rows
        ]
        publish(srv, "2025-01-15T23:00:00Z")  # before the 15th's 16:00 publication
        yield srv


@pytest.fixture
def clock():
    return Clock(utc(2025, 1, 15, 15))


def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def agile(url: str, state, clock, sleeps: list | None = None):
    access = OctopusAccess(
        url, state, now=clock, sleep=(sleeps if sleeps is not None else []).append
    )
    return get_tariff("agile", "E", access=access)


def two_days():
    return SlotGrid.local_days(date(2025, 1, 15), 2)


def unit_calls(server) -> int:
    return sum(r.startswith(UNIT_PATH) for r in server.requests)


# -- publication and the cache -----------------------------------------------------------------


def test_before_16_00_tomorrow_is_estimated_after_it_is_published(server, tmp_path, clock):
    prices = agile(server.url, tmp_path, clock).prices(two_days())
    known = prices.grid.count - 50  # 15th 23:00 → 17th 00:00 unpublished
    assert not prices.estimated_slots[:known].any() and prices.estimated_slots[known:].all()
    assert prices.import_price[0] == agile_price(2)  # rows start at 14th 23:00
    assert "live (fetched 2025-01-15 15:00 UTC)" in prices.source
    assert "50 of 96 slots with no published rate: ESTIMATED from bundled snapshot" in (
        prices.source
    )
    calls = unit_calls(server)

    clock.now = utc(2025, 1, 15, 15, 40)  # nothing new can be out yet: no call
    prices = agile(server.url, tmp_path, clock).prices(two_days())
    assert unit_calls(server) == calls
    assert "cache (fetched 2025-01-15 15:00 UTC, 40 min old)" in prices.source
    assert "STALE" not in prices.source and prices.estimated_slots.sum() == 50

    clock.now = utc(2025, 1, 15, 16, 5)
    publish(server, "2025-01-16T23:00:00Z")
    prices = agile(server.url, tmp_path, clock).prices(two_days())
    assert unit_calls(server) == calls + 1
    assert "live (fetched 2025-01-15 16:05 UTC)" in prices.source
    assert prices.estimated_slots.sum() == 2  # the 16th 23:00 → 17th 00:00 only
    assert prices.import_price[-3] == agile_price(47)


def test_late_publication_is_polled_every_30_minutes_not_more(server, tmp_path, clock):
    agile(server.url, tmp_path, clock)
    calls = unit_calls(server)
    for minute, expected in ((5, calls + 1), (20, calls + 1), (36, calls + 2), (50, calls + 2)):
        clock.now = utc(2025, 1, 15, 16, minute)
        agile(server.url, tmp_path, clock)
        assert unit_calls(server) == expected, minute
    publish(server, "2025-01-16T23:00:00Z")
    clock.now = utc(2025, 1, 15, 17, 7)
    prices = agile(server.url, tmp_path, clock).prices(two_days())
    assert unit_calls(server) == calls + 3 and prices.estimated_slots.sum() == 2
    clock.now = utc(2025, 1, 15, 22)  # published: nothing to fetch until tomorrow's 16:00
    agile(server.url, tmp_path, clock)
    assert unit_calls(server) == calls + 3


def test_offline_the_cache_is_used_and_a_stale_one_says_so(server, tmp_path, clock):
    agile(server.url, tmp_path, clock)
    offline = closed_url()
    clock.now = utc(2025, 1, 15, 15, 30)  # not due: the cache is fine, no call at all
    prices = agile(offline, tmp_path, clock).prices(two_days())
    assert "cache (fetched 2025-01-15 15:00 UTC, 30 min old)" in prices.source
    assert "STALE" not in prices.source

    clock.now = utc(2025, 1, 15, 17)  # due (published since): the fetch fails
    prices = agile(offline, tmp_path, clock).prices(two_days())
    assert "cache (fetched 2025-01-15 15:00 UTC, 2 h old; STALE: refresh failed: " in (
        prices.source
    )
    assert "refresh failed: cannot connect" in prices.source
    assert prices.estimated_slots.sum() == 50  # published rates still priced as published
    journal = CallJournal(tmp_path / "octopus-calls.json")
    failed = [c for c in journal.calls() if c.status is None]
    assert len(failed) == 1 and failed[0].outcome.startswith("cannot connect")
    hold = journal.active_hold(clock.now, (HoldKind.UNREACHABLE,))
    assert hold is not None and hold.until == clock.now + timedelta(minutes=10)

    clock.now = utc(2025, 1, 15, 17, 5)  # the failure is remembered: no second attempt
    calls = len(journal.calls())
    prices = agile(offline, tmp_path, clock).prices(two_days())
    assert len(journal.calls()) == calls
    assert "not calling Octopus before 17:10:00 UTC" in prices.source


def test_offline_with_no_cache_the_snapshot_prices_every_slot_flagged(tmp_path, clock):
    prices = agile(closed_url(), tmp_path, clock).prices(two_days())
    assert prices.estimated_slots.all()
    assert "no Octopus rates (cannot connect" in prices.source
    assert "ESTIMATED from bundled snapshot octopus-snapshot-2025-03-01.json" in prices.source


def test_a_settled_past_is_fetched_once(server, tmp_path, clock):
    publish(server, "2025-01-17T00:00:00Z")
    clock.now = utc(2025, 3, 1, 12)
    access = OctopusAccess(server.url, tmp_path, now=clock)
    period = {"period_from": utc(2025, 1, 15), "period_to": utc(2025, 1, 16)}
    get_tariff("agile", "E", access=access, **period)
    calls = len(server.requests)
    clock.now = utc(2025, 3, 9, 17)
    get_tariff("agile", "E", access=access, **period)
    assert len(server.requests) == calls


# -- politeness --------------------------------------------------------------------------------


def test_429_with_a_long_retry_after_holds_every_call_until_then(server, tmp_path, clock):
    server.fail_next = [(429, {"Retry-After": "120"})]
    prices = agile(server.url, tmp_path, clock).prices(two_days())
    assert "HTTP 429" in prices.source and prices.estimated_slots.all()
    calls = len(server.requests)
    assert calls == 1  # the first 429 stops the import, standing and export fetches
    clock.now += timedelta(seconds=60)
    agile(server.url, tmp_path, clock)
    assert len(server.requests) == calls
    clock.now += timedelta(seconds=61)
    prices = agile(server.url, tmp_path, clock).prices(two_days())
    assert len(server.requests) > calls and "live" in prices.source
    journal = CallJournal(tmp_path / "octopus-calls.json")
    assert journal.calls()[0].outcome == "HTTP 429 (Retry-After 120)"
    with pytest.raises(OctopusRateLimited):  # commands respect it too
        server.fail_next = [(429, {"Retry-After": "300"})]
        clock.now += timedelta(days=1)
        access = OctopusAccess(server.url, tmp_path, now=clock, sleep=lambda _: None)
        get_tariff("agile", "E", access=access, strict=True)
    calls = len(server.requests)
    with pytest.raises(OctopusRateLimited, match="not calling Octopus before"):
        get_tariff("agile", "E", access=access, strict=True)
    assert len(server.requests) == calls


def test_a_short_retry_after_is_waited_out_by_a_command(server, tmp_path, clock):
    server.fail_next = [(429, {"Retry-After": "2"})]
    sleeps: list[float] = []
    access = OctopusAccess(server.url, tmp_path, now=clock, sleep=sleeps.append)
    tariff = get_tariff("agile", "E", access=access, strict=True)
    assert sleeps == [2.0] and "live" in tariff.source


def test_retry_after_as_an_http_date():
    response = requests.Response()
    response.headers["Retry-After"] = "Wed, 15 Jan 2025 15:02:00 GMT"
    assert retry_after_s(response, utc(2025, 1, 15, 15)) == 120.0
    response.headers["Retry-After"] = "soon"
    assert retry_after_s(response, utc(2025, 1, 15, 15)) is None


def test_5xx_and_malformed_json_fall_back_and_are_recorded(server, tmp_path, clock):
    server.fail_next = [503]
    prices = agile(server.url, tmp_path, clock).prices(two_days())
    assert "no Octopus rates (HTTP 503)" in prices.source and prices.estimated_slots.all()
    journal = CallJournal(tmp_path / "octopus-calls.json")
    assert [c.status for c in journal.calls()] == [503]
    assert journal.active_hold(clock.now, (HoldKind.UNREACHABLE,)) is not None

    clock.now += timedelta(minutes=11)
    server.bodies[UNIT_PATH] = '{"count": 48, "results": [{"value_inc_vat": '
    prices = agile(server.url, tmp_path, clock).prices(two_days())
    assert "Octopus answered something unexpected" in prices.source
    assert journal.calls()[1].outcome == "malformed JSON" and journal.calls()[1].status == 200
    access = OctopusAccess(server.url, tmp_path, now=clock, sleep=lambda _: None)
    with pytest.raises(OctopusProtocolError, match="expected JSON"):
        get_tariff("agile", "E", access=access, strict=True)


# -- the pure parts ----------------------------------------------------------------------------


def test_publication_times_follow_uk_time():
    assert last_publication(utc(2025, 1, 15, 15, 59)) == utc(2025, 1, 14, 16)
    assert last_publication(utc(2025, 7, 15, 15, 0)) == utc(2025, 7, 15, 15)  # 16:00 BST
    assert publishable_until(utc(2025, 1, 15, 16)) == utc(2025, 1, 16, 23)
    needed, window = planning_windows(utc(2025, 7, 15, 23, 30))  # 00:30 BST on the 16th
    assert needed == (utc(2025, 7, 15, 23), utc(2025, 7, 17, 23))
    assert window == (utc(2025, 7, 15, 23), utc(2025, 7, 18, 23))


@pytest.mark.parametrize(
    ("known_until", "fetched", "now", "due"),
    [
        (utc(2025, 1, 15, 23), utc(2025, 1, 15, 9), utc(2025, 1, 15, 12), False),  # wait for 16:00
        (utc(2025, 1, 15, 23), utc(2025, 1, 15, 9), utc(2025, 1, 15, 16, 1), True),  # published
        (utc(2025, 1, 15, 23), utc(2025, 1, 15, 16, 5), utc(2025, 1, 15, 16, 20), False),
        (utc(2025, 1, 15, 23), utc(2025, 1, 15, 16, 5), utc(2025, 1, 15, 16, 35), True),  # late
        (utc(2025, 1, 16, 23), utc(2025, 1, 15, 16, 5), utc(2025, 1, 15, 23, 0), False),
        (None, utc(2025, 1, 15, 9), utc(2025, 1, 15, 12), False),  # open-ended: once a day
        (None, utc(2025, 1, 15, 9), utc(2025, 1, 15, 17), True),
    ],
)
def test_refresh_is_due_only_when_prices_can_have_changed(known_until, fetched, now, due):
    cached = Coverage(utc(2025, 1, 15), utc(2025, 1, 18), fetched, known_until)
    assert refresh_due(cached, utc(2025, 1, 15), utc(2025, 1, 17), now) is due
    assert refresh_due(None, utc(2025, 1, 15), utc(2025, 1, 17), now) is True
    assert refresh_due(cached, utc(2025, 1, 16), utc(2025, 1, 19), now) is True  # not asked


def test_the_journal_keeps_the_last_calls_and_no_account_number(tmp_path):
    assert endpoint_of("https://x/v1/accounts/A-1234ABCD/?a=1") == "/v1/accounts/…/"
    journal = CallJournal(tmp_path / "calls.json")
    for i in range(KEEP + 5):
        journal.record(Call(utc(2025, 1, 1) + timedelta(minutes=i), "/v1/x/", 200, "ok", 1.0))
    calls = journal.calls()
    assert len(calls) == KEEP and calls[-1].at == utc(2025, 1, 1) + timedelta(minutes=KEEP + 4)
    (tmp_path / "calls.json").write_text("{not json")
    assert CallJournal(tmp_path / "calls.json").calls() == []
    journal.hold(HoldKind.UNREACHABLE, utc(2025, 1, 2), "cannot connect")
    journal.record(Call(utc(2025, 1, 1, 12), "/v1/x/", 200, "ok", 1.0))  # an answer lifts it
    assert journal.active_hold(utc(2025, 1, 1, 13), tuple(HoldKind)) is None
    assert json.loads((tmp_path / "calls.json").read_text())["holds"] == {}
