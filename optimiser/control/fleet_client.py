"""Tesla Fleet API client for a Powerwall site's energy endpoints (the I/O edge).

One method per endpoint, returning the ``response`` object of the answer as a dict
(DOMAIN.md §2); :class:`optimiser.control.backends.FleetBackend` builds typed settings on it.

Auth: an OAuth bearer token from a token file (JSON with ``access_token`` and
``refresh_token``, or a bare access token) or an environment variable. On a 401 the client
refreshes once (``POST {auth_url}/oauth2/v3/token``, ``grant_type=refresh_token``), stores the
new tokens back in the token file, and retries the request once. Tokens are never logged.

Errors (see :mod:`optimiser.control.errors`): ``FleetUnavailable`` (network, timeout, 5xx),
``FleetRateLimited`` (429), ``FleetAuthError`` (401 after refresh, 403, no token),
``FleetProtocolError`` (400, non-JSON, missing fields). No ``requests`` exception escapes.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from optimiser.control.errors import (
    FleetAuthError,
    FleetProtocolError,
    FleetRateLimited,
    FleetUnavailable,
)

log = logging.getLogger(__name__)


_JSON_STARTS = frozenset('{["')  # a bare token is base64url-ish: never starts with these


def _tokens_from_json(text: str, where: Path) -> tuple[str | None, str | None]:
    """(access, refresh) from a token file's JSON; :class:`FleetAuthError` if it is not an
    object whose ``access_token``/``refresh_token`` are strings."""
    expected = 'expected a JSON object {"access_token": "…", "refresh_token": "…"}'
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FleetAuthError(
            f"Fleet token file {where}: {expected}, got invalid JSON at line {exc.lineno}"
        ) from exc
    if not isinstance(data, dict):
        raise FleetAuthError(
            f"Fleet token file {where}: {expected}, got a JSON {_json_kind(data)}",
            hint="write the token file as a JSON object, or as the bare access token alone",
        )
    tokens: list[str | None] = []
    for key in ("access_token", "refresh_token"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise FleetAuthError(
                f"Fleet token file {where}: {key} must be a string, got a JSON {_json_kind(value)}"
            )
        tokens.append(value or None)
    return tokens[0], tokens[1]


def _json_kind(value: Any) -> str:
    """JSON's name for the type of a decoded value."""
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "number", float: "number"}.get(
        type(value), "null"
    )


class TokenSource:
    """Where the bearer token comes from and where a refreshed one goes.

    Parameters
    ----------
    token_file : Path, optional
        JSON ``{"access_token": …, "refresh_token": …}`` or a bare access token.
    token_env : str
        Environment variable holding the access token (used when no file is given).
    refresh_token_env : str, optional
        Environment variable holding a refresh token (with ``token_env``).
    """

    def __init__(
        self,
        token_file: Path | None = None,
        token_env: str = "WATTPLAN_FLEET_TOKEN",  # noqa: S107 - a variable name
        refresh_token_env: str | None = None,
    ) -> None:
        self.token_file = token_file.expanduser() if token_file is not None else None
        self.token_env = token_env
        self.refresh_token_env = refresh_token_env
        self._access: str | None = None
        self._refresh: str | None = None
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        if self.token_file is not None:
            try:
                text = self.token_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise FleetAuthError(
                    f"cannot read the Fleet token file {self.token_file}: {exc.strerror}"
                ) from exc
            if text[:1] in _JSON_STARTS:
                self._access, self._refresh = _tokens_from_json(text, self.token_file)
            else:
                self._access = text or None
        else:
            self._access = os.environ.get(self.token_env) or None
            if self.refresh_token_env:
                self._refresh = os.environ.get(self.refresh_token_env) or None
        self._loaded = True

    def access_token(self) -> str:
        """The current access token; raises :class:`FleetAuthError` if there is none."""
        self._load()
        if not self._access:
            where = self.token_file or f"${self.token_env}"
            raise FleetAuthError(
                f"no Fleet API access token in {where}",
                hint="set control.fleet.token_file or the environment variable "
                f"{self.token_env} to a token with the energy_cmds scope",
            )
        return self._access

    def refresh_token(self) -> str | None:
        """The refresh token, if one is known."""
        self._load()
        return self._refresh

    def store(self, access_token: str, refresh_token: str | None) -> None:
        """Keep refreshed tokens; written back (mode 0600, atomically) to the token file."""
        self._access = access_token
        if refresh_token:
            self._refresh = refresh_token
        self._loaded = True
        if self.token_file is None:
            return
        payload = json.dumps({"access_token": self._access, "refresh_token": self._refresh})
        folder = self.token_file.parent
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".fleet-token-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.token_file)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            log.warning("could not store the refreshed Fleet token in %s: %s", folder, exc)


class FleetClient:
    """Thin client over ``{base_url}/api/1/energy_sites/{site_id}/…``.

    Parameters
    ----------
    base_url : str
        e.g. ``https://fleet-api.prd.eu.vn.cloud.tesla.com`` or an emulator's URL.
    site_id : str
        ``energy_site_id``.
    token_source : TokenSource
        Bearer token and refresh token.
    timeout : float
        Per-request timeout. [s]
    auth_url : str
        OAuth server for the refresh (``{auth_url}/oauth2/v3/token``).
    client_id : str, optional
        OAuth client id sent with the refresh.
    session : requests.Session, optional
        Injected session (tests, connection reuse).
    """

    def __init__(
        self,
        base_url: str,
        site_id: str,
        token_source: TokenSource,
        timeout: float = 15.0,
        *,
        auth_url: str = "https://auth.tesla.com",
        client_id: str | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.site_id = str(site_id)
        self.tokens = token_source
        self.timeout = timeout
        self.auth_url = auth_url.rstrip("/")
        self.client_id = client_id
        self.session = session or requests.Session()
        self.commands_sent = 0

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # -- endpoints ------------------------------------------------------------------------
    def get_live_status(self) -> dict[str, Any]:
        """``GET live_status``: powers [W], ``percentage_charged`` (app scale), grid status."""
        return self._call("GET", "live_status")

    def get_site_info(self) -> dict[str, Any]:
        """``GET site_info``: reserve (app scale), mode, components, ``tariff_content_v2``."""
        return self._call("GET", "site_info")

    def post_operation(self, mode: str) -> dict[str, Any]:
        """``POST operation {"default_real_mode": mode}``."""
        return self._call("POST", "operation", {"default_real_mode": mode})

    def post_backup(self, backup_reserve_percent: float) -> dict[str, Any]:
        """``POST backup`` with the reserve on the app scale (≤ 80 or exactly 100). [%]"""
        return self._call("POST", "backup", {"backup_reserve_percent": backup_reserve_percent})

    def post_grid_import_export(self, *, grid_charging: bool, export_rule: str) -> dict[str, Any]:
        """``POST grid_import_export``."""
        body = {
            "disallow_charge_from_grid_with_solar_installed": not grid_charging,
            "customer_preferred_export_rule": export_rule,
        }
        return self._call("POST", "grid_import_export", body)

    def post_time_of_use_settings(self, tariff_content: Mapping[str, Any]) -> dict[str, Any]:
        """``POST time_of_use_settings`` uploading ``tariff_content_v2``."""
        body = {"tou_settings": {"tariff_content_v2": dict(tariff_content)}}
        return self._call("POST", "time_of_use_settings", body)

    def post_storm_mode(self, enabled: bool) -> dict[str, Any]:
        """``POST storm_mode {"enabled": …}``."""
        return self._call("POST", "storm_mode", {"enabled": enabled})

    def post_command(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """``POST command`` with a ``grpc_command`` carrying ``message`` (v1r key registration
        and listing, :mod:`optimiser.gateway.v1r.pairing`)."""
        body = {
            "command_type": "grpc_command",
            "command_properties": {"message": dict(message), "identifier_type": 1},
        }
        return self._call("POST", "command", body)

    # -- plumbing -------------------------------------------------------------------------
    def _call(self, method: str, endpoint: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}/api/1/energy_sites/{self.site_id}/{endpoint}"
        response = self._send(method, url, body)
        if response.status_code == 401 and self._refresh():
            response = self._send(method, url, body)
        return self._parse(method, endpoint, response)

    def _send(self, method: str, url: str, body: dict[str, Any] | None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens.access_token()}"}
        if method == "POST":
            self.commands_sent += 1
        try:
            return self.session.request(
                method, url, json=body, headers=headers, timeout=self.timeout
            )
        except requests.Timeout as exc:
            raise FleetUnavailable(
                f"Fleet API {method} {url} timed out after {self.timeout:g} s"
            ) from exc
        except requests.RequestException as exc:
            raise FleetUnavailable(
                f"Fleet API {method} {url} unreachable: {type(exc).__name__}"
            ) from exc

    def _refresh(self) -> bool:
        refresh = self.tokens.refresh_token()
        if not refresh:
            return False
        form = {"grant_type": "refresh_token", "refresh_token": refresh}
        if self.client_id:
            form["client_id"] = self.client_id
        url = f"{self.auth_url}/oauth2/v3/token"
        try:
            response = self.session.post(url, data=form, timeout=self.timeout)
        except requests.RequestException as exc:
            raise FleetUnavailable(f"token refresh at {url} failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise FleetAuthError(
                f"token refresh at {url}: expected 200, got {response.status_code}",
                hint="sign in again and write a fresh token to control.fleet.token_file",
            )
        try:
            data = response.json()
            access = data["access_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise FleetProtocolError(
                f"token refresh at {url}: expected JSON with access_token"
            ) from exc
        self.tokens.store(access, data.get("refresh_token"))
        log.info("Fleet API token refreshed")
        return True

    def _parse(self, method: str, endpoint: str, response: requests.Response) -> Any:
        status = response.status_code
        where = f"Fleet API {method} {endpoint}"
        if status == 429:
            retry = response.headers.get("Retry-After")
            try:
                retry_s = float(retry) if retry is not None else None
            except ValueError:
                retry_s = None
            raise FleetRateLimited(
                f"{where}: rate limited (429); retry after {retry or 'a while'} s",
                retry_after_s=retry_s,
            )
        if status == 401:
            raise FleetAuthError(
                f"{where}: the token was refused (401) and could not be refreshed",
                hint="sign in again and write a fresh token to control.fleet.token_file",
            )
        if status == 403:
            raise FleetAuthError(
                f"{where}: access denied (403); the token needs the energy_cmds scope "
                f"and access to site {self.site_id}"
            )
        if status >= 500:
            raise FleetUnavailable(f"{where}: server error {status}")
        try:
            data = response.json()
        except ValueError as exc:
            raise FleetProtocolError(
                f"{where}: expected a JSON answer, got {response.headers.get('Content-Type')!r}"
            ) from exc
        if status >= 400:
            detail = data.get("error") if isinstance(data, dict) else None
            raise FleetProtocolError(f"{where}: rejected ({status}): {detail or data}")
        if not isinstance(data, dict) or "response" not in data:
            raise FleetProtocolError(f"{where}: expected an object with 'response', got {data!r}")
        return data["response"]
