"""The API's write endpoints: the home's messages to the service, behind a bearer token.

Each ``POST`` validates its JSON body into one :mod:`optimiser.service.inbox` message (the same
messages MQTT's ``…/set`` topics produce) and puts it in the service's inbox; the service takes
it at once and re-plans through the one planning path, so an override reaches the device
through the same safety rule and command budget as the planner's own decisions.

=============================  ===========================================================
``POST api/context/{key}``     ``{"value": true, "expires_minutes": 360}`` (or
                               ``"expires_at"``: an aware ISO time); ``value`` null withdraws
``POST api/mode``              ``{"mode": "hold", "ttl_minutes": 120}``; ``auto`` ends it
``POST api/reserve-floor``     ``{"percent": 40}`` (Tesla app scale); null removes it
``POST api/control``           ``{"on": false}`` (off: dry run, nothing sent)
``POST api/replan``            ``{}``
=============================  ===========================================================

Only with ``Authorization: Bearer <token>`` matching ``web.token_file``; with no token file,
or a missing or wrong token, every write answers 403 and changes nothing. The token is
compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import FastAPI, Header, HTTPException, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, StrictBool

from optimiser.service.home import OVERRIDE_KEY
from optimiser.service.inbox import (
    ContextFact,
    ControlSwitch,
    HomeMessage,
    Inbox,
    ManualMode,
    ModeOverride,
    ReplanNow,
    ReserveFloor,
)
from optimiser.web.views import Json, iso

SOURCE = "web"
MAX_TTL_MINUTES = 7 * 24 * 60
MAX_EXPIRY_MINUTES = 366 * 24 * 60
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
_BEARER = re.compile(r"^Bearer\s+(\S+)$")


Auth = Annotated[str | None, Header(include_in_schema=False)]
"""The ``Authorization`` header (module level: the route annotations are strings)."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactBody(_Body):
    value: StrictBool | int | float | Annotated[str, Field(max_length=100)] | None
    expires_minutes: float | None = Field(None, gt=0, le=MAX_EXPIRY_MINUTES)
    expires_at: AwareDatetime | None = None


class ModeBody(_Body):
    mode: ManualMode
    ttl_minutes: float = Field(60.0, gt=0, le=MAX_TTL_MINUTES)


class FloorBody(_Body):
    percent: float | None = Field(..., ge=0, le=100)


class ControlBody(_Body):
    on: StrictBool


class ReplanBody(_Body):
    pass


def install(
    app: FastAPI, inbox: Inbox | None, token: SecretStr | None, now: Callable[[], datetime]
):
    """Add the write endpoints to ``app`` (see the module docstring)."""

    def authorised(authorization: str | None) -> Inbox:
        if token is None:
            raise HTTPException(403, "writes are off: set web.token_file to enable them")
        match = _BEARER.match(authorization or "")
        given = match.group(1).encode() if match else b""
        if not hmac.compare_digest(given, token.get_secret_value().encode()):
            raise HTTPException(403, "a valid 'Authorization: Bearer <token>' is required")
        if inbox is None:
            raise HTTPException(503, "no service takes messages here (wattplan dashboard)")
        return inbox

    def accept(target: Inbox, message: HomeMessage) -> Json:
        target.put(message)
        return {"accepted": type(message).__name__, "at": iso(now()), "pending": target.pending()}

    @app.post("/api/context/{key}", summary="Set or withdraw a context fact", status_code=202)
    def set_fact(
        body: FactBody,
        key: Annotated[str, Path(pattern=KEY_PATTERN)],
        authorization: Auth = None,
    ) -> Json:
        target = authorised(authorization)
        if key == OVERRIDE_KEY:
            raise HTTPException(400, f"{OVERRIDE_KEY} is set through api/mode")
        if body.expires_minutes is not None and body.expires_at is not None:
            raise HTTPException(400, "give expires_minutes or expires_at, not both")
        expires: datetime | timedelta | None = None
        if body.expires_minutes is not None:
            expires = timedelta(minutes=body.expires_minutes)
        elif body.expires_at is not None:
            if body.expires_at <= now():
                raise HTTPException(400, f"expires_at {body.expires_at.isoformat()} has passed")
            expires = body.expires_at
        return accept(target, ContextFact(key, body.value, expires, SOURCE))

    @app.post("/api/mode", summary="Override the plan for a while (auto ends it)", status_code=202)
    def set_mode(body: ModeBody, authorization: Auth = None) -> Json:
        target = authorised(authorization)
        return accept(target, ModeOverride(body.mode, timedelta(minutes=body.ttl_minutes), SOURCE))

    @app.post("/api/reserve-floor", summary="Keep at least this much stored", status_code=202)
    def set_floor(body: FloorBody, authorization: Auth = None) -> Json:
        return accept(authorised(authorization), ReserveFloor(body.percent, SOURCE))

    @app.post("/api/control", summary="Control on, or off (dry run)", status_code=202)
    def set_control(body: ControlBody, authorization: Auth = None) -> Json:
        return accept(authorised(authorization), ControlSwitch(body.on, SOURCE))

    @app.post("/api/replan", summary="Plan and decide again now", status_code=202)
    def replan(body: ReplanBody | None = None, authorization: Auth = None) -> Json:
        return accept(authorised(authorization), ReplanNow(SOURCE))
