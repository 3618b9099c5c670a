"""TLS towards the gateway: trust on first use, CA files, and the server-name rule.

The gateway has a self-signed certificate and aborts the handshake unless the name it is
asked for is its IP, ``teg``, ``powerwall`` or ``powerpack`` (DOMAIN.md §1). wattplan
therefore sends the host itself when it is an IP address and ``powerwall`` otherwise (both as
TLS SNI and as the HTTP ``Host``), unless ``gateway.server_name`` says otherwise.

Trust, in order of preference:

- ``ca_file``: verify the chain against that CA bundle and the name against the server name;
- ``insecure: true``: no verification at all (an explicit opt-in);
- otherwise **trust on first use**: the certificate's SHA-256 fingerprint is pinned in
  ``<state dir>/gateway-pins.json`` the first time, and every later connection (each TLS
  handshake, via urllib3's ``assert_fingerprint``) must present the same one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from optimiser.gateway.errors import (
    CertificateMismatch,
    GatewayTimeout,
    GatewayUnavailable,
    TrustError,
)

log = logging.getLogger(__name__)

PINS_FILE = "gateway-pins.json"


def is_ip(host: str) -> bool:
    """True for an IPv4 or IPv6 literal."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def server_name_for(host: str, explicit: str | None = None) -> str:
    """The TLS server name to send: ``explicit``, else the host if an IP, else ``powerwall``."""
    if explicit:
        return explicit
    return host if is_ip(host) else "powerwall"


def normalise_fingerprint(value: str) -> str:
    """Lower-case hex without colons."""
    return value.replace(":", "").strip().lower()


def fingerprint_of(der: bytes) -> str:
    """SHA-256 of a DER certificate, lower-case hex."""
    return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class TlsPolicy:
    """How to trust one gateway connection.

    Exactly one of ``fingerprint`` (pinned), ``ca_file`` or ``insecure`` applies.
    """

    server_name: str
    fingerprint: str | None = None
    ca_file: Path | None = None
    insecure: bool = False

    def __post_init__(self) -> None:
        chosen = sum((self.fingerprint is not None, self.ca_file is not None, self.insecure))
        if chosen != 1:
            raise ValueError("a TLS policy needs exactly one of fingerprint, ca_file, insecure")


class PinStore:
    """Pinned certificate fingerprints, one per ``host:port``, in a small JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise TrustError(
                f"cannot read the certificate pins in {self.path}: {exc}",
                hint="delete the file and run `wattplan trust` to pin the gateway again",
            ) from exc
        if not isinstance(data, dict):
            raise TrustError(f"{self.path}: expected a JSON object of pins, got {type(data)}")
        return data

    def get(self, address: str) -> str | None:
        """The pinned fingerprint for ``host:port``, or None."""
        entry = self._read().get(address)
        if isinstance(entry, dict) and isinstance(entry.get("sha256"), str):
            return normalise_fingerprint(entry["sha256"])
        return None

    def set(self, address: str, fingerprint: str) -> None:
        """Pin ``fingerprint`` for ``host:port`` (atomic write, owner-only)."""
        data = self._read()
        data[address] = {
            "sha256": normalise_fingerprint(fingerprint),
            "pinned_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError as exc:
            raise TrustError(f"cannot write the certificate pins to {self.path}: {exc}") from exc

    def remove(self, address: str) -> bool:
        """Forget the pin for ``host:port``; True if there was one."""
        data = self._read()
        if data.pop(address, None) is None:
            return False
        self.set_all(data)
        return True

    def set_all(self, data: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise TrustError(f"cannot write the certificate pins to {self.path}: {exc}") from exc


def fetch_fingerprint(host: str, port: int, server_name: str, timeout_s: float) -> str:
    """Connect without verification and return the presented certificate's fingerprint."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sni = None if is_ip(server_name) else server_name
    try:
        with (
            socket.create_connection((host, port), timeout=timeout_s) as raw,
            context.wrap_socket(raw, server_hostname=sni) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except TimeoutError as exc:
        raise GatewayTimeout(f"no TLS answer from {host}:{port} within {timeout_s} s") from exc
    except ssl.SSLError as exc:
        raise TrustError(
            f"TLS handshake with {host}:{port} (server name {server_name!r}) failed: {exc}",
            hint="the gateway only answers to its IP, 'teg', 'powerwall' or 'powerpack'; "
            "check gateway.server_name",
        ) from exc
    except OSError as exc:
        raise GatewayUnavailable(f"cannot connect to {host}:{port}: {exc}") from exc
    if not der:
        raise TrustError(f"{host}:{port} presented no certificate")
    return fingerprint_of(der)


class GatewayAdapter(HTTPAdapter):
    """An HTTPS adapter that sends the gateway's server name and checks the pin per handshake."""

    def __init__(self, policy: TlsPolicy) -> None:
        self.policy = policy
        super().__init__(pool_connections=1, pool_maxsize=2, max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **kw: Any):
        policy = self.policy
        context = ssl.create_default_context(cafile=str(policy.ca_file) if policy.ca_file else None)
        if policy.ca_file is None:
            # Pinned or insecure: the chain is not checked; a pin is checked per handshake.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        kw["ssl_context"] = context
        kw["server_hostname"] = None if is_ip(policy.server_name) else policy.server_name
        if policy.ca_file is not None:
            kw["assert_hostname"] = policy.server_name
        if policy.fingerprint is not None:
            kw["assert_fingerprint"] = policy.fingerprint
        super().init_poolmanager(connections, maxsize, block, **kw)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)
        if self.policy.ca_file is None:
            conn.cert_reqs = "CERT_NONE"


def make_session(policy: TlsPolicy, host_header: str | None) -> requests.Session:
    """A session for one gateway: no environment proxies or CA bundles, our adapter mounted."""
    session = requests.Session()
    session.trust_env = False  # the machine may set REQUESTS_CA_BUNDLE or proxies
    session.verify = str(policy.ca_file) if policy.ca_file is not None else False
    session.mount("https://", GatewayAdapter(policy))
    if host_header:
        session.headers["Host"] = host_header
    session.headers["Accept"] = "application/json"
    session.headers["User-Agent"] = "wattplan"
    return session


def resolve_policy(
    host: str,
    port: int,
    *,
    server_name: str | None,
    ca_file: Path | None,
    insecure: bool,
    pins: PinStore,
    timeout_s: float,
) -> TlsPolicy:
    """The TLS policy for a configured gateway, pinning its certificate on first use."""
    name = server_name_for(host, server_name)
    if ca_file is not None:
        if not ca_file.expanduser().is_file():
            raise TrustError(f"gateway.ca_file: {ca_file} is not a readable file")
        return TlsPolicy(name, ca_file=ca_file.expanduser())
    if insecure:
        log.warning("gateway.insecure is set: the gateway's certificate is not checked")
        return TlsPolicy(name, insecure=True)
    address = f"{host}:{port}"
    pinned = pins.get(address)
    if pinned is None:
        pinned = fetch_fingerprint(host, port, name, timeout_s)
        pins.set(address, pinned)
        log.warning(
            "trusting the gateway at %s on first use: SHA-256 %s (pinned in %s)",
            address,
            pinned,
            pins.path,
        )
    return TlsPolicy(name, fingerprint=pinned)


_SHOWN = re.compile(r'Fingerprints did not match\. Expected "[0-9a-fA-F]+", got "([0-9a-fA-F]+)"')
"""urllib3's message for a pinned fingerprint that did not match, naming what was shown."""


def explain_tls_failure(
    exc: BaseException, host: str, port: int, policy: TlsPolicy, timeout_s: float
) -> Exception:
    """Turn a TLS failure into :class:`CertificateMismatch` or :class:`TrustError`."""
    address = f"{host}:{port}"
    if policy.fingerprint is not None:
        try:
            presented = fetch_fingerprint(host, port, policy.server_name, timeout_s)
        except (TrustError, GatewayUnavailable):
            presented = None
        if presented is None or presented == policy.fingerprint:
            # Gone or back on the pinned one by now: what the failed handshake was shown.
            shown = _SHOWN.search(str(exc))
            presented = shown.group(1).lower() if shown else presented
        if presented is not None and presented != policy.fingerprint:
            return CertificateMismatch(address, policy.fingerprint, presented)
    return TrustError(f"TLS with the gateway at {address} failed: {exc}")
