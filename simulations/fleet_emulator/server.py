"""A Tesla Fleet API emulator: a real HTTP server on loopback backed by the shared model.

Speaks the energy-site endpoints wattplan uses (DOMAIN.md §2) under
``/api/1/energy_sites/{site_id}/``: ``GET live_status``, ``GET site_info``, ``POST operation``,
``POST backup``, ``POST grid_import_export``, ``POST time_of_use_settings``,
``POST storm_mode``; and the OAuth refresh ``POST /oauth2/v3/token``
(``grant_type=refresh_token``) that rotates both tokens.

Behaviour: a bearer token is required (401 when missing, unknown or expired); commands are
counted per UTC day of the clock and answered 429 beyond ``commands_per_day``; accepted
commands answer ``{"response":{"code":201,"message":"Updated"}}``; the reserve is on the app
scale and must be ≤ 80 or exactly 100 (else 400). ``faults`` injects commands that answer 201
but do not take (``ignore``: always; ``ignore_once``: the next one only), or any endpoint
answer a given HTTP status (``answer``). Plain HTTP (the
base URL is configurable in wattplan, so HTTPS can come later).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import numpy as np

from optimiser.domain.clock import Clock, RealClock
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.domain.traces import Trace
from optimiser.domain.units import raw_to_app
from simulations.emulator.site import EmulatedSite
from simulations.fleet_emulator.site import EmulatedFleetSite
from simulations.fleet_emulator.tariff import TariffContentError, tou_schedule

UPDATED = {"response": {"code": 201, "message": "Updated"}}


@dataclass
class FleetFaults:
    """Injected misbehaviour.

    Attributes
    ----------
    ignore : set of str
        Endpoints whose commands answer 201 but never take.
    ignore_once : set of str
        Endpoints whose next command answers 201 but does not take.
    answer : dict of str to int
        Endpoints (GET or POST) that answer this HTTP status instead (429 with
        ``Retry-After: 60``, others with an error body) and change nothing.
    """

    ignore: set[str] = field(default_factory=set)
    ignore_once: set[str] = field(default_factory=set)
    answer: dict[str, int] = field(default_factory=dict)


def demo_site(clock: Clock, *, soe_kwh: float = 6.75) -> EmulatedFleetSite:
    """One Powerwall 2 at half charge, a daily load and solar shape, default settings."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    hours = np.arange(48) / 2.0
    load = 0.35 + 0.6 * np.exp(-(((hours - 18.5) / 2.0) ** 2)) + 0.3 * np.exp(-((hours - 8) ** 2))
    solar = np.clip(3.0 * np.cos((hours - 13.0) / 6.0 * np.pi / 2), 0.0, None)
    solar[(hours < 7) | (hours > 19)] = 0.0
    trace = Trace(start.timestamp() + hours * 3600.0, load, solar, wrap=True)
    settings = Settings(backup_reserve_app_percent=20.0)
    return EmulatedFleetSite(
        PowerwallSpec.powerwall2(1), PowerwallState(soe_kwh=soe_kwh), settings, trace, clock
    )


class FleetEmulator:
    """The Fleet API for one site, on ``http://127.0.0.1:<port>``.

    Parameters
    ----------
    site : EmulatedSite, optional
        Default: :func:`demo_site` on ``clock``. The gateway emulator's site may be shared, so
        one house answers on both APIs.
    site_id : str
        The ``energy_site_id`` in the URLs.
    commands_per_day : int or None
        POSTs accepted per UTC day before 429 (None: unlimited).
    token_lifetime_s : float or None
        Access tokens expire after this long on the clock (None: never).
    """

    def __init__(
        self,
        site: EmulatedSite | None = None,
        *,
        site_id: str = "1689123456789",
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        commands_per_day: int | None = None,
        token_lifetime_s: float | None = None,
    ) -> None:
        self.clock = clock or (site.clock if site is not None else RealClock())
        self.site = site or demo_site(self.clock)
        self.site_id = str(site_id)
        self.commands_per_day = commands_per_day
        self.token_lifetime_s = token_lifetime_s
        self.faults = FleetFaults()
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._tokens: dict[str, datetime] = {}
        self._refresh_tokens: set[str] = set()
        self._commands: dict[date, int] = {}
        self.access_token = self._issue_access()
        self.refresh_token = self._issue_refresh()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL (also the OAuth server's)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FleetEmulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FleetEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- tokens and quotas ----------------------------------------------------------------
    def _issue_access(self) -> str:
        token = secrets.token_urlsafe(24)
        self._tokens[token] = self.clock.now()
        return token

    def _issue_refresh(self) -> str:
        token = secrets.token_urlsafe(24)
        self._refresh_tokens.add(token)
        return token

    def expire_tokens(self) -> None:
        """Invalidate every access token (the refresh token still works)."""
        with self._lock:
            self._tokens.clear()

    def token_valid(self, token: str) -> bool:
        with self._lock:
            issued = self._tokens.get(token)
            if issued is None:
                return False
            if self.token_lifetime_s is None:
                return True
            return self.clock.now() < issued + timedelta(seconds=self.token_lifetime_s)

    def refresh(self, refresh_token: str) -> dict[str, Any] | None:
        """Rotate tokens; None if ``refresh_token`` is unknown."""
        with self._lock:
            if refresh_token not in self._refresh_tokens:
                return None
            self._refresh_tokens.discard(refresh_token)
            self.access_token = self._issue_access()
            self.refresh_token = self._issue_refresh()
            return {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "token_type": "Bearer",
                "expires_in": int(self.token_lifetime_s or 28800),
            }

    def commands_used(self, day: date | None = None) -> int:
        """Commands counted on ``day`` (default: the clock's UTC today)."""
        with self._lock:
            return self._commands.get(day or self.clock.now().astimezone(UTC).date(), 0)

    def commands_by_day(self) -> dict[date, int]:
        """Commands accepted per UTC day."""
        with self._lock:
            return dict(self._commands)

    def take_command(self) -> float | None:
        """Count a command; None if allowed, else seconds until the quota resets."""
        now = self.clock.now().astimezone(UTC)
        with self._lock:
            used = self._commands.get(now.date(), 0)
            if self.commands_per_day is not None and used >= self.commands_per_day:
                midnight = datetime.combine(
                    now.date() + timedelta(days=1), datetime.min.time(), UTC
                )
                return max((midnight - now).total_seconds(), 1.0)
            self._commands[now.date()] = used + 1
            return None

    def post_count(self, endpoint: str | None = None) -> int:
        """Energy-site POSTs received (answered or not), optionally for one endpoint."""
        return sum(
            1
            for method, path, _ in self.requests
            if method == "POST" and path != "oauth" and (endpoint is None or path == endpoint)
        )

    # -- endpoint logic -------------------------------------------------------------------
    def live_status(self) -> dict[str, Any]:
        site = self.site
        with site.lock:
            site.advance()
            f = site.flows
            return {
                "solar_power": round(f.solar_kw * 1000.0, 1),
                "battery_power": round(f.battery_kw * 1000.0, 1),
                "load_power": round(f.load_kw * 1000.0, 1),
                "grid_power": round(f.grid_kw * 1000.0, 1),
                "percentage_charged": raw_to_app(site.soc_raw_percent),
                "energy_left": site.state.soe_kwh * 1000.0,
                "total_pack_energy": site.spec.capacity_kwh * 1000.0,
                "grid_status": "Active" if site.grid_up else "Inactive",
                "island_status": "on_grid" if site.grid_up else "off_grid",
                "storm_mode_active": site.storm_mode,
                "timestamp": site.time.isoformat(),
            }

    def site_info(self) -> dict[str, Any]:
        site = self.site
        with site.lock:
            site.advance()
            s = site.settings
            return {
                "id": self.site_id,
                "site_name": "Emulated Powerwall",
                "backup_reserve_percent": round(s.backup_reserve_app_percent, 3),
                "default_real_mode": s.mode.value,
                "installation_time_zone": "Europe/London",
                "nameplate_power": int(site.spec.max_discharge_kw * 1000),
                "nameplate_energy": int(site.spec.capacity_kwh * 1000),
                "battery_count": site.spec.units,
                "components": {
                    "battery": True,
                    "solar": True,
                    "grid": True,
                    "customer_preferred_export_rule": s.export_rule.value,
                    "disallow_charge_from_grid_with_solar_installed": not s.grid_charging,
                },
                "tariff_content_v2": None if s.tariff is None else s.tariff.content,
            }

    def command(self, endpoint: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Validate and apply one command; (status, answer)."""
        try:
            changes, extra = _parse_command(endpoint, body, self.site.clock.now())
        except (KeyError, TypeError, ValueError, TariffContentError) as exc:
            return 400, {"response": None, "error": f"invalid {endpoint} request: {exc}"}
        if endpoint in self.faults.ignore or endpoint in self.faults.ignore_once:
            self.faults.ignore_once.discard(endpoint)
            return 201, UPDATED
        with self.site.lock:
            if changes:
                self.site.update(**changes)
            for key, value in extra.items():
                setattr(self.site, key, value)
        return 201, UPDATED


def _parse_command(
    endpoint: str, body: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    if endpoint == "operation":
        return {"mode": OperationMode(body["default_real_mode"])}, {}
    if endpoint == "backup":
        value = body["backup_reserve_percent"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"backup_reserve_percent must be a number, got {value!r}")
        if not (0 <= value <= 80 or value == 100):
            raise ValueError(f"backup_reserve_percent must be <= 80 or exactly 100, got {value}")
        return {"backup_reserve_app_percent": float(value)}, {}
    if endpoint == "grid_import_export":
        changes: dict[str, Any] = {}
        if "disallow_charge_from_grid_with_solar_installed" in body:
            flag = body["disallow_charge_from_grid_with_solar_installed"]
            if not isinstance(flag, bool):
                raise TypeError(f"disallow_charge_from_grid_with_solar_installed: got {flag!r}")
            changes["grid_charging"] = not flag
        if "customer_preferred_export_rule" in body:
            changes["export_rule"] = ExportRule(body["customer_preferred_export_rule"])
        if not changes:
            raise KeyError("neither setting given")
        return changes, {}
    if endpoint == "time_of_use_settings":
        content = body["tou_settings"]["tariff_content_v2"]
        if not isinstance(content, dict):
            raise TypeError("tariff_content_v2 must be an object")
        return {"tariff": UploadedTariff(content, tou_schedule(content))}, {}
    if endpoint == "storm_mode":
        enabled = body["enabled"]
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled must be a boolean, got {enabled!r}")
        return {}, {"storm_mode": enabled}
    raise KeyError(f"unknown endpoint {endpoint}")


COMMAND_ENDPOINTS = {
    "operation",
    "backup",
    "grid_import_export",
    "time_of_use_settings",
    "storm_mode",
}


def _handler_for(emulator: FleetEmulator) -> type[BaseHTTPRequestHandler]:
    prefix = f"/api/1/energy_sites/{emulator.site_id}/"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests run many requests

        def _answer(self, status: int, body: dict[str, Any], endpoint: str, **headers: str):
            emulator.requests.append((self.command, endpoint, status))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(payload)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _route(self) -> tuple[str | None, bool]:
            path = self.path.split("?", 1)[0]
            if not path.startswith(prefix):
                return None, False
            bearer = self.headers.get("Authorization", "")
            token = bearer[7:] if bearer.startswith("Bearer ") else ""
            return path[len(prefix) :], emulator.token_valid(token)

        def _faulted(self, endpoint: str) -> bool:
            status = emulator.faults.answer.get(endpoint)
            if status is None:
                return False
            extra = {"Retry_After": "60"} if status == 429 else {}
            self._answer(status, {"error": f"injected fault: {status}"}, endpoint, **extra)
            return True

        def do_GET(self) -> None:
            endpoint, authorised = self._route()
            if endpoint not in {"live_status", "site_info"}:
                self._answer(404, {"error": "not found"}, endpoint or self.path)
                return
            if not authorised:
                self._answer(401, {"error": "invalid bearer token"}, endpoint)
                return
            if self._faulted(endpoint):
                return
            data = emulator.live_status() if endpoint == "live_status" else emulator.site_info()
            self._answer(200, {"response": data}, endpoint)

        def do_POST(self) -> None:
            raw = self._body()
            if self.path.split("?", 1)[0] == "/oauth2/v3/token":
                self._token(raw)
                return
            endpoint, authorised = self._route()
            if endpoint not in COMMAND_ENDPOINTS:
                self._answer(404, {"error": "not found"}, endpoint or self.path)
                return
            if not authorised:
                self._answer(401, {"error": "invalid bearer token"}, endpoint)
                return
            if self._faulted(endpoint):
                return
            retry = emulator.take_command()
            if retry is not None:
                self._answer(
                    429,
                    {"error": "Too Many Requests: daily command quota reached"},
                    endpoint,
                    Retry_After=str(int(retry)),
                )
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._answer(400, {"error": "body is not JSON"}, endpoint)
                return
            if not isinstance(body, dict):
                self._answer(400, {"error": "body must be an object"}, endpoint)
                return
            status, answer = emulator.command(endpoint, body)
            self._answer(status, answer, endpoint)

        def _token(self, raw: bytes) -> None:
            form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
            if form.get("grant_type") != "refresh_token":
                self._answer(400, {"error": "unsupported_grant_type"}, "oauth")
                return
            issued = emulator.refresh(form.get("refresh_token", ""))
            if issued is None:
                self._answer(401, {"error": "invalid_grant"}, "oauth")
                return
            self._answer(200, issued, "oauth")

    return Handler


@contextmanager
def running(emulator: FleetEmulator) -> Iterator[FleetEmulator]:
    """Start ``emulator`` for the duration of a ``with`` block."""
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()
