"""``wattplan doctor``: check that everything wattplan needs is in place, with a hint for each
failure. Changes nothing (no settings are sent; the recorder's database is not created).

Checks, in order (✗ on an essential one makes the exit code 1): config, gateway reachable,
certificate pin, login, tariff (snapshot date or estimate; Octopus reachable when online; the
last calls to Octopus), recorder database writable, backend permissions (local: installer
login and a read of the operation; fleet: token present, site_info reachable, commands left
today; v1r: key file, DIN, clock skew, the key's state and a signed config read), the MQTT
broker (when an mqtt section is set; not essential: the service runs without it), solver.
"""

from __future__ import annotations

import argparse
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from optimiser.cli.errors import FAILED, OK
from optimiser.domain.errors import WattplanError


@dataclass(frozen=True)
class Check:
    """One line of the doctor's table."""

    name: str
    ok: bool | None  # None: skipped
    detail: str
    hint: str = ""
    essential: bool = True

    def lines(self) -> list[str]:
        mark = {True: "✓", False: "✗", None: "-"}[self.ok]
        out = [f"{mark} {self.name:<18} {self.detail}"]
        if self.ok is False and self.hint:
            out.append(f"  {'':<18} hint: {self.hint}")
        return out


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``doctor`` subcommand."""
    p = subparsers.add_parser(
        "doctor",
        help="check config, gateway, certificate, tariff, recorder, backend and solver",
        description="Check that everything wattplan needs is in place and say how to fix what "
        "is not. Sends no settings. Exit code 1 when an essential check fails.",
    )
    p.add_argument(
        "--backend",
        choices=("local", "fleet", "v1r", "dry-run"),
        help="check this backend instead of control.backend",
    )
    p.set_defaults(func=run)


def _attempt(name: str, func: Callable[[], str], hint: Callable[[Exception], str]) -> Check:
    try:
        return Check(name, True, func())
    except Exception as exc:  # every failure becomes a ✗ line, never a traceback
        return Check(name, False, f"{type(exc).__name__}: {exc}", hint(exc))


def _hint_of(default: str) -> Callable[[Exception], str]:
    return lambda exc: (exc.hint if isinstance(exc, WattplanError) else None) or default


def run(args: argparse.Namespace) -> int:
    """Run every check and print the table."""
    checks = diagnose(args.config, backend=args.backend)
    for check in checks:
        for line in check.lines():
            print(line)
    failed = [c for c in checks if c.ok is False and c.essential]
    print(
        "doctor: all essential checks passed"
        if not failed
        else f"doctor: {len(failed)} essential check(s) failed: {', '.join(c.name for c in failed)}"
    )
    return FAILED if failed else OK


def diagnose(config_path: Path | None, *, backend: str | None = None) -> list[Check]:
    """All checks (the testable core of ``wattplan doctor``)."""
    from optimiser.config import find_config, load_config

    checks: list[Check] = []
    path = find_config(config_path)
    try:
        config = load_config(config_path)
    except Exception as exc:
        checks.append(
            Check(
                "config",
                False,
                str(exc),
                "fix the file (`wattplan config check` shows every problem) or remove it "
                "to use the embedded emulator",
            )
        )
        return checks
    if backend:
        control = config.control.model_copy(update={"backend": backend})
        config = config.model_copy(update={"control": control})
    where = str(path) if path is not None else "no config file: defaults"
    who = "embedded emulator" if config.uses_emulator else f"gateway {config.gateway.host}"
    checks.append(Check("config", True, f"{where} ({who}, backend {config.control.backend})"))
    checks += _gateway_checks(config)
    checks.append(_tariff_check(config))
    if config.tariff.live and config.tariff.custom_file is None:
        checks.append(_octopus_check(config))
    checks.append(_octopus_calls_check(config))
    checks.append(_recorder_check(config))
    checks += _backend_checks(config)
    if config.mqtt is not None:
        checks.append(_mqtt_check(config))
    checks.append(_attempt("solver", _solve_tiny, _hint_of("reinstall wattplan (pulp, highspy)")))
    return checks


def _gateway_checks(config: Any) -> list[Check]:
    from optimiser.cli.site import open_site

    if config.uses_emulator:
        checks = [
            Check("gateway", True, "embedded emulator on loopback (no gateway configured)"),
            Check("certificate", True, "the emulator's certificate is pinned in memory"),
        ]
    else:
        gw = config.gateway
        reach = _attempt(
            "gateway",
            lambda: _reach(gw.host, gw.port, gw.timeout_s),
            _hint_of(
                f"is the gateway on at {gw.host}:{gw.port} and on this network? check "
                "gateway.host (its IP address on your LAN)"
            ),
        )
        if reach.ok is False:
            skipped = "skipped: gateway unreachable"
            return [reach, Check("certificate", None, skipped), Check("login", None, skipped)]
        certificate = _attempt(
            "certificate",
            lambda: _pin(config),
            _hint_of("run `wattplan trust` to pin the gateway's certificate"),
        )
        if certificate.ok is False:
            return [reach, certificate, Check("login", None, "skipped: certificate not trusted")]
        checks = [reach, certificate]

    def login() -> str:
        with open_site(config) as gateway:
            state = gateway.site_state()
        return (
            f"logged in; {state.app_percent:.0f}% charged, {state.capacity_kwh:g} kWh, "
            f"{state.mode.value}, grid {'up' if state.grid_up else 'DOWN'}"
        )

    return [
        *checks,
        _attempt(
            "login",
            login,
            _hint_of(
                "check the password (gateway.password_file or $WATTPLAN_GATEWAY_PASSWORD: the "
                "last 5 characters of the sticker's password)"
            ),
        ),
    ]


def _reach(host: str, port: int, timeout_s: float) -> str:
    try:
        with socket.create_connection((host, port), timeout=min(timeout_s, 5.0)):
            return f"{host}:{port} answers"
    except OSError as exc:
        raise ConnectionError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from exc


def _pin(config: Any) -> str:
    from optimiser.gateway.errors import CertificateMismatch
    from optimiser.gateway.tls import PINS_FILE, PinStore, fetch_fingerprint, server_name_for

    gw = config.gateway
    if gw.insecure:
        raise ValueError("gateway.insecure is set: the certificate is not checked at all")
    if gw.ca_file is not None:
        return f"trusted through the CA file {gw.ca_file}"
    address = f"{gw.host}:{gw.port}"
    pinned = PinStore(config.state_path() / PINS_FILE).get(address)
    presented = fetch_fingerprint(
        gw.host, gw.port, server_name_for(gw.host, gw.server_name), gw.timeout_s
    )
    if pinned is None:
        return f"not pinned yet (pinned on first use): SHA-256 {presented[:23]}…"
    if pinned.lower().replace(":", "") != presented.lower().replace(":", ""):
        raise CertificateMismatch(address, pinned, presented)  # its hint: trust --reset
    return f"matches the pinned SHA-256 {pinned[:23]}…"


def _tariff_check(config: Any) -> Check:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from optimiser.live import load_tariff
    from optimiser.planning import horizon

    def check() -> str:
        tariff = load_tariff(config)
        now = datetime.now(UTC)
        prices = tariff.prices(horizon(now, 30, ZoneInfo(config.site.timezone)))
        source = getattr(prices, "source", "") or ""
        note = "ESTIMATED prices" if getattr(prices, "estimated", False) else "published prices"
        return f"{tariff.name}: {note}" + (f" ({source})" if source else "")

    return _attempt(
        "tariff",
        check,
        _hint_of("check tariff.product and tariff.region (`wattplan tariffs list`)"),
    )


def _octopus_access(config: Any):
    from tariffs import OctopusAccess

    return OctopusAccess(config.tariff.octopus_base_url, config.state_path())


def _octopus_check(config: Any) -> Check:
    def check() -> str:
        endpoint = _octopus_access(config).command_client(retries=0).ping()
        return f"{endpoint} answers"

    return _attempt(
        "octopus",
        check,
        _hint_of("no internet? set tariff.offline: true to price from the bundled snapshot"),
    )


def _octopus_calls_check(config: Any) -> Check:
    """The last calls to Octopus from the call journal, and any hold in force (not essential)."""
    from datetime import UTC, datetime

    journal = _octopus_access(config).journal
    calls = journal.calls()
    if not calls:
        return Check("octopus calls", None, "none recorded", essential=False)

    def line(call: Any) -> str:
        status = call.status if call.status is not None else "no answer"
        when = call.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{when} {call.endpoint} {status} {call.outcome} ({call.elapsed_ms:.0f} ms)"

    failed = sum(c.outcome != "ok" for c in calls)
    detail = f"last: {line(calls[-1])}; {failed} of the last {len(calls)} failed"
    now = datetime.now(UTC)
    hold = max((h for h in journal.holds() if h.until > now), key=lambda h: h.until, default=None)
    if hold is None:
        return Check("octopus calls", True, detail, essential=False)
    until = hold.until.astimezone(UTC).strftime("%H:%M:%S UTC")
    return Check(
        "octopus calls",
        False,
        f"{detail}; no call before {until} ({hold.reason})",
        "wattplan keeps quiet after a 429 or a failure; cached or estimated prices meanwhile",
        essential=False,
    )


def _recorder_check(config: Any) -> Check:
    def check() -> str:
        path = Path(config.recorder.database).expanduser()
        if path.exists():
            if not os.access(path, os.W_OK):
                raise PermissionError(f"{path} is not writable")
            from optimiser.recorder import RecordingStore

            with RecordingStore(path, readonly=True) as store:
                count = store.sample_count()
            return f"{path}: {count} samples"
        parent = path.parent
        while not parent.exists():
            parent = parent.parent
        if not os.access(parent, os.W_OK):
            raise PermissionError(f"cannot create {path}: {parent} is not writable")
        return f"{path} will be created on the first poll"

    return _attempt(
        "recorder",
        check,
        _hint_of("set recorder.database to a file the wattplan user may write"),
    )


def _backend_checks(config: Any) -> list[Check]:
    backend = config.control.backend
    if backend == "dry-run":
        return [
            Check(
                "backend",
                True,
                "dry-run: nothing is sent (set control.backend: fleet or local to control)",
                essential=False,
            )
        ]
    if backend == "local":
        return [_attempt("backend (local)", lambda: _local(config), _local_hint)]
    if backend == "v1r":
        return _v1r_checks(config)
    return _fleet_checks(config)


def _mqtt_check(config: Any) -> Check:
    """The broker answers and takes wattplan's login (nothing is published)."""
    from optimiser.mqtt.link import probe_broker

    check = _attempt(
        "mqtt broker",
        lambda: probe_broker(config.mqtt),
        _hint_of(
            "check mqtt.host, mqtt.port, the username and password file, and TLS (ca_file); "
            "wattplan runs without the broker and publishes once it answers"
        ),
    )
    return replace(check, essential=False)


def _v1r_checks(config: Any) -> list[Check]:
    """Key file, DIN, clock skew, and a signed config read (which gives the key's state on
    the gateway). The private key is never shown: only its public fingerprint."""
    from datetime import UTC, datetime

    from optimiser.cli.site import demo_v1r_key, open_site
    from optimiser.domain.clock import RealClock
    from optimiser.gateway.errors import KeyFileError, KeyNotRecognised, KeyNotVerified
    from optimiser.gateway.v1r import V1rClient, V1rKey
    from optimiser.gateway.v1r.signing import MESSAGE_LIFETIME_S

    demo = demo_v1r_key(config)
    if demo is not None:
        key = demo
        checks = [Check("v1r key", True, "embedded emulator: an in-memory demo key it trusts")]
    else:
        path = config.control.v1r.key_file.expanduser()
        try:
            key = V1rKey.load(path)
        except KeyFileError as exc:
            return [Check("v1r key", False, str(exc), exc.hint or "run `wattplan pair`")]
        checks = [Check("v1r key", True, f"{path}: RSA-{key.bits}, sha256:{key.fingerprint[:16]}…")]
    try:
        with open_site(config, v1r_key=demo) as gateway:
            client = V1rClient(gateway.api, key, clock=RealClock())
            checks.append(_attempt("v1r DIN", lambda: client.din, _hint_of("check the gateway")))

            def skew() -> str:
                seen = gateway.site_state().time
                off = (datetime.now(UTC) - seen).total_seconds()
                if abs(off) >= MESSAGE_LIFETIME_S:
                    raise ValueError(
                        f"this machine's clock is {off:+.0f} s from the gateway's; signed "
                        f"messages expire {MESSAGE_LIFETIME_S} s after signing"
                    )
                return f"{off:+.1f} s from the gateway's clock (limit ±{MESSAGE_LIFETIME_S} s)"

            checks.append(
                _attempt("v1r clock skew", skew, _hint_of("synchronise this machine (NTP)"))
            )
            try:
                held = client.settings()
            except KeyNotVerified as exc:
                checks.append(Check("v1r key state", False, "pending: not confirmed", exc.hint))
            except KeyNotRecognised as exc:
                checks.append(Check("v1r key state", False, "unknown or removed", exc.hint))
            except Exception as exc:
                checks.append(
                    Check(
                        "v1r config read",
                        False,
                        f"{type(exc).__name__}: {exc}",
                        _hint_of("see the v1r section of the README")(exc),
                    )
                )
            else:
                checks.append(Check("v1r key state", True, "verified"))
                checks.append(
                    Check(
                        "v1r config read",
                        True,
                        f"signed read of config.json: {held.mode.value}, reserve "
                        f"{held.backup_reserve_app_percent:g}% (app), grid charging "
                        f"{'on' if held.grid_charging else 'off'}, export {held.export_rule.value}",
                    )
                )
    except Exception as exc:
        checks.append(
            Check("v1r", False, f"{type(exc).__name__}: {exc}", _hint_of("check the gateway")(exc))
        )
    return checks


def _local(config: Any) -> str:
    from optimiser.cli.site import open_site
    from optimiser.control import LocalBackend

    if not config.uses_emulator and config.gateway.username != "installer":
        raise PermissionError(
            f"gateway.username is {config.gateway.username!r}: local control needs the "
            "installer login"
        )
    with open_site(config, username="installer") as gateway:
        settings = LocalBackend(gateway).read()
    return f"installer login works; the device holds {settings.describe()}"


def _local_hint(exc: Exception) -> str:
    from optimiser.control.backends import FIRMWARE_LOCK_HINT

    return (
        "local control needs gateway.username: installer, the installer password and (firmware "
        f"≥ 1.50.1) the gateway's physical switch toggled; or {FIRMWARE_LOCK_HINT}"
    )


def _fleet_checks(config: Any) -> list[Check]:
    from datetime import UTC, datetime

    from optimiser.control import TokenSource
    from optimiser.control.factory import budget_from_config, fleet_client_from_config

    fleet = config.control.fleet

    def token() -> str:
        access = TokenSource(token_file=fleet.token_file, token_env=fleet.token_env).access_token()
        where = fleet.token_file if fleet.token_file is not None else f"${fleet.token_env}"
        scopes = token_scopes(access)
        if scopes is None:
            return f"a token is present ({where}); its scopes cannot be read (not a JWT)"
        missing = [s for s in ("energy_device_data", "energy_cmds") if s not in scopes]
        if missing:
            raise RuntimeError(
                f"the token ({where}) lacks the scope(s) {', '.join(missing)}; "
                f"it has {', '.join(sorted(scopes)) or 'none'}"
            )
        return f"a token is present ({where}) with energy_device_data and energy_cmds"

    token_check = _attempt(
        "fleet token",
        token,
        _hint_of(
            "put the OAuth token in control.fleet.token_file (JSON with access_token and "
            f"refresh_token) or ${fleet.token_env}"
        ),
    )
    if not token_check.ok:
        return [token_check, Check("fleet site", None, "skipped: no token")]

    def site() -> str:
        client = fleet_client_from_config(config)
        try:
            info = client.get_site_info()
        finally:
            client.close()
        mode = info.get("default_real_mode", "?")
        return (
            f"site {fleet.site_id} answers: {mode}, reserve {info.get('backup_reserve_percent')}%"
        )

    def budget() -> str:
        limits = config.control.fleet_limits
        budget = budget_from_config(config)
        now = datetime.now(UTC)
        left = budget.remaining(now)
        tariffs_left = budget.tariff_changes_left(now)
        month = (
            ""
            if tariffs_left is None
            else f"; {tariffs_left} of {budget.tariff_per_month} tariff change(s) left this month"
        )
        if left < 1:
            raise RuntimeError(
                f"no commands left today ({budget.used(now)} of {limits.writes_per_day} used; "
                f"{budget.safety_reserve} kept for safety{month})"
            )
        return (
            f"{left} of {limits.writes_per_day} writes left today ({limits.profile.value} "
            f"limits; {budget.safety_reserve} more kept for safety reverts{month})"
        )

    return [
        token_check,
        _attempt(
            "fleet site",
            site,
            _hint_of(
                "check control.fleet.site_id and base_url, and that the token has the "
                "energy_device_data and energy_cmds scopes"
            ),
        ),
        replace(
            _attempt(
                "fleet budget",
                budget,
                _hint_of("wait for the next UTC day, or choose other control.limits"),
            ),
            essential=False,
        ),
    ]


def _solve_tiny() -> str:
    from datetime import UTC, datetime

    import numpy as np

    from optimiser.domain.slots import SlotGrid
    from optimiser.planner import Battery, PlanInputs, plan

    grid = SlotGrid(datetime(2025, 1, 1, tzinfo=UTC), 30, 4)
    inputs = PlanInputs.build(
        grid,
        import_price=np.array([10.0, 10.0, 40.0, 40.0]),
        export_price=np.zeros(4),
        load_kw=np.ones(4),
        solar_kw=np.zeros(4),
        battery=Battery(13.5, 2.0, 5.0, 5.0, 0.95, 0.95),
    )
    outcome = plan(inputs)
    if not outcome.status.is_ok:
        raise RuntimeError(f"a 4-slot test problem did not solve: {outcome.status.value}")
    return f"HiGHS solved a test problem in {sum(outcome.timings_ms.values()):.1f} ms"


def token_scopes(token: str) -> set[str] | None:
    """The ``scp`` (or ``scope``) claim of a JWT access token, unverified; None if not a JWT.

    Only for diagnosis: a token without ``energy_cmds`` reads the site but every command is
    refused, which ``doctor`` should say before the service finds out.
    """
    import base64
    import json

    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, json.JSONDecodeError):
        return None
    if not isinstance(claims, dict):
        return None
    scopes = claims.get("scp", claims.get("scope"))
    if isinstance(scopes, str):
        return set(scopes.split())
    if isinstance(scopes, list):
        return {str(s) for s in scopes}
    return set()
