"""Serve the dashboard on its own thread, so no client can slow the control loop.

:class:`WebServer` binds the socket at construction (a port in use is an error at once, on the
caller's thread), then runs uvicorn's event loop on a daemon thread. The loop only meets the
web through :class:`~optimiser.web.live.LiveView`'s lock, held for a few assignments; a client
that connects and never reads holds nothing but its own socket.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError

log = logging.getLogger("wattplan.web")

MAX_CONNECTIONS = 256  # more at once are answered 503
KEEP_ALIVE_S = 5.0


class WebServerError(WattplanError):
    """The dashboard's address cannot be used (a port in use, an unknown host)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class WebServer:
    """The dashboard's HTTP server on ``host:port`` (port 0: any free port)."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: without it a keep-alive client waits ~40 ms per
        # answer (Nagle against delayed ACKs; measured by benchmarks/web_speed.py).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise WebServerError(
                f"web: cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="choose another web.port (or stop what uses it), or set web.enabled: false",
            ) from exc
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        self.host = host
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            timeout_keep_alive=KEEP_ALIVE_S,
            limit_concurrency=MAX_CONNECTIONS,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="wattplan-web", daemon=True)

    @property
    def url(self) -> str:
        """Where the dashboard answers."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> WebServer:
        """Serve on the thread; returns once the server accepts connections."""
        self._thread.start()
        for _ in range(500):
            if self._server.started or not self._thread.is_alive():
                break
            time.sleep(0.01)
        if not self._server.started:
            raise WebServerError(f"web: the server on {self.url} did not start")
        return self

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except Exception as exc:  # the dashboard failing must never stop the service
            log.error("web server stopped: %s: %s", type(exc).__name__, exc)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop serving and close the socket."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=timeout_s)
        self._socket.close()

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
