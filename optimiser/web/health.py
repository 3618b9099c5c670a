"""The Health page: ``wattplan doctor``'s checks that are cheap enough to run on every view.

Nothing here opens a network connection: the gateway's, the MQTT broker's and the plan's
health come from what the service last saw, the certificate pin, the Fleet token and the
command budget from files in the state and config directories, the recorder's gaps from its
database.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from optimiser.config import Config
from optimiser.control import TokenSource
from optimiser.control.factory import budget_from_config
from optimiser.domain.errors import WattplanError
from optimiser.gateway.tls import PINS_FILE, PinStore
from optimiser.recorder import Gap
from optimiser.web.views import Json, iso

TOKEN_WARN_DAYS = 7.0


@dataclass(frozen=True)
class Check:
    """One line of the Health page: ``ok`` is True, False, or None (not applicable)."""

    name: str
    ok: bool | None
    detail: str
    hint: str = ""

    def to_json_dict(self) -> Json:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "hint": self.hint}


@dataclass(frozen=True)
class Seen:
    """What the service (or the recording) last saw, for the checks.

    Attributes
    ----------
    live : bool
        A running service (False: ``wattplan dashboard`` over a recording).
    now : datetime
        The service's clock (the real time for a recording).
    last_reading : datetime or None
        The last successful poll or recorded sample.
    gateway_up : bool
        The gateway answered the last poll.
    grid_status : str or None
        The gateway's last grid status.
    plan_made_at : datetime or None
        When the latest plan was made.
    plan_status : str or None
        Its solve status (``optimal`` …).
    mqtt : Json or None
        The MQTT link (:meth:`~optimiser.mqtt.link.LinkStatus.to_json_dict`) as the service
        sees it, or as ``wattplan run`` last saw it; None: nobody connected to a broker.
    """

    live: bool
    now: datetime
    last_reading: datetime | None
    gateway_up: bool
    grid_status: str | None
    plan_made_at: datetime | None
    plan_status: str | None
    mqtt: Json | None = None


def checks(config: Config, seen: Seen, *, gaps: Sequence[Gap] | None, samples: int) -> list[Check]:
    """Every cheap check, in the doctor's order."""
    return [
        _gateway(config, seen),
        _grid(seen),
        _certificate(config),
        _backend(config),
        *_fleet_token(config, seen.now),
        *_budget(config, seen.now),
        _recorder(config, seen.now, gaps, samples),
        _mqtt(config, seen),
        _plan(config, seen),
    ]


def _gateway(config: Config, seen: Seen) -> Check:
    where = "embedded emulator" if config.gateway is None else f"gateway {config.gateway.host}"
    if seen.last_reading is None:
        return Check("gateway", False, f"{where}: no reading yet", "is the service running?")
    age = (seen.now - seen.last_reading).total_seconds()
    limit = 3 * float(config.recorder.interval_s)
    if not seen.gateway_up or age > limit:
        return Check(
            "gateway",
            False,
            f"{where}: last reading {_ago(age)} ago",
            "check the gateway is on and reachable (`wattplan doctor`)",
        )
    return Check("gateway", True, f"{where}: last reading {_ago(age)} ago")


def _grid(seen: Seen) -> Check:
    if seen.grid_status is None:
        return Check("grid", None, "unknown")
    up = seen.grid_status == "SystemGridConnected"
    detail = "connected" if up else f"POWER CUT ({seen.grid_status}): the house runs on battery"
    return Check("grid", up, detail, "" if up else "wattplan keeps the reserve for the house")


def _certificate(config: Config) -> Check:
    gw = config.gateway
    if gw is None:
        return Check("certificate", True, "the emulator's certificate is pinned in memory")
    if gw.insecure:
        return Check(
            "certificate",
            False,
            "gateway.insecure is set: the certificate is not checked",
            "remove gateway.insecure and run `wattplan trust`",
        )
    if gw.ca_file is not None:
        return Check("certificate", True, f"trusted through the CA file {gw.ca_file}")
    pinned = PinStore(config.state_path() / PINS_FILE).get(f"{gw.host}:{gw.port}")
    if pinned is None:
        return Check(
            "certificate", False, "not pinned yet", "run `wattplan trust` to pin the certificate"
        )
    return Check("certificate", True, f"pinned SHA-256 {pinned[:23]}…")


def _backend(config: Config) -> Check:
    backend = config.control.backend
    if backend == "dry-run":
        return Check("backend", None, "dry-run: nothing is sent")
    return Check("backend", True, backend)


def _fleet_token(config: Config, now: datetime) -> list[Check]:
    if config.control.backend != "fleet":
        return []
    fleet = config.control.fleet
    try:
        token = TokenSource(token_file=fleet.token_file, token_env=fleet.token_env).access_token()
    except WattplanError as exc:
        return [Check("fleet token", False, str(exc), exc.hint or "")]
    claims = jwt_claims(token)
    expiry = claims.get("exp") if claims else None
    if not isinstance(expiry, int | float):
        return [Check("fleet token", True, "present (its expiry cannot be read)")]
    left = datetime.fromtimestamp(expiry, UTC) - now
    days = left.total_seconds() / 86400.0
    ok = days > TOKEN_WARN_DAYS or _refreshable(config)
    return [
        Check(
            "fleet token",
            ok if days > 0 or _refreshable(config) else False,
            f"expires in {days:.1f} days" if days > 0 else f"expired {-days:.1f} days ago",
            "" if ok else "renew the token (control.fleet.token_file), or set client_id to refresh",
        )
    ]


def _budget(config: Config, now: datetime) -> list[Check]:
    """The daily command budget the fleet and local backends spend from (its file in the
    state directory, which the running service keeps up to date)."""
    if config.control.backend not in ("fleet", "local"):
        return []
    budget = budget_from_config(config)
    left = budget.remaining(now)
    return [
        Check(
            "command budget",
            left > 0,
            f"{left} of {budget.per_day} commands left today ({budget.used(now)} used, "
            f"{budget.safety_reserve} kept for safety; {config.control.fleet_limits.profile} "
            "limits)",
            "" if left > 0 else "wait for the next UTC day or change control.limits",
        )
    ]


def _refreshable(config: Config) -> bool:
    return config.control.fleet.client_id is not None


def _recorder(config: Config, now: datetime, gaps: Sequence[Gap] | None, samples: int) -> Check:
    path = Path(config.recorder.database).expanduser()
    if gaps is None:
        return Check("recorder", None, f"nothing recorded at {path}")
    day_ago = now - timedelta(days=1)
    recent = [g for g in gaps if g.end > day_ago]
    missing = sum((min(g.end, now) - max(g.start, day_ago)).total_seconds() for g in recent)
    detail = f"{samples} samples; {len(recent)} gap(s) in the last 24 h"
    if recent:
        detail += f" ({_ago(missing)} missing; last: {recent[-1].error_class})"
    ok = missing <= 3600
    return Check("recorder", ok, detail, "" if ok else "the gateway was unreachable for long")


def _mqtt(config: Config, seen: Seen) -> Check:
    mqtt = config.mqtt
    if mqtt is None:
        return Check("mqtt", None, "not configured")
    where = f"broker {mqtt.host}:{mqtt.port}"
    link = seen.mqtt
    if link is None:
        return Check("mqtt", None, f"{where}: not connected yet (`wattplan run` publishes)")
    if not seen.live:  # the journal: what wattplan run last saw
        said = "connected" if link["connected"] else "not connected"
        return Check("mqtt", None, f"{where}: {said} when `wattplan run` last wrote its journal")
    if link["connected"]:
        again = link["connects"] - 1
        detail = f"connected to {where}" + (f" (reconnected {again}×)" if again > 0 else "")
        return Check("mqtt", True, detail)
    refused = f": refused ({link['refused']})" if link["refused"] else ""
    return Check(
        "mqtt",
        False,
        f"not connected to {where}{refused}; retrying with back-off",
        "polling, planning and control go on without it; `wattplan doctor` checks the broker",
    )


def _plan(config: Config, seen: Seen) -> Check:
    if seen.plan_made_at is None:
        return Check("last plan", None if not seen.live else False, "no plan yet")
    age = (seen.now - seen.plan_made_at).total_seconds()
    limit = 60.0 * config.control.plan_max_age_minutes
    status = seen.plan_status or "?"
    ok = status == "optimal" and (age <= limit or not seen.live)
    return Check(
        "last plan",
        ok,
        f"{status}, made {_ago(age)} ago ({iso(seen.plan_made_at)})",
        "" if ok else "the planner failed or its inputs are unreadable: see Decisions",
    )


def _ago(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def jwt_claims(token: str) -> dict | None:
    """The claims of a JWT, unverified (for diagnosis only); None when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None
