"""What the home sends on ``<prefix>/<command>/set``, validated into inbox messages (pure).

Every payload is JSON, at most :data:`MAX_PAYLOAD_BYTES`:

=========================  ==================================================================
``mode/set``               ``{"mode": "hold", "ttl_minutes": 120}`` or ``"hold"``; modes
                           ``auto`` (end the override), ``hold``, ``charge``, ``export``,
                           ``self_powered``; the time to live defaults to
                           ``mqtt.override_ttl_minutes``
``reserve_floor/set``      ``{"percent": 40}`` or ``40`` (Tesla app scale); ``null`` removes it
``control/set``            ``{"on": false}`` or ``false`` (off = dry run)
``replan/set``             ``{}`` or ``true``
``context/<key>/set``      ``{"value": true, "expires": "6h"}`` or ``true``; ``value`` a bool,
                           number or short text (``null`` withdraws the fact); ``expires`` a
                           duration (``90m``, ``6h``, ``2d``) or an aware ISO time
=========================  ==================================================================

Anything else (not JSON, a wrong type, an unknown key, a value out of range, an unknown
command or context key, a retained command) is a :class:`CommandRejected` naming the topic and
why; it changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError
from optimiser.mqtt.topics import Command, Topics
from optimiser.service.home import OVERRIDE_KEY
from optimiser.service.inbox import (
    ContextFact,
    ControlSwitch,
    Expiry,
    HomeMessage,
    ManualMode,
    ModeOverride,
    ReplanNow,
    ReserveFloor,
)

MAX_PAYLOAD_BYTES = 4096
MAX_TTL_MINUTES = 7 * 24 * 60
MAX_EXPIRY = timedelta(days=366)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SOURCE = "mqtt"


class CommandRejected(WattplanError, ValueError):
    """A command from the home cannot be used; it changes nothing (the sender is told)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE

    def __init__(self, command: str, why: str) -> None:
        super().__init__(f"{command}/set: {why}")
        self.command = command
        self.why = why


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Mode(_Strict):
    mode: ManualMode
    ttl_minutes: StrictInt | StrictFloat | None = Field(None, gt=0, le=MAX_TTL_MINUTES)


class _Floor(_Strict):
    percent: Annotated[StrictInt | StrictFloat, Field(ge=0, le=100)] | None


class _Control(_Strict):
    on: StrictBool


class _Replan(_Strict):
    pass


ContextScalar = StrictBool | StrictInt | StrictFloat | Annotated[StrictStr, Field(max_length=100)]


class _Fact(_Strict):
    value: ContextScalar | None
    expires: Annotated[StrictStr, Field(max_length=40)] | None = None


def _validation_reason(exc: PydanticValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "payload"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def parse_command(
    topic: str,
    payload: bytes,
    *,
    topics: Topics,
    context_keys: Collection[str],
    default_ttl: timedelta,
    now: datetime,
    retained: bool = False,
) -> HomeMessage:
    """The inbox message a ``…/set`` publication stands for; raises :class:`CommandRejected`.

    ``now`` only checks that an absolute expiry lies ahead (a duration is resolved by the
    service on its own clock).
    """
    path = topics.command_path(topic)
    if path is None:
        raise CommandRejected(topic, "not a wattplan command topic")
    if retained:
        raise CommandRejected(path, "retained commands are ignored: publish without retain")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise CommandRejected(
            path, f"expected at most {MAX_PAYLOAD_BYTES} bytes of JSON, got {len(payload)}"
        )
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CommandRejected(path, f"expected JSON, got {_preview(payload)} ({exc})") from None
    head, _, key = path.partition("/")
    try:
        command = Command(head)
    except ValueError:
        known = ", ".join(c.value for c in Command if c is not Command.CONTEXT)
        raise CommandRejected(
            path, f"unknown command; expected one of {known} or context/<key>"
        ) from None
    if (command is Command.CONTEXT) != bool(key):
        raise CommandRejected(path, "unknown command; context facts go to context/<key>/set")
    try:
        if command is Command.MODE:
            model = _Mode.model_validate({"mode": data} if isinstance(data, str) else data)
            minutes = model.ttl_minutes
            ttl = timedelta(minutes=minutes) if minutes is not None else default_ttl
            return ModeOverride(model.mode, ttl, SOURCE)
        if command is Command.RESERVE_FLOOR:
            floor = _Floor.model_validate(data if isinstance(data, dict) else {"percent": data})
            return ReserveFloor(None if floor.percent is None else float(floor.percent), SOURCE)
        if command is Command.CONTROL:
            switch = _Control.model_validate(data if isinstance(data, dict) else {"on": data})
            return ControlSwitch(switch.on, SOURCE)
        if command is Command.REPLAN:
            if data is not True:
                _Replan.model_validate(data)
            return ReplanNow(SOURCE)
        return _context(path, key, data, context_keys, now)
    except PydanticValidationError as exc:
        raise CommandRejected(path, _validation_reason(exc)) from None


def _context(
    path: str, key: str, data: Any, context_keys: Collection[str], now: datetime
) -> ContextFact:
    if key == OVERRIDE_KEY:
        raise CommandRejected(path, f"{OVERRIDE_KEY} is set through mode/set")
    if not _KEY.match(key) or key not in context_keys:
        known = ", ".join(sorted(context_keys)) or "none"
        raise CommandRejected(path, f"unknown context key {key!r}; known keys: {known}")
    fact = _Fact.model_validate(data if isinstance(data, dict) else {"value": data})
    return ContextFact(key, fact.value, _expiry(path, fact.expires, now), SOURCE)


def _expiry(path: str, text: str | None, now: datetime) -> Expiry:
    if text is None:
        return None
    match = _DURATION.match(text.strip())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match[2]]
        duration = timedelta(**{unit: float(match[1])})
        if not timedelta(0) < duration <= MAX_EXPIRY:
            raise CommandRejected(path, f"expires: expected up to 366 days, got {text!r}")
        return duration
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CommandRejected(
            path, f"expires: expected a duration like 6h or an ISO time, got {text!r}"
        ) from None
    if when.tzinfo is None:
        raise CommandRejected(path, f"expires: {text!r} needs a time zone (…Z or +00:00)")
    if when <= now:
        raise CommandRejected(path, f"expires: {text!r} has already passed")
    if when - now > MAX_EXPIRY:
        raise CommandRejected(path, f"expires: {text!r} is more than 366 days ahead")
    return when


def _preview(payload: bytes, limit: int = 40) -> str:
    text = payload[:limit].decode("utf-8", errors="replace")
    return repr(text + ("…" if len(payload) > limit else ""))
