"""The gateway emulator: a real HTTPS server speaking the Tesla Backup Gateway's local API.

Behaves as DOMAIN.md §1–2 describe: login with a JSON or form body, ``AuthCookie`` and
``UserRecord`` cookies or a bearer token, optional token lifetime, 401 on a bad password and a
429 lock-out after repeated bad logins, 403 for a customer on control endpoints, the legacy
installer control sequence (``GET /api/sitemaster/stop`` → ``POST /api/operation`` →
``GET /api/config/completed`` → ``GET /api/sitemaster/run``), islanding, and the TLS server-name
rule (the handshake is refused unless the name sent is an IP, ``teg``, ``powerwall`` or
``powerpack``). Every request first advances the :class:`EmulatedSite` to the clock's now.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import string
import struct
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from optimiser.domain.clock import Clock, RealClock
from optimiser.domain.device import OperationMode, Settings
from optimiser.domain.traces import Trace
from optimiser.domain.units import raw_to_app
from simulations.emulator import payloads
from simulations.emulator.certs import SERVER_NAMES, Certificate, make_certificate
from simulations.emulator.defaults import (
    default_settings,
    default_spec,
    default_state,
    uk_household_day,
)
from simulations.emulator.faults import Fault, Faults
from simulations.emulator.site import EmulatedSite

log = logging.getLogger(__name__)

CONTROL_PATHS = frozenset(
    {
        ("GET", "/api/sitemaster/stop"),
        ("GET", "/api/sitemaster/run"),
        ("POST", "/api/operation"),
        ("GET", "/api/config/completed"),
    }
)
# Readings that need the sitemaster running; the real gateway answers 502 while it is stopped.
_NEEDS_SITEMASTER = ("/api/system_status", "/api/meters/aggregates")
_ROLES = {"customer": ["Home_Owner"], "installer": ["Provider_Engineer"]}


def _sticker_password() -> str:
    """Five characters like the end of a gateway sticker's password."""
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(5))


@dataclass
class _Token:
    role: str
    issued: float  # monotonic seconds
    epoch: int


@dataclass
class _Reply:
    status: int
    body: Any = None  # JSON-able; None = empty body
    cookies: tuple[str, ...] = ()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: GatewayEmulator) -> None:
        self.emulator = emulator
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup; not needed on loopback.
        ThreadingHTTPServer.__bases__[1].server_bind(self)  # socketserver.TCPServer
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        # Headers and body go out as separate writes; without this, delayed ACKs cost 40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Handshake in the handler thread, so a slow client cannot stall the accept loop.
        tls = self.emulator._context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        )
        with self.sockets_lock:
            self.open_sockets.add(tls)
        return tls, addr

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("emulator: connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "teg"
    sys_version = ""
    timeout = 30
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.request.do_handshake()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("emulator: " + format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        emulator.count_request(method, path)
        fault = emulator.faults.take(path)
        if fault is not None and self._inject(fault):
            return
        reply = emulator.handle(method, path, body, self.headers)
        self._send(reply.status, reply.body, reply.cookies)

    def _inject(self, fault: Fault) -> bool:
        """Act out a fault; True when the request is done with."""
        stopping = self.server.emulator._stopping
        if fault.kind == "latency":
            stopping.wait(fault.seconds)
            return False
        if fault.kind == "hang":
            stopping.wait(fault.seconds)
            self._reset()
        elif fault.kind == "reset":
            self._reset()
        elif fault.kind == "restart":
            self._send(502, None)
        elif fault.kind == "malformed":
            self._send_raw(200, b'{"percentage": 42.4, "grid_status": "Sys')
        elif fault.code == 429:
            self._send(429, payloads.RATE_LIMITED)
        else:
            phrase = self.responses.get(fault.code, ("Error",))[0]
            self._send(fault.code, payloads.error(fault.code, phrase, phrase))
        return True

    def _reset(self) -> None:
        self.close_connection = True
        try:
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.request.close()
        except OSError:
            pass
        self.wfile = _Discard()

    def _send(self, status: int, body: Any, cookies: tuple[str, ...] = ()) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self._send_raw(status, data, cookies)

    def _send_raw(self, status: int, data: bytes, cookies: tuple[str, ...] = ()) -> None:
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for cookie in cookies:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(data)


class _Discard:
    """A write sink for a connection that was reset on purpose."""

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class GatewayEmulator:
    """A Tesla Backup Gateway on loopback, backed by an :class:`EmulatedSite`.

    Parameters
    ----------
    site : EmulatedSite, optional
        The site to serve; default one Powerwall 2 on the built-in UK household day.
    clock : Clock, optional
        Clock for the default site (ignored when ``site`` is given).
    token_lifetime_s : float, optional
        Tokens expire this long after login (real seconds); None = never. [s]
    lockout_after : int
        Bad logins in a row that lock the login out (answered 429) for ``lockout_s``.
    """

    def __init__(
        self,
        site: EmulatedSite | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime_s: float | None = None,
        customer_password: str | None = None,
        installer_password: str | None = None,
        lockout_after: int = 5,
        lockout_s: float = 300.0,
        trace: Trace | None = None,
        strict_server_name: bool = True,
        faults: Faults | None = None,
        http_port: int | None = None,
    ) -> None:
        if site is None:
            spec = default_spec()
            site = EmulatedSite(
                spec,
                default_state(spec),
                default_settings(),
                trace or uk_household_day(),
                clock or RealClock(),
            )
        self.site = site
        self.host = host
        self._requested_port = port
        self._requested_http_port = http_port
        self._http: ThreadingHTTPServer | None = None
        self.token_lifetime_s = token_lifetime_s
        self.customer_password = customer_password or _sticker_password()
        self.installer_password = installer_password or secrets.token_urlsafe(9)
        self.lockout_after = lockout_after
        self.lockout_s = lockout_s
        self.strict_server_name = strict_server_name
        self.faults = faults or Faults()
        self.site.outage = lambda when: not self.faults.grid_up_at(when)
        self.certificate: Certificate | None = None
        self.logins = 0
        self.bad_logins = 0
        self._bad_in_a_row = 0
        self._locked_until = 0.0
        self._tokens: dict[str, _Token] = {}
        self._lock = threading.Lock()
        self._sitemaster_running = True
        self._pending: Settings | None = None
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._started_monotonic = time.monotonic()
        self._context: ssl.SSLContext
        self.requests: Counter[tuple[str, str]] = Counter()

    def count_request(self, method: str, path: str) -> None:
        """Count one request (tests check, e.g., that a dry run POSTs nothing)."""
        with self._lock:
            self.requests[(method, path)] += 1

    def post_count(self) -> int:
        """POSTs received, logins excluded (settings changes and islanding)."""
        with self._lock:
            return sum(
                n for (m, p), n in self.requests.items() if m == "POST" and p != "/api/login/Basic"
            )

    def control_sequences(self) -> int:
        """Installer control sequences received (``POST /api/operation`` calls)."""
        with self._lock:
            return self.requests[("POST", "/api/operation")]

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> GatewayEmulator:
        """Bind and start serving; returns self.

        The first start makes the certificate and picks the port; a restart after
        :meth:`stop` keeps both, as a rebooted gateway keeps its certificate and address.
        """
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        if self.certificate is None:
            self.certificate = make_certificate()
            self._context = self._ssl_context(self.certificate)
        self._stopping.clear()
        self._server = _Server((self.host, self._requested_port), self)
        self._requested_port = self.port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"gateway-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        if self._requested_http_port is not None:
            self._start_redirect()
        return self

    def _start_redirect(self) -> None:
        """Plain HTTP answers 301 to the HTTPS address, as the gateway does on port 80."""
        https_port = self.port
        host = self.host

        class Redirect(BaseHTTPRequestHandler):
            def _redirect(self) -> None:
                self.send_response(301)
                self.send_header("Location", f"https://{host}:{https_port}{self.path}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_HEAD = _redirect

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("http redirect: " + format, *args)

        self._http = ThreadingHTTPServer((self.host, self._requested_http_port or 0), Redirect)
        self._requested_http_port = int(self._http.server_address[1])
        threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"gateway-emulator-http-{self._requested_http_port}",
            daemon=True,
        ).start()

    @property
    def http_url(self) -> str | None:
        """The plain-HTTP address that answers 301, when ``http_port`` was given."""
        if self._http is None:
            return None
        return f"http://{self.host}:{self._http.server_address[1]}"

    def stop(self) -> None:
        """Stop serving and drop every open connection."""
        http, self._http = self._http, None
        if http is not None:
            http.shutdown()
            http.server_close()
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> GatewayEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def fingerprint_sha256(self) -> str:
        if self.certificate is None:
            raise RuntimeError("the emulator has not started")
        return self.certificate.fingerprint_sha256

    @property
    def sitemaster_running(self) -> bool:
        return self._sitemaster_running

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far."""
        self.faults.expire_tokens()

    def _ssl_context(self, cert: Certificate) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        with tempfile.TemporaryDirectory(prefix="wattplan-emulator-") as tmp:
            cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
            cert_path.write_bytes(cert.cert_pem)
            key_path.write_bytes(cert.key_pem)
            context.load_cert_chain(cert_path, key_path)
        if self.strict_server_name:
            context.sni_callback = _server_name_rule
        return context

    # -- requests ----------------------------------------------------------------------------

    def handle(self, method: str, path: str, body: bytes, headers: Any) -> _Reply:
        """Answer one request (pure of sockets; the handler does the I/O)."""
        if (method, path) == ("POST", "/api/login/Basic"):
            return self._login(body, headers.get("Content-Type", ""))
        if (method, path) == ("GET", "/api/status"):
            return _Reply(200, payloads.status(self._readings(), self._uptime()))
        role = self._role(headers)
        if role is None:
            return _Reply(401, payloads.EXPIRED)
        if (method, path) == ("GET", "/api/logout"):
            self._revoke(headers)
            return _Reply(204)
        if (method, path) in CONTROL_PATHS:
            if role != "installer":
                return _Reply(403, payloads.FORBIDDEN)
            return self._control(method, path, body)
        if (method, path) == ("POST", "/api/v2/islanding/mode"):
            return self._islanding(body)
        if method != "GET":
            return _Reply(404, payloads.error(404, "Not Found", f"no {method} {path}"))
        if not self._sitemaster_running and path.startswith(_NEEDS_SITEMASTER):
            return _Reply(502)
        builder = _QUERIES.get(path)
        if builder is None:
            return _Reply(404, payloads.error(404, "Not Found", f"no endpoint {path}"))
        if path == "/api/sitemaster":
            return _Reply(200, payloads.sitemaster(self._sitemaster_running))
        return _Reply(200, builder(self._readings()))

    def _readings(self) -> Any:
        self.site.advance()
        return self.site.snapshot()

    def _uptime(self) -> float:
        return time.monotonic() - self._started_monotonic

    def _login(self, body: bytes, content_type: str) -> _Reply:
        fields = _parse_login(body, content_type)
        now = time.monotonic()
        with self._lock:
            if now < self._locked_until:
                return _Reply(429, payloads.RATE_LIMITED)
            username = str(fields.get("username", ""))
            password = str(fields.get("password", ""))
            expected = {
                "customer": self.customer_password,
                "installer": self.installer_password,
            }.get(username)
            if expected is None or not secrets.compare_digest(password, expected):
                self.bad_logins += 1
                self._bad_in_a_row += 1
                if self._bad_in_a_row >= self.lockout_after:
                    self._locked_until = now + self.lockout_s
                    self._bad_in_a_row = 0
                return _Reply(401, payloads.BAD_CREDENTIALS)
            self._bad_in_a_row = 0
            self.logins += 1
            token = base64.b64encode(secrets.token_bytes(64)).decode()
            self._tokens[token] = _Token(username, now, self.faults.token_epoch)
        record = base64.b64encode(
            json.dumps({"email": str(fields.get("email", "")), "roles": _ROLES[username]}).encode()
        ).decode()
        return _Reply(
            200,
            {
                "email": str(fields.get("email", "")),
                "firstname": "Tesla",
                "lastname": "Energy",
                "roles": _ROLES[username],
                "token": token,
                "provider": "Basic",
                "loginTime": datetime.now().astimezone().isoformat(timespec="milliseconds"),
            },
            (f"AuthCookie={token}; Path=/", f"UserRecord={record}; Path=/"),
        )

    def _token_of(self, headers: Any) -> str | None:
        auth = headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[len("Bearer ") :].strip()
        for part in headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "AuthCookie" and value:
                return value
        return None

    def _role(self, headers: Any) -> str | None:
        token = self._token_of(headers)
        if token is None:
            return None
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return None
            expired = entry.epoch != self.faults.token_epoch or (
                self.token_lifetime_s is not None
                and time.monotonic() - entry.issued > self.token_lifetime_s
            )
            if expired:
                del self._tokens[token]
                return None
            return entry.role

    def _revoke(self, headers: Any) -> None:
        token = self._token_of(headers)
        with self._lock:
            self._tokens.pop(token or "", None)

    def _control(self, method: str, path: str, body: bytes) -> _Reply:
        if path == "/api/sitemaster/stop":
            self._sitemaster_running = False
            return _Reply(202, {})
        if path == "/api/sitemaster/run":
            self._sitemaster_running = True
            return _Reply(202, {})
        if path == "/api/config/completed":
            if self._pending is not None:
                self.site.apply(self._pending)
                self._pending = None
            return _Reply(202, {})
        # POST /api/operation: staged until config/completed, as on the gateway.
        try:
            data = json.loads(body or b"{}")
            mode = OperationMode(data.get("real_mode", data.get("mode")))
            current = self._pending or self.site.settings
            reserve = float(data.get("backup_reserve_percent", current.backup_reserve_raw_percent))
            self._pending = replace(
                current, mode=mode, backup_reserve_app_percent=raw_to_app(reserve)
            )
        except (ValueError, TypeError, AttributeError) as exc:
            return _Reply(400, payloads.error(400, "Bad Request", f"invalid operation: {exc}"))
        return _Reply(200, {"real_mode": mode.value, "backup_reserve_percent": reserve})

    def _islanding(self, body: bytes) -> _Reply:
        try:
            mode = json.loads(body or b"{}").get("island_mode")
        except (ValueError, AttributeError):
            mode = None
        if mode not in ("backup", "intentional_reconnect_failsafe"):
            return _Reply(
                400,
                payloads.error(
                    400,
                    "Bad Request",
                    "island_mode must be 'backup' or 'intentional_reconnect_failsafe'",
                ),
            )
        self.site.set_island(mode == "backup")
        return _Reply(200, {"island_mode": mode})


_QUERIES = {
    "/api/system_status": payloads.system_status,
    "/api/system_status/soe": payloads.soe,
    "/api/system_status/grid_status": payloads.grid_status,
    "/api/system_status/grid_faults": lambda snap: [],
    "/api/meters/aggregates": payloads.meters_aggregates,
    "/api/operation": payloads.operation,
    "/api/site_info": payloads.site_info,
    "/api/site_info/site_name": payloads.site_name,
    "/api/powerwalls": payloads.powerwalls,
    "/api/sitemaster": lambda snap: None,
}


def _parse_login(body: bytes, content_type: str) -> dict[str, Any]:
    """Login fields from a JSON or form-encoded body (the gateway accepts both)."""
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {key: values[0] for key, values in parse_qs(text).items()}


def _server_name_rule(sslobj: Any, server_name: str | None, context: Any) -> int | None:
    """Refuse the handshake unless the name sent is an IP, teg, powerwall or powerpack."""
    if server_name is None or server_name in SERVER_NAMES:
        return None
    try:
        ipaddress.ip_address(server_name)
    except ValueError:
        log.debug("emulator: refusing TLS server name %r", server_name)
        return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
    return None
