"""The Fleet API's energy-site endpoints over an :class:`EmulatedSite`: a request in, a reply out.

No sockets here (:mod:`simulations.fleet_emulator.http_server` does the I/O). Routes
(DOMAIN.md §2), under ``/api/1/energy_sites/{site_id}/``: ``GET live_status``,
``GET site_info``, the commands ``POST operation``, ``backup``, ``grid_import_export``,
``time_of_use_settings``, ``storm_mode``, and ``POST command`` (``grpc_command``: v1r key
registration and listing, outside the quota; :mod:`.authorization`); plus the OAuth refresh
``POST /oauth2/v3/token`` (``grant_type=refresh_token``). A bearer token is required (401
when missing, unknown or expired); requests beyond the quota (:mod:`.quota`: daily writes, and
when asked monthly tariff changes and live reads) answer 429 with ``Retry-After``; accepted
commands answer ``{"response":{"code":201,"message":"Updated"}}``;
the reserve is on the app scale and must be ≤ 80 or exactly 100 (else 400).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from enum import StrEnum
from http import HTTPMethod
from typing import Any
from urllib.parse import parse_qs

from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff
from optimiser.domain.units import raw_to_app
from simulations.emulator.site import EmulatedSite
from simulations.fleet_emulator.auth import OAuthTokens
from simulations.fleet_emulator.authorization import CommandError, grpc_command
from simulations.fleet_emulator.quota import CommandQuota
from simulations.fleet_emulator.tariff import TariffContentError, tou_schedule

OAUTH_PATH = "/oauth2/v3/token"
OAUTH = "oauth"  # how token requests appear in the request log
UPDATED = {"response": {"code": 201, "message": "Updated"}}


class FleetEndpoint(StrEnum):
    """The energy-site endpoints served, by the last part of their path."""

    LIVE_STATUS = "live_status"
    SITE_INFO = "site_info"
    OPERATION = "operation"
    BACKUP = "backup"
    GRID_IMPORT_EXPORT = "grid_import_export"
    TIME_OF_USE_SETTINGS = "time_of_use_settings"
    STORM_MODE = "storm_mode"
    COMMAND = "command"  # grpc_command: v1r key registration and listing

    @property
    def method(self) -> HTTPMethod:
        """GET for the two readings, POST for the commands."""
        if self in (FleetEndpoint.LIVE_STATUS, FleetEndpoint.SITE_INFO):
            return HTTPMethod.GET
        return HTTPMethod.POST


@dataclass
class FleetFaults:
    """Injected misbehaviour, changeable while the emulator runs.

    Attributes
    ----------
    ignore : set of FleetEndpoint
        Endpoints whose commands answer 201 but never take.
    ignore_once : set of FleetEndpoint
        Endpoints whose next command answers 201 but does not take.
    answer : dict of FleetEndpoint to int
        Endpoints (GET or POST) that answer this HTTP status instead (429 with
        ``Retry-After: 60``, others with an error body) and change nothing.
    """

    ignore: set[FleetEndpoint] = field(default_factory=set)
    ignore_once: set[FleetEndpoint] = field(default_factory=set)
    answer: dict[FleetEndpoint, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the API sees it; ``path`` without the query string."""

    method: HTTPMethod
    path: str
    body: bytes = b""
    authorization: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer: HTTP status, JSON body, extra headers."""

    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Command:
    """What one valid command changes; None leaves a field as it is.

    ``backup_reserve_app_percent`` is on the Tesla app's scale, as the Fleet API speaks it
    [app %]; ``tariff`` is the uploaded ``tariff_content_v2`` with its schedule.
    """

    mode: OperationMode | None = None
    backup_reserve_app_percent: float | None = None
    grid_charging: bool | None = None
    export_rule: ExportRule | None = None
    tariff: UploadedTariff | None = None
    storm_mode: bool | None = None

    def settings(self, current: Settings) -> Settings | None:
        """``current`` with this command's settings changes; None if it changes none."""
        changes: dict[str, object] = {}
        if self.mode is not None:
            changes["mode"] = self.mode
        if self.backup_reserve_app_percent is not None:
            changes["backup_reserve_app_percent"] = self.backup_reserve_app_percent
        if self.grid_charging is not None:
            changes["grid_charging"] = self.grid_charging
        if self.export_rule is not None:
            changes["export_rule"] = self.export_rule
        if self.tariff is not None:
            changes["tariff"] = self.tariff
        return replace(current, **changes) if changes else None


def parse_command(endpoint: FleetEndpoint, body: dict[str, Any]) -> Command:
    """Validate one command's body; raises KeyError, TypeError, ValueError or
    :class:`TariffContentError` saying what is wrong."""
    if endpoint is FleetEndpoint.OPERATION:
        return Command(mode=OperationMode(body["default_real_mode"]))
    if endpoint is FleetEndpoint.BACKUP:
        value = body["backup_reserve_percent"]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"backup_reserve_percent must be a number, got {value!r}")
        if not (0 <= value <= 80 or value == 100):
            raise ValueError(f"backup_reserve_percent must be <= 80 or exactly 100, got {value}")
        return Command(backup_reserve_app_percent=float(value))
    if endpoint is FleetEndpoint.GRID_IMPORT_EXPORT:
        grid_charging = export_rule = None
        if "disallow_charge_from_grid_with_solar_installed" in body:
            flag = body["disallow_charge_from_grid_with_solar_installed"]
            if not isinstance(flag, bool):
                raise TypeError(f"disallow_charge_from_grid_with_solar_installed: got {flag!r}")
            grid_charging = not flag
        if "customer_preferred_export_rule" in body:
            export_rule = ExportRule(body["customer_preferred_export_rule"])
        if grid_charging is None and export_rule is None:
            raise KeyError("neither setting given")
        return Command(grid_charging=grid_charging, export_rule=export_rule)
    if endpoint is FleetEndpoint.TIME_OF_USE_SETTINGS:
        content = body["tou_settings"]["tariff_content_v2"]
        if not isinstance(content, dict):
            raise TypeError("tariff_content_v2 must be an object")
        return Command(tariff=UploadedTariff(content, tou_schedule(content)))
    if endpoint is FleetEndpoint.STORM_MODE:
        enabled = body["enabled"]
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled must be a boolean, got {enabled!r}")
        return Command(storm_mode=enabled)
    raise KeyError(f"{endpoint} is not a command")


class FleetApi:
    """The Fleet API for one site; thread-safe.

    Logs every request as ``(method, endpoint, status)`` in :attr:`requests`, the endpoint
    being the path's last part, ``"oauth"`` for token requests, or the whole path when
    outside the site's routes.
    """

    def __init__(
        self,
        site: EmulatedSite,
        site_id: str,
        tokens: OAuthTokens,
        quota: CommandQuota,
        faults: FleetFaults,
    ) -> None:
        self.site = site
        self.site_id = site_id
        self.tokens = tokens
        self.quota = quota
        self.faults = faults
        self.requests: list[tuple[HTTPMethod, str, int]] = []
        self._prefix = f"/api/1/energy_sites/{site_id}/"
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Reply:
        """Answer one request and log it."""
        endpoint, reply = self._route(request)
        with self._lock:
            self.requests.append((request.method, endpoint, reply.status))
        return reply

    def _route(self, request: Request) -> tuple[str, Reply]:
        if (request.method, request.path) == (HTTPMethod.POST, OAUTH_PATH):
            return OAUTH, self._token(request.body)
        name = request.path.removeprefix(self._prefix)
        if not request.path.startswith(self._prefix):
            return request.path, Reply(404, {"error": "not found"})
        try:
            endpoint = FleetEndpoint(name)
        except ValueError:
            return name, Reply(404, {"error": "not found"})
        if endpoint.method is not request.method:
            return name, Reply(404, {"error": "not found"})
        bearer = request.authorization
        token = bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else ""
        if not self.tokens.valid(token):
            return endpoint, Reply(401, {"error": "invalid bearer token"})
        status = self.faults.answer.get(endpoint)
        if status is not None:
            extra = (("Retry-After", "60"),) if status == 429 else ()
            return endpoint, Reply(status, {"error": f"injected fault: {status}"}, extra)
        if endpoint is FleetEndpoint.LIVE_STATUS:
            retry = self.quota.take_read()
            if retry is not None:
                return endpoint, Reply(
                    429,
                    {"error": "Too Many Requests: live status read too soon"},
                    (("Retry-After", str(int(retry))),),
                )
            return endpoint, Reply(200, {"response": self.live_status()})
        if endpoint is FleetEndpoint.SITE_INFO:
            return endpoint, Reply(200, {"response": self.site_info()})
        if endpoint is FleetEndpoint.COMMAND:
            return endpoint, self._grpc_command(request.body)
        return endpoint, self._command(endpoint, request.body)

    def _grpc_command(self, raw: bytes) -> Reply:
        """Key registration and listing: not settings writes, so outside the daily quota."""
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict):
                raise CommandError("the body must be a JSON object")
            return Reply(200, {"response": grpc_command(self.site.authorized_clients, body)})
        except (json.JSONDecodeError, CommandError) as exc:
            return Reply(400, {"response": None, "error": f"invalid command: {exc}"})

    def _token(self, body: bytes) -> Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "refresh_token":
            return Reply(400, {"error": "unsupported_grant_type"})
        grant = self.tokens.refresh(form.get("refresh_token", ""))
        if grant is None:
            return Reply(401, {"error": "invalid_grant"})
        return Reply(200, grant.to_json())

    def _command(self, endpoint: FleetEndpoint, raw: bytes) -> Reply:
        retry = self.quota.take(tariff=endpoint is FleetEndpoint.TIME_OF_USE_SETTINGS)
        if retry is not None:
            return Reply(
                429,
                {"error": "Too Many Requests: command quota reached (daily or monthly tariff)"},
                (("Retry-After", str(int(retry))),),
            )
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return Reply(400, {"error": "body is not JSON"})
        if not isinstance(body, dict):
            return Reply(400, {"error": "body must be an object"})
        return self.command(endpoint, body)

    def command(self, endpoint: FleetEndpoint, body: dict[str, Any]) -> Reply:
        """Validate and apply one command (quota and auth already passed)."""
        try:
            command = parse_command(endpoint, body)
        except (KeyError, TypeError, ValueError, TariffContentError) as exc:
            return Reply(400, {"response": None, "error": f"invalid {endpoint} request: {exc}"})
        if endpoint in self.faults.ignore or endpoint in self.faults.ignore_once:
            self.faults.ignore_once.discard(endpoint)
            return Reply(201, UPDATED)
        site = self.site
        with site.lock:
            settings = command.settings(site.settings)
            if settings is not None:
                site.apply(settings)
            if command.storm_mode is not None:
                site.storm_mode = command.storm_mode
        return Reply(201, UPDATED)

    # -- readings ----------------------------------------------------------------------------

    def live_status(self) -> dict[str, Any]:
        """``GET live_status``'s ``response``: powers [W], charge on the app scale [%]."""
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
        """``GET site_info``'s ``response``: settings, reserve on the app scale [%]."""
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
                "tariff_content_v2": None if s.tariff is None else dict(s.tariff.content),
            }
