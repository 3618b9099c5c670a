""":class:`FleetEmulator`: the Tesla Fleet API for one site on ``http://127.0.0.1:<port>``.

It wires an :class:`EmulatedSite` (the house; the gateway emulator's may be shared, so one
house answers on both APIs), :class:`OAuthTokens`, a :class:`CommandQuota`,
:class:`FleetFaults`, :class:`FleetApi` (the endpoints) and :class:`FleetHttpServer` (I/O).
"""

from __future__ import annotations

import threading
from datetime import date
from http import HTTPMethod
from typing import Any

from optimiser.domain.clock import Clock, RealClock
from simulations.emulator.site import EmulatedSite
from simulations.fleet_emulator.api import OAUTH, FleetApi, FleetEndpoint, FleetFaults
from simulations.fleet_emulator.auth import OAuthTokens
from simulations.fleet_emulator.http_server import FleetHttpServer
from simulations.fleet_emulator.quota import CommandQuota
from simulations.fleet_emulator.site import demo_site


class FleetEmulator:
    """The Fleet API for one site, on ``http://127.0.0.1:<port>``.

    Parameters
    ----------
    site : EmulatedSite, optional
        Default: :func:`demo_site` on ``clock``.
    site_id : str
        The ``energy_site_id`` in the URLs.
    clock : Clock, optional
        Time for token lifetimes and the daily quota; default the site's clock.
    commands_per_day : int or None
        POSTs accepted per UTC day of the clock before 429 (None: unlimited).
    token_lifetime_s : float or None
        Access tokens expire after this long on the clock (None: never). [s]
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
        self.tokens = OAuthTokens(self.clock, token_lifetime_s)
        self.quota = CommandQuota(self.clock, commands_per_day)
        self.faults = FleetFaults()
        self.api = FleetApi(self.site, self.site_id, self.tokens, self.quota, self.faults)
        self._server = FleetHttpServer((host, port), self.api)
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FleetEmulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fleet-emulator-{self.port}",
            daemon=True,
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

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL (also the OAuth server's)."""
        return f"http://127.0.0.1:{self.port}"

    # -- tokens and quota --------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        """The latest access token issued."""
        return self.tokens.access_token

    @property
    def refresh_token(self) -> str:
        """The refresh token that works now (single use)."""
        return self.tokens.refresh_token

    def expire_tokens(self) -> None:
        """Invalidate every access token (the refresh token still works)."""
        self.tokens.expire_all()

    @property
    def commands_per_day(self) -> int | None:
        """POSTs accepted per UTC day (None: unlimited); settable while running."""
        return self.quota.per_day

    @commands_per_day.setter
    def commands_per_day(self, per_day: int | None) -> None:
        self.quota.per_day = per_day

    def commands_used(self, day: date | None = None) -> int:
        """Commands counted on ``day`` (default: the clock's UTC today)."""
        return self.quota.used(day)

    def commands_by_day(self) -> dict[date, int]:
        """Commands accepted per UTC day."""
        return self.quota.by_day()

    # -- what tests look at ------------------------------------------------------------------

    @property
    def requests(self) -> list[tuple[HTTPMethod, str, int]]:
        """Every request so far as ``(method, endpoint, status)``."""
        return self.api.requests

    def post_count(self, endpoint: FleetEndpoint | None = None) -> int:
        """Energy-site POSTs received (answered or not), optionally for one endpoint."""
        return sum(
            1
            for method, path, _ in self.requests
            if method is HTTPMethod.POST
            and path != OAUTH
            and (endpoint is None or path == endpoint)
        )

    def live_status(self) -> dict[str, Any]:
        """What ``GET live_status`` answers now (its ``response``)."""
        return self.api.live_status()

    def site_info(self) -> dict[str, Any]:
        """What ``GET site_info`` answers now (its ``response``)."""
        return self.api.site_info()
