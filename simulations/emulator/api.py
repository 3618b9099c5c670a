"""The gateway's local API over an :class:`EmulatedSite`: one request in, one reply out.

No sockets here (:mod:`simulations.emulator.https_server` does the I/O). Routing follows
DOMAIN.md §1–2: ``POST /api/login/Basic`` with a JSON or form body, ``GET /api/status``
without a login, 401 without a live token, 403 for the customer on control endpoints, the
legacy installer control sequence (``GET /api/sitemaster/stop`` → ``POST /api/operation`` →
``GET /api/config/completed`` → ``GET /api/sitemaster/run``, the new settings taking at
``config/completed``), 502 for readings while the sitemaster is stopped, islanding, and
TEDAPI v1r (``GET /tedapi/din`` with a login; ``POST /tedapi/v1r`` signed, no login, answered
by :class:`~simulations.emulator.v1r.V1rEndpoint`). Every reading first advances the site to
its clock's now.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from http import HTTPMethod
from typing import Any
from urllib.parse import parse_qs

from optimiser.domain.device import OperationMode, Settings
from optimiser.domain.slots import LONDON
from optimiser.domain.units import raw_to_app
from simulations.emulator import payloads
from simulations.emulator.auth import BadCredentials, LockedOut, Role, Sessions
from simulations.emulator.site import EmulatedSite, SiteSnapshot
from simulations.emulator.v1r import V1rEndpoint

JsonBody = dict[str, Any] | list[Any] | None
"""A reply's JSON body; None sends an empty body."""

LOGIN = "/api/login/Basic"
TEDAPI_DIN = "/tedapi/din"
TEDAPI_V1R = "/tedapi/v1r"
CONTROL_PATHS = frozenset(
    {
        (HTTPMethod.GET, "/api/sitemaster/stop"),
        (HTTPMethod.GET, "/api/sitemaster/run"),
        (HTTPMethod.POST, "/api/operation"),
        (HTTPMethod.GET, "/api/config/completed"),
    }
)
# Readings that need the sitemaster running; the real gateway answers 502 while it is stopped.
_NEEDS_SITEMASTER = ("/api/system_status", "/api/meters/aggregates")
_READINGS: dict[str, Callable[[SiteSnapshot], JsonBody]] = {
    "/api/system_status": payloads.system_status,
    "/api/system_status/soe": payloads.soe,
    "/api/system_status/grid_status": payloads.grid_status,
    "/api/system_status/grid_faults": payloads.grid_faults,
    "/api/meters/aggregates": payloads.meters_aggregates,
    "/api/operation": payloads.operation,
    "/api/site_info": payloads.site_info,
    "/api/site_info/site_name": payloads.site_name,
    "/api/powerwalls": payloads.powerwalls,
}


class IslandMode(StrEnum):
    """``island_mode`` of ``POST /api/v2/islanding/mode``."""

    BACKUP = "backup"  # go off-grid on purpose
    RECONNECT = "intentional_reconnect_failsafe"


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the API sees it; ``token`` from the bearer header or the cookie."""

    method: HTTPMethod
    path: str
    body: bytes = b""
    content_type: str = ""
    token: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer: HTTP status, body (JSON, or bytes sent as ``content_type``),
    ``Set-Cookie`` values."""

    status: int
    body: JsonBody | bytes = None
    cookies: tuple[str, ...] = ()
    content_type: str = "application/json"


def _not_found(request: Request) -> Reply:
    return Reply(
        404, payloads.error(404, "Not Found", f"no {request.method} endpoint {request.path}")
    )


class LocalApi:
    """The endpoints of one gateway; thread-safe.

    Counts every request it is told of (:meth:`count`), so tests can check, e.g., that a dry
    run POSTs nothing; the counts survive a restart of the server, as the site does.
    """

    def __init__(self, site: EmulatedSite, sessions: Sessions, v1r: V1rEndpoint) -> None:
        self.site = site
        self.sessions = sessions
        self.v1r = v1r
        self.requests: Counter[tuple[HTTPMethod, str]] = Counter()
        self.sitemaster_running = True
        self._pending: Settings | None = None
        self._lock = threading.Lock()

    # -- request counts ----------------------------------------------------------------------

    def count(self, method: HTTPMethod, path: str) -> None:
        """Count one request (faulted ones included)."""
        with self._lock:
            self.requests[(method, path)] += 1

    def post_count(self) -> int:
        """POSTs received, logins excluded (settings changes and islanding)."""
        with self._lock:
            return sum(
                n for (m, p), n in self.requests.items() if m is HTTPMethod.POST and p != LOGIN
            )

    def control_sequences(self) -> int:
        """Installer control sequences received (``POST /api/operation`` calls)."""
        with self._lock:
            return self.requests[(HTTPMethod.POST, "/api/operation")]

    # -- routing -----------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        """Answer one request."""
        route = (request.method, request.path)
        if route == (HTTPMethod.POST, LOGIN):
            return self._login(request)
        if route == (HTTPMethod.GET, "/api/status"):
            return Reply(200, payloads.status(self._reading()))
        if route == (HTTPMethod.POST, TEDAPI_V1R):  # the signature is the credential
            reply = self.v1r.handle(request.body)
            return Reply(reply.status, reply.body, content_type=reply.content_type)
        role = self.sessions.role_of(request.token)
        if role is None:
            return Reply(401, payloads.EXPIRED)
        if route == (HTTPMethod.GET, TEDAPI_DIN):
            return Reply(200, self.v1r.din.encode(), content_type="text/plain")
        if route == (HTTPMethod.GET, "/api/logout"):
            self.sessions.revoke(request.token)
            return Reply(204)
        if route in CONTROL_PATHS:
            if role is not Role.INSTALLER:
                return Reply(403, payloads.FORBIDDEN)
            return self._control(request)
        if route == (HTTPMethod.POST, "/api/v2/islanding/mode"):
            return self._islanding(request.body)
        if request.method is not HTTPMethod.GET:
            return _not_found(request)
        if not self.sitemaster_running and request.path.startswith(_NEEDS_SITEMASTER):
            return Reply(502)
        if request.path == "/api/sitemaster":
            return Reply(200, payloads.sitemaster(self.sitemaster_running))
        builder = _READINGS.get(request.path)
        if builder is None:
            return _not_found(request)
        return Reply(200, builder(self._reading()))

    def _reading(self) -> SiteSnapshot:
        self.site.advance()
        return self.site.snapshot()

    # -- endpoints ---------------------------------------------------------------------------

    def _login(self, request: Request) -> Reply:
        fields = parse_login(request.body, request.content_type)
        email = fields.get("email", "")
        try:
            token, role = self.sessions.login(
                fields.get("username", ""), fields.get("password", "")
            )
        except LockedOut:
            return Reply(429, payloads.RATE_LIMITED)
        except BadCredentials:
            return Reply(401, payloads.BAD_CREDENTIALS)
        record = base64.b64encode(
            json.dumps({"email": email, "roles": role.gateway_roles}).encode()
        ).decode()
        login_time = self.site.clock.now().astimezone(LONDON)
        return Reply(
            200,
            {
                "email": email,
                "firstname": "Tesla",
                "lastname": "Energy",
                "roles": role.gateway_roles,
                "token": token,
                "provider": "Basic",
                "loginTime": login_time.isoformat(timespec="milliseconds"),
            },
            (f"AuthCookie={token}; Path=/", f"UserRecord={record}; Path=/"),
        )

    def _control(self, request: Request) -> Reply:
        if request.path == "/api/sitemaster/stop":
            self.sitemaster_running = False
            return Reply(202, {})
        if request.path == "/api/sitemaster/run":
            self.sitemaster_running = True
            return Reply(202, {})
        if request.path == "/api/config/completed":
            with self._lock:
                pending, self._pending = self._pending, None
            if pending is not None:
                self.site.apply(pending)
            return Reply(202, {})
        # POST /api/operation: staged until config/completed, as on the gateway.
        try:
            data = json.loads(request.body or b"{}")
            mode = OperationMode(data.get("real_mode", data.get("mode")))
            reserve = float(
                data.get("backup_reserve_percent", self.site.settings.backup_reserve_raw_percent)
            )
        except (ValueError, TypeError, AttributeError) as exc:
            return Reply(400, payloads.error(400, "Bad Request", f"invalid operation: {exc}"))
        with self._lock:
            current = self._pending or self.site.settings
            self._pending = replace(
                current, mode=mode, backup_reserve_app_percent=raw_to_app(reserve)
            )
        return Reply(200, {"real_mode": mode.value, "backup_reserve_percent": reserve})

    def _islanding(self, body: bytes) -> Reply:
        try:
            mode = IslandMode(json.loads(body or b"{}").get("island_mode"))
        except (ValueError, AttributeError):
            expected = " or ".join(f"'{m.value}'" for m in IslandMode)
            return Reply(400, payloads.error(400, "Bad Request", f"island_mode must be {expected}"))
        self.site.set_island(mode is IslandMode.BACKUP)
        return Reply(200, {"island_mode": mode.value})


def parse_login(body: bytes, content_type: str) -> dict[str, str]:
    """Login fields from a JSON or form-encoded body (the gateway accepts both)."""
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {key: values[0] for key, values in parse_qs(text).items()}
