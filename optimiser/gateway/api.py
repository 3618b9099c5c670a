"""The thin endpoint layer: one method per gateway endpoint, returning the decoded JSON.

One :class:`requests.Session` is reused for every call (gateways have crashed under many
sessions). It logs in lazily with a JSON body, logs in again once on 401/403 and retries once,
enforces a cool-down after a 429, stops after ``max_login_attempts`` refused logins in a row,
counted across processes (:mod:`~optimiser.gateway.failed_logins`; the gateway locks people
out), and puts a timeout on every request. Every ``requests``,
``ssl`` and ``json`` failure is translated into :mod:`optimiser.gateway.errors`.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable
from typing import Any

import requests
from pydantic import SecretStr

from optimiser.gateway.errors import (
    AccessDenied,
    AuthenticationError,
    GatewayRestarting,
    GatewayTimeout,
    GatewayUnavailable,
    LoginLockedOut,
    ProtocolError,
    RateLimited,
    SessionRefused,
)
from optimiser.gateway.failed_logins import FailedLogins
from optimiser.gateway.tls import TlsPolicy, explain_tls_failure, is_ip, make_session

log = logging.getLogger(__name__)

LOGIN = "/api/login/Basic"
TEDAPI_DIN = "/tedapi/din"
TEDAPI_V1R = "/tedapi/v1r"


class GatewayApi:
    """Raw access to one gateway's local API.

    Parameters
    ----------
    host, port : str, int
        Where the gateway listens.
    policy : TlsPolicy
        How its certificate is trusted and which server name is sent.
    username : str
        ``customer`` (reading, islanding) or ``installer`` (legacy local control).
    timeout_s : float
        Connect and read timeout of every request. [s]
    rate_limit_cooldown_s : float
        After a 429, calls fail fast with :class:`RateLimited` for this long. [s]
    max_login_attempts : int
        Refused logins in a row before :class:`LoginLockedOut`.
    failed_logins : FailedLogins, optional
        Where refused logins are counted (default: in memory, this process only).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        policy: TlsPolicy,
        password: SecretStr,
        username: str = "customer",
        email: str = "wattplan@localhost",
        timeout_s: float = 10.0,
        rate_limit_cooldown_s: float = 300.0,
        max_login_attempts: int = 3,
        monotonic: Callable[[], float] = time.monotonic,
        failed_logins: FailedLogins | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.policy = policy
        self.username = username
        self.email = email
        self.timeout_s = timeout_s
        self.rate_limit_cooldown_s = rate_limit_cooldown_s
        self.max_login_attempts = max_login_attempts
        self._password = password
        self._monotonic = monotonic
        url_host = f"[{host}]" if ":" in host else host
        self.base_url = f"https://{url_host}:{port}"
        self.session = make_session(policy, None if is_ip(host) else policy.server_name)
        self._token: str | None = None
        self.failed_logins = failed_logins or FailedLogins()
        self._cooldown_until = 0.0
        self.logins = 0

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    def close(self) -> None:
        """Close the session's connections (does not log out, to spare the gateway)."""
        self.session.close()

    def _check_cooldown(self) -> None:
        left = self._cooldown_until - self._monotonic()
        if left > 0:
            raise RateLimited(
                f"the gateway rate-limited wattplan; not calling it for another {left:.0f} s",
                retry_after_s=left,
            )

    def _start_cooldown(self, what: str) -> RateLimited:
        self._cooldown_until = self._monotonic() + self.rate_limit_cooldown_s
        return RateLimited(
            f"{what}: the gateway answered 429 (API limit reached); cooling down for "
            f"{self.rate_limit_cooldown_s:.0f} s",
            retry_after_s=self.rate_limit_cooldown_s,
        )

    def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        data: bytes | None = None,
        headers: dict[str, str | None] | None = None,
    ) -> requests.Response:
        what = f"{method} {path}"
        try:
            return self.session.request(
                method,
                self.base_url + path,
                json=body,
                data=data,
                headers=headers,
                timeout=self.timeout_s,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as exc:
            raise explain_tls_failure(
                exc, self.host, self.port, self.policy, self.timeout_s
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise GatewayTimeout(
                f"{what}: no answer from the gateway at {self.host}:{self.port} within "
                f"{self.timeout_s} s"
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise GatewayUnavailable(
                f"{what}: cannot reach the gateway at {self.host}:{self.port}: {_short(exc)}"
            ) from exc
        except (requests.RequestException, ssl.SSLError, OSError, ValueError) as exc:
            raise GatewayUnavailable(f"{what}: request failed: {_short(exc)}") from exc

    def _decode(self, response: requests.Response, method: str, path: str) -> Any:
        """The JSON of a 2xx answer (None when empty); errors as :meth:`_check`."""
        self._check(response, method, path)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:  # requests.JSONDecodeError is a ValueError
            raise ProtocolError(
                f"{method} {path}: expected JSON, got {response.text[:60]!r}", endpoint=path
            ) from exc

    def _check(self, response: requests.Response, method: str, path: str) -> None:
        """Raise the error an HTTP status other than 2xx means (429 starts the cool-down)."""
        what = f"{method} {path}"
        code = response.status_code
        if code == 429:
            raise self._start_cooldown(what)
        if code == 502:
            raise GatewayRestarting(f"{what}: 502, the gateway is restarting; try again shortly")
        if code >= 500:
            raise GatewayUnavailable(f"{what}: the gateway answered HTTP {code}")
        if code == 404:
            raise ProtocolError(f"{what}: 404, this firmware has no such endpoint", endpoint=path)
        if code >= 300:
            raise ProtocolError(
                f"{what}: expected HTTP 2xx, got {code}: {response.text[:120]!r}", endpoint=path
            )

    # -- auth --------------------------------------------------------------------------------

    def login(self) -> None:
        """Log in (``POST /api/login/Basic``) and keep the token for later calls."""
        self._check_cooldown()
        if self.failed_logins.count() >= self.max_login_attempts:
            raise self._locked_out()
        self._token = None
        self.session.headers.pop("Authorization", None)
        self.session.cookies.clear()
        body = {
            "username": self.username,
            "password": self._password.get_secret_value(),
            "email": self.email,
            "force_sm_off": False,
        }
        response = self._send("POST", LOGIN, body)
        if response.status_code in (401, 403):
            refused = self.failed_logins.refused()
            if refused >= self.max_login_attempts:
                raise self._locked_out()
            raise AuthenticationError(
                f"the gateway refused the password for user {self.username!r} "
                f"(HTTP {response.status_code}; refused login {refused} of "
                f"{self.max_login_attempts} in a row, counted across runs, before wattplan "
                f"stops trying)",
                hint="check the gateway password (the last 5 characters of the password on "
                "the gateway's sticker)",
            )
        data = self._decode(response, "POST", LOGIN)
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ProtocolError(
                f"POST {LOGIN}: expected a 'token' string in the login answer",
                endpoint=LOGIN,
                field="token",
            )
        self.failed_logins.succeeded()
        self._token = token
        self.logins += 1
        self.session.headers["Authorization"] = f"Bearer {token}"
        log.debug("logged in to the gateway as %s", self.username)

    def _locked_out(self) -> LoginLockedOut:
        return LoginLockedOut(
            f"the gateway refused the password for user {self.username!r} "
            f"{self.failed_logins.count()} times in a row; wattplan stopped trying so that the "
            f"gateway does not lock you out",
            hint="check the gateway password (gateway.password_file or the environment "
            "variable), then run wattplan again",
        )

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Call an endpoint with the session, re-logging in once on 401/403; its JSON."""
        return self._decode(self._authorised(method, path, body), method, path)

    def _authorised(self, method: str, path: str, body: Any = None) -> requests.Response:
        """Send with the login's token, logging in first if needed and again once on
        401/403; the answer, not yet checked."""
        self._check_cooldown()
        if self._token is None:
            self.login()
        response = self._send(method, path, body)
        if response.status_code == 403 and _is_role_denial(response):
            # The role lacks the right (a customer POSTing a control endpoint): a new session
            # would not help, and every extra login is a session the gateway must hold.
            raise AccessDenied(
                f"{method} {path}: the gateway denies user {self.username!r} access (HTTP 403)"
            )
        if response.status_code in (401, 403):
            log.debug("%s %s: %s, logging in again", method, path, response.status_code)
            self.login()
            response = self._send(method, path, body)
            if response.status_code == 403 and _is_role_denial(response):
                raise AccessDenied(
                    f"{method} {path}: the gateway denies user {self.username!r} access (HTTP 403)"
                )
            if response.status_code in (401, 403):
                # The password was just accepted: a glitch of this endpoint, not credentials.
                raise SessionRefused(
                    f"{method} {path}: expected an answer with a fresh session, got HTTP "
                    f"{response.status_code} right after an accepted login"
                )
        return response

    # -- endpoints ---------------------------------------------------------------------------

    def get_logout(self) -> None:
        """``GET /api/logout``."""
        if self._token is not None:
            self._decode(self._send("GET", "/api/logout"), "GET", "/api/logout")
            self._token = None

    def get_system_status(self) -> Any:
        return self.request("GET", "/api/system_status")

    def get_system_status_soe(self) -> Any:
        return self.request("GET", "/api/system_status/soe")

    def get_system_status_grid_status(self) -> Any:
        return self.request("GET", "/api/system_status/grid_status")

    def get_system_status_grid_faults(self) -> Any:
        return self.request("GET", "/api/system_status/grid_faults")

    def get_meters_aggregates(self) -> Any:
        return self.request("GET", "/api/meters/aggregates")

    def get_operation(self) -> Any:
        return self.request("GET", "/api/operation")

    def get_site_info(self) -> Any:
        return self.request("GET", "/api/site_info")

    def get_status(self) -> Any:
        return self.request("GET", "/api/status")

    def get_sitemaster(self) -> Any:
        return self.request("GET", "/api/sitemaster")

    def get_powerwalls(self) -> Any:
        return self.request("GET", "/api/powerwalls")

    def get_sitemaster_stop(self) -> Any:
        return self.request("GET", "/api/sitemaster/stop")

    def get_sitemaster_run(self) -> Any:
        return self.request("GET", "/api/sitemaster/run")

    def post_operation(self, real_mode: str, backup_reserve_percent: float) -> Any:
        return self.request(
            "POST",
            "/api/operation",
            {"real_mode": real_mode, "backup_reserve_percent": backup_reserve_percent},
        )

    def get_config_completed(self) -> Any:
        return self.request("GET", "/api/config/completed")

    def post_islanding_mode(self, island_mode: str) -> Any:
        return self.request("POST", "/api/v2/islanding/mode", {"island_mode": island_mode})

    def get_tedapi_din(self) -> str:
        """``GET /tedapi/din`` (customer login): the gateway's DIN, as text."""
        response = self._authorised("GET", TEDAPI_DIN)
        self._check(response, "GET", TEDAPI_DIN)
        din = response.content.decode("utf-8", errors="replace").strip()
        if not din:
            raise ProtocolError(
                f"GET {TEDAPI_DIN}: expected the DIN, got nothing", endpoint=TEDAPI_DIN
            )
        return din

    def post_tedapi_v1r(self, message: bytes) -> bytes:
        """``POST /tedapi/v1r``: one signed message out, the gateway's answer (bytes) back.

        No login and no Authorization header: the message's RSA signature is the credential.
        """
        self._check_cooldown()
        headers = {"Content-Type": "application/octet-stream", "Authorization": None}
        response = self._send("POST", TEDAPI_V1R, data=message, headers=headers)
        self._check(response, "POST", TEDAPI_V1R)
        return response.content


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "…"


def _is_role_denial(response: Any) -> bool:
    """A 403 whose body says the user's role lacks the right (not an expired session)."""
    try:
        body = response.json()
    except ValueError:
        return False
    text = f"{body.get('error', '')} {body.get('message', '')}" if isinstance(body, dict) else ""
    return "adequate access rights" in text or "Unable to POST" in text
