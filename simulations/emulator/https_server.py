"""The gateway's HTTPS server: TLS, the server-name rule, HTTP/1.1 I/O and acted-out faults.

Each request is counted, then the next matching :class:`Fault` (if any) is acted out on the
socket (latency, hang, reset, a 502, truncated JSON, an error status); otherwise
:meth:`LocalApi.handle` answers it. The TLS handshake is refused unless the server name sent
is an IP, ``teg``, ``powerwall`` or ``powerpack``, as on the gateway. A plain-HTTP server
answering 301 to the HTTPS address stands in for the gateway's port 80.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import ssl
import struct
import tempfile
import threading
from http import HTTPMethod
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import TCPServer
from urllib.parse import urlsplit

from simulations.emulator import payloads
from simulations.emulator.api import JsonBody, LocalApi, Request
from simulations.emulator.auth import token_from_headers
from simulations.emulator.certs import SERVER_NAMES, Certificate
from simulations.emulator.faults import Fault, FaultKind, Faults

log = logging.getLogger(__name__)

_Address = tuple[str, int]


def server_context(cert: Certificate, *, strict_server_name: bool = True) -> ssl.SSLContext:
    """A TLS ≥ 1.2 server context for ``cert``, with the gateway's server-name rule."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="wattplan-emulator-") as tmp:
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_path.write_bytes(cert.cert_pem)
        key_path.write_bytes(cert.key_pem)
        context.load_cert_chain(cert_path, key_path)
    if strict_server_name:
        context.sni_callback = _server_name_rule
    return context


def _server_name_rule(
    sslobj: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, context: ssl.SSLContext
) -> int | None:
    """Refuse the handshake unless the name sent is an IP, teg, powerwall or powerpack."""
    if server_name is None or server_name in SERVER_NAMES:
        return None
    try:
        ipaddress.ip_address(server_name)
    except ValueError:
        log.debug("emulator: refusing TLS server name %r", server_name)
        return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
    return None


class HttpsServer(ThreadingHTTPServer):
    """Serves one :class:`LocalApi` over TLS; :meth:`close` also drops open connections."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: _Address, context: ssl.SSLContext, api: LocalApi, faults: Faults
    ) -> None:
        self.context = context
        self.api = api
        self.faults = faults
        self.stopping = threading.Event()  # ends latency and hang faults early on close
        self.open_sockets: set[ssl.SSLSocket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup; not needed on loopback.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self) -> tuple[ssl.SSLSocket, _Address]:
        sock, addr = self.socket.accept()
        # Headers and body go out as separate writes; without this, delayed ACKs cost 40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Handshake in the handler thread, so a slow client cannot stall the accept loop.
        tls = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.sockets_lock:
            self.open_sockets.add(tls)
        return tls, addr

    def shutdown_request(self, request: socket.socket) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: socket.socket, client_address: _Address) -> None:
        log.debug("emulator: connection from %s ended abruptly", client_address, exc_info=True)

    def close(self) -> None:
        """Stop serving, close the socket and drop every open connection."""
        self.stopping.set()
        self.shutdown()
        self.server_close()
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "teg"
    sys_version = ""
    timeout = 30
    server: HttpsServer
    request: ssl.SSLSocket

    def setup(self) -> None:
        super().setup()
        self.request.do_handshake()

    def log_message(self, format: str, *args: object) -> None:
        log.debug("emulator: " + format, *args)

    def do_GET(self) -> None:
        self._dispatch(HTTPMethod.GET)

    def do_POST(self) -> None:
        self._dispatch(HTTPMethod.POST)

    def _dispatch(self, method: HTTPMethod) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        self.server.api.count(method, path)
        fault = self.server.faults.take(path)
        if fault is not None and self._act_out(fault):
            return
        request = Request(
            method,
            path,
            body,
            self.headers.get("Content-Type", ""),
            token_from_headers(
                self.headers.get("Authorization", ""), self.headers.get("Cookie", "")
            ),
        )
        reply = self.server.api.handle(request)
        if isinstance(reply.body, bytes):
            self._send_raw(reply.status, reply.body, reply.cookies, reply.content_type)
        else:
            self._send(reply.status, reply.body, reply.cookies)

    def _act_out(self, fault: Fault) -> bool:
        """Act out a fault; True when the request is done with."""
        stopping = self.server.stopping
        if fault.kind is FaultKind.LATENCY:
            stopping.wait(fault.seconds)
            return False
        if fault.kind is FaultKind.HANG:
            stopping.wait(fault.seconds)
            self._reset()
        elif fault.kind is FaultKind.RESET:
            self._reset()
        elif fault.kind is FaultKind.RESTART:
            self._send(502, None)
        elif fault.kind is FaultKind.MALFORMED:
            self._send_raw(200, b'{"percentage": 42.4, "grid_status": "Sys')
        elif fault.code == 429:
            self._send(429, payloads.RATE_LIMITED)
        else:
            phrase = self.responses.get(fault.code, ("Error",))[0]
            self._send(fault.code, payloads.error(fault.code, phrase, phrase))
        return True

    def _reset(self) -> None:
        """Reset the TCP connection (RST, no answer)."""
        self.close_connection = True
        try:
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.request.close()
        except OSError:
            pass
        self.wfile = _Discard()

    def _send(self, status: int, body: JsonBody, cookies: tuple[str, ...] = ()) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self._send_raw(status, data, cookies)

    def _send_raw(
        self,
        status: int,
        data: bytes,
        cookies: tuple[str, ...] = (),
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        if data:
            self.send_header("Content-Type", content_type)
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


def redirect_server(address: _Address, https_url: str) -> ThreadingHTTPServer:
    """Plain HTTP answering 301 to ``https_url`` + path, as the gateway does on port 80."""

    class Redirect(BaseHTTPRequestHandler):
        def _redirect(self) -> None:
            self.send_response(301)
            self.send_header("Location", f"{https_url}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_HEAD = _redirect

        def log_message(self, format: str, *args: object) -> None:
            log.debug("http redirect: " + format, *args)

    return ThreadingHTTPServer(address, Redirect)


def serve_in_thread(server: TCPServer, name: str) -> threading.Thread:
    """Run ``server.serve_forever`` on a daemon thread; returns the started thread."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    return thread
