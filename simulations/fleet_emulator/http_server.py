"""The Fleet emulator's plain-HTTP server: reads a request, lets :class:`FleetApi` answer it.

Plain HTTP on loopback: the Fleet base URL is configurable in wattplan, so HTTPS can come later.
"""

from __future__ import annotations

import json
from http import HTTPMethod
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from simulations.fleet_emulator.api import FleetApi, Reply, Request

_Address = tuple[str, int]


class FleetHttpServer(ThreadingHTTPServer):
    """Serves one :class:`FleetApi`."""

    daemon_threads = True

    def __init__(self, address: _Address, api: FleetApi) -> None:
        self.api = api
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: FleetHttpServer

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet: tests run many requests

    def do_GET(self) -> None:
        self._dispatch(HTTPMethod.GET)

    def do_POST(self) -> None:
        self._dispatch(HTTPMethod.POST)

    def _dispatch(self, method: HTTPMethod) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method, urlsplit(self.path).path, body, self.headers.get("Authorization", "")
        )
        self._send(self.server.api.handle(request))

    def _send(self, reply: Reply) -> None:
        payload = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
