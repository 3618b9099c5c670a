""":class:`GatewayEmulator`: a Tesla Backup Gateway on loopback, put together and run.

It wires an :class:`EmulatedSite` (the house), :class:`Sessions` (login, tokens, lock-out on
the site's clock), :class:`V1rEndpoint` (signed local control), :class:`LocalApi` (the
endpoints) and :class:`HttpsServer` (TLS and I/O),
and starts, stops and restarts them as a gateway reboots: same certificate, same port.
"""

from __future__ import annotations

import secrets
import threading
from http.server import ThreadingHTTPServer

from optimiser.domain.clock import Clock, RealClock
from optimiser.domain.traces import Trace
from simulations.emulator import payloads
from simulations.emulator.api import LocalApi
from simulations.emulator.auth import Role, Sessions, sticker_password
from simulations.emulator.certs import Certificate, make_certificate
from simulations.emulator.defaults import (
    default_settings,
    default_spec,
    default_state,
    uk_household_day,
)
from simulations.emulator.faults import Faults
from simulations.emulator.https_server import (
    HttpsServer,
    redirect_server,
    serve_in_thread,
    server_context,
)
from simulations.emulator.site import EmulatedSite
from simulations.emulator.v1r import V1rEndpoint


def default_site(clock: Clock | None = None, trace: Trace | None = None) -> EmulatedSite:
    """One Powerwall 2 at 60 %, self-powered at a 20 % app reserve, on ``trace``
    (default: the built-in UK household day) and ``clock`` (default: real time)."""
    spec = default_spec()
    return EmulatedSite(
        spec,
        default_state(spec),
        default_settings(),
        trace or uk_household_day(),
        clock or RealClock(),
    )


class GatewayEmulator:
    """A Tesla Backup Gateway on loopback, backed by an :class:`EmulatedSite`.

    Parameters
    ----------
    site : EmulatedSite, optional
        The site to serve; default :func:`default_site` on ``clock`` and ``trace``.
    clock, trace : optional
        The default site's clock and load/solar trace (give them to the site instead when
        passing ``site``).
    host, port : str, int
        Where to listen (port 0: any free port, kept across restarts).
    token_lifetime_s : float, optional
        Tokens expire this long after login on the site's clock; None = never. [s]
    customer_password, installer_password : str, optional
        Default: five random capitals (as on the sticker) and a random token.
    lockout_after : int
        Bad logins in a row that lock the login out (answered 429) for ``lockout_s``.
    lockout_s : float
        Length of the lock-out on the site's clock. [s]
    strict_server_name : bool
        Refuse TLS server names other than an IP, ``teg``, ``powerwall``, ``powerpack``.
    faults : Faults, optional
        Injected faults, changeable while running.
    http_port : int, optional
        Also answer plain HTTP here with 301 to HTTPS (0: any free port).
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
        if site is not None and (clock is not None or trace is not None):
            raise ValueError(
                "clock and trace describe the default site; with site= give them to the "
                "EmulatedSite instead"
            )
        self.site = site or default_site(clock, trace)
        self.host = host
        self.strict_server_name = strict_server_name
        self.faults = faults or Faults()
        self.site.outage = lambda when: not self.faults.grid_up_at(when)
        self.customer_password = customer_password or sticker_password()
        self.installer_password = installer_password or secrets.token_urlsafe(9)
        self.sessions = Sessions(
            self.site.clock,
            {Role.CUSTOMER: self.customer_password, Role.INSTALLER: self.installer_password},
            self.faults,
            token_lifetime_s=token_lifetime_s,
            lockout_after=lockout_after,
            lockout_s=lockout_s,
        )
        self.v1r = V1rEndpoint(self.site, self.site.authorized_clients, payloads.DIN)
        self.api = LocalApi(self.site, self.sessions, self.v1r)
        self.certificate: Certificate | None = None
        self._requested_port = port
        self._requested_http_port = http_port
        self._server: HttpsServer | None = None
        self._thread: threading.Thread | None = None
        self._http: ThreadingHTTPServer | None = None

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
        context = server_context(self.certificate, strict_server_name=self.strict_server_name)
        try:
            self._server = HttpsServer(
                (self.host, self._requested_port), context, self.api, self.faults
            )
        except OSError as exc:  # name the port that failed
            raise OSError(exc.errno, exc.strerror, f"{self.host}:{self._requested_port}") from exc
        self._requested_port = self.port
        self._thread = serve_in_thread(self._server, f"gateway-emulator-{self.port}")
        if self._requested_http_port is not None:
            try:
                self._http = redirect_server((self.host, self._requested_http_port), self.url)
            except OSError as exc:
                self.stop()
                where = f"{self.host}:{self._requested_http_port} (--http-port)"
                raise OSError(exc.errno, exc.strerror, where) from exc
            self._requested_http_port = int(self._http.server_address[1])
            serve_in_thread(self._http, f"gateway-emulator-http-{self._requested_http_port}")
        return self

    def stop(self) -> None:
        """Stop serving and drop every open connection."""
        http, self._http = self._http, None
        if http is not None:
            http.shutdown()
            http.server_close()
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> GatewayEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses and identity --------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def http_url(self) -> str | None:
        """The plain-HTTP address that answers 301, when ``http_port`` was given."""
        if self._http is None:
            return None
        return f"http://{self.host}:{self._http.server_address[1]}"

    @property
    def fingerprint_sha256(self) -> str:
        if self.certificate is None:
            raise RuntimeError("the emulator has not started")
        return self.certificate.fingerprint_sha256

    # -- what tests look at ------------------------------------------------------------------

    @property
    def sitemaster_running(self) -> bool:
        return self.api.sitemaster_running

    @property
    def logins(self) -> int:
        """Successful logins so far."""
        return self.sessions.logins

    @property
    def bad_logins(self) -> int:
        """Refused logins so far (wrong user or password; not those refused while locked)."""
        return self.sessions.bad_logins

    def post_count(self) -> int:
        """POSTs received, logins excluded (settings changes and islanding)."""
        return self.api.post_count()

    def control_sequences(self) -> int:
        """Installer control sequences received (``POST /api/operation`` calls)."""
        return self.api.control_sequences()

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far."""
        self.faults.expire_tokens()

    # -- v1r ---------------------------------------------------------------------------------

    def power_cycle(self) -> int:
        """The owner switches the Powerwall off and on: keys pending verification (within
        their window) become verified. Returns how many."""
        return self.site.authorized_clients.power_cycle()

    def authorize_key(self, public_key_der: bytes) -> None:
        """Register a v1r public key (PKCS#1 DER) as already verified, skipping pairing."""
        self.site.authorized_clients.authorize(public_key_der, "wattplan")
