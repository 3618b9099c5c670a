"""Octopus events for planning: from the Kraken API (cached), and from context facts.

:func:`octopus_events` asks the API for saving sessions (and, on an Intelligent tariff, the
car's dispatches) at most every :data:`SESSIONS_TTL` / :data:`DISPATCHES_TTL`, keeps the answer
in ``<state_dir>/octopus-cache/events.json`` (events only: no key, no token) and plans on the
cache, saying how old, when Octopus is out of reach. It never raises for a network or API
problem: planning goes on without events and the note says why. With ``auto_join`` it joins
every saving session not yet joined that has not started.

:func:`context_events` reads the context facts ``saving_session`` (``"17:30-18:30 300"``: a local
window and the reward [p/kWh]) and ``power_up`` (``"13:00-14:00"``, optionally an import price
[p/kWh], default 0), for owners who learn of events elsewhere (MQTT, the dashboard,
``--context``). The window is the next one that has not ended.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from optimiser.domain.errors import WattplanError
from tariffs.access import CACHE_DIR, OctopusAccess
from tariffs.credentials import load_account, load_api_key
from tariffs.errors import EventError, TariffError
from tariffs.events import Dispatch, EventKind, PriceEvent
from tariffs.events_file import EventsFile, events_document
from tariffs.kraken import KrakenClient

SESSIONS_TTL = timedelta(minutes=30)  # sessions are announced a day or more ahead
DISPATCHES_TTL = timedelta(minutes=10)  # dispatches move within the night
CACHE_FILE = "events.json"
SAVING_SESSION_FACT = "saving_session"
POWER_UP_FACT = "power_up"
_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})(?:\s+(-?\d+(?:\.\d+)?))?\s*$")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchedEvents:
    """Events and dispatches for planning, and where they came from in words."""

    events: tuple[PriceEvent, ...] = ()
    dispatches: tuple[Dispatch, ...] = ()
    note: str = ""


def _cache_path(access: OctopusAccess) -> Path | None:
    return None if access.state_dir is None else access.state_dir / CACHE_DIR / CACHE_FILE


def _read_cache(path: Path | None, want_dispatches: bool) -> tuple[FetchedEvents, datetime] | None:
    if path is None or not path.exists():
        return None
    try:
        doc = EventsFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        log.warning("octopus events cache %s unreadable (%s): fetching again", path, exc)
        return None
    if doc.fetched_at is None or (want_dispatches and "dispatches" not in doc.model_fields_set):
        return None
    events = tuple(e.to_event("octopus") for e in doc.events)
    dispatches = tuple(d.to_dispatch("octopus") for d in doc.dispatches)
    return FetchedEvents(events, dispatches), doc.fetched_at


def _write_cache(path: Path | None, fetched: FetchedEvents, at: datetime, dispatches: bool) -> None:
    if path is None:
        return
    doc = events_document(fetched.events, fetched.dispatches, at)
    if not dispatches:
        doc.pop("dispatches")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("octopus: cannot write the events cache %s: %s", path, exc)


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def octopus_events(
    access: OctopusAccess, *, dispatches: bool, auto_join: bool = False
) -> FetchedEvents:
    """Saving sessions (and dispatches) of the logged-in account, live when due, else cached."""
    if access.state_dir is None:
        return FetchedEvents(note="no Octopus events (no state directory)")
    saved = load_account(access.state_dir)
    if saved is None:
        return FetchedEvents(note="no Octopus events (not logged in: `wattplan octopus login`)")
    now = access.now()
    path = _cache_path(access)
    cached = _read_cache(path, dispatches)
    ttl = DISPATCHES_TTL if dispatches else SESSIONS_TTL
    if cached is not None:
        age = (now - cached[1]).total_seconds()
        if age < ttl.total_seconds() or not access.live:
            why = "" if access.live else ", offline"
            return replace(cached[0], note=f"Octopus events from the cache ({_age(age)} old{why})")
    elif not access.live:
        return FetchedEvents(note="no Octopus events (offline, nothing cached)")
    try:
        fetched = _fetch(access, saved.account.number, dispatches, auto_join)
    except (TariffError, WattplanError) as exc:
        if cached is None:
            return FetchedEvents(note=f"no Octopus events: {exc}")
        age = (now - cached[1]).total_seconds()
        return replace(
            cached[0],
            note=f"Octopus events from a STALE cache ({_age(age)} old; refresh failed: {exc})",
        )
    _write_cache(path, fetched, now, dispatches)
    return fetched


def fetch_events_now(
    access: OctopusAccess, *, dispatches: bool = True, join: str | None = None
) -> FetchedEvents:
    """Saving sessions and dispatches read now by a command (patient, retried; raises on
    failure), after joining the session ``join`` when given; the cache is updated."""
    saved = load_account(access.state_dir) if access.state_dir is not None else None
    if saved is None:
        raise EventError("no Octopus account saved", hint="run `wattplan octopus login`")
    client = _client(access, command=True)
    if join is not None:
        client.join_saving_session(saved.account.number, join)
    fetched = _fetch(access, saved.account.number, dispatches, False, client)
    _write_cache(_cache_path(access), fetched, access.now(), dispatches)
    return fetched


def _client(access: OctopusAccess, *, command: bool) -> KrakenClient:
    key = load_api_key(access.state_dir) if access.state_dir is not None else None
    if key is None:
        raise EventError("no stored API key", hint="run `wattplan octopus login`")
    transport = access.command_client(key) if command else access.planning_client(key)
    return KrakenClient(transport, key)


def _fetch(
    access: OctopusAccess,
    account: str,
    want_dispatches: bool,
    auto_join: bool,
    client: KrakenClient | None = None,
) -> FetchedEvents:
    client = client if client is not None else _client(access, command=False)
    events = client.saving_sessions(account)
    notes = ["Octopus events live"]
    if auto_join:
        events, joined = _join_new(client, account, events, access.now())
        notes += joined
    dispatches = client.dispatches(account) if want_dispatches else ()
    return FetchedEvents(events, dispatches, "; ".join(notes))


def _join_new(
    client: KrakenClient, account: str, events: tuple[PriceEvent, ...], now: datetime
) -> tuple[tuple[PriceEvent, ...], list[str]]:
    """Join saving sessions not joined and not started (``octopus.auto_join``)."""
    out, notes = [], []
    for event in events:
        if event.kind is EventKind.SAVING_SESSION and not event.joined and event.start > now:
            try:
                client.join_saving_session(account, event.code)
            except TariffError as exc:
                notes.append(f"could not join saving session {event.code}: {exc}")
            else:
                notes.append(f"joined saving session {event.code}")
                out.append(replace(event, joined=True))
                continue
        out.append(event)
    return tuple(out), notes


def context_events(
    facts: Mapping[str, object], now: datetime, tz: ZoneInfo
) -> tuple[PriceEvent, ...]:
    """Events from the context facts ``saving_session`` and ``power_up`` (see module doc)."""
    out = []
    for key, kind in (
        (SAVING_SESSION_FACT, EventKind.SAVING_SESSION),
        (POWER_UP_FACT, EventKind.POWER_UP),
    ):
        value = facts.get(key)
        if value is None or value is False:
            continue
        match = _WINDOW.match(str(value))
        if not match:
            raise EventError(
                f"context {key}: expected a local window and a price like '17:30-18:30 300', "
                f"got {value!r}"
            )
        h1, m1, h2, m2 = (int(match[i]) for i in range(1, 5))
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
            raise EventError(f"context {key}: {value!r} is not a window of clock times")
        if kind is EventKind.SAVING_SESSION and match[5] is None:
            raise EventError(
                f"context {key}: give the reward after the window, e.g. '17:30-18:30 300' "
                f"(p/kWh), got {value!r}"
            )
        price = float(match[5]) if match[5] is not None else 0.0
        start, end = _next_window(time(h1, m1), (h2 * 60 + m2) % 1440, now, tz)
        out.append(PriceEvent(kind, start, end, price, source="context"))
    return tuple(out)


def _next_window(
    start: time, end_minute: int, now: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """The first local window [start, end) that has not ended at ``now``."""
    local = now.astimezone(tz)
    for days in (-1, 0, 1):
        day = local.date() + timedelta(days=days)
        a = datetime.combine(day, start, tz)
        b = datetime.combine(day, time(end_minute // 60, end_minute % 60), tz)
        if b <= a:
            b = datetime.combine(day + timedelta(days=1), b.time(), tz)
        if b > now:
            return a, b
    raise AssertionError("a window within a day always ends after now within two days")
