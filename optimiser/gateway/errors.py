"""The gateway client's exceptions, split by what the caller does next.

::

    GatewayError                      anything the gateway client raises
    ├── GatewayUnavailable            retry later: unreachable, reset, 5xx
    │   ├── GatewayTimeout            no answer within the timeout
    │   └── GatewayRestarting         502: the sitemaster is restarting (firmware update)
    ├── RateLimited                   retry after ``retry_after_s``: 429 cool-down in force
    ├── AuthenticationError           re-authenticate: the password was refused
    │   └── LoginLockedOut            stop and tell: too many refused logins in a row
    ├── AccessDenied                  stop and tell: this login may not do that (403)
    ├── TrustError                    stop and tell: the certificate cannot be trusted
    │   └── CertificateMismatch       the pinned fingerprint changed
    ├── ProtocolError                 stop and tell: an answer wattplan does not understand
    ├── KeyFileError                  stop and tell: the v1r key file is missing or unusable
    ├── SignedMessageRefused          stop and tell: the gateway refused a signed v1r message
    │   ├── KeyNotRecognised          pair again: the key is unknown to the gateway (or removed)
    │   ├── KeyNotVerified            confirm at the Powerwall: registered, not yet verified
    │   ├── SignatureRejected         the signature does not verify (other key, other DIN)
    │   └── MessageExpired            fix the clock: the message had expired on arrival
    ├── ConfigChanged                 retry later: config.json changed under a write, twice
    └── PairingFailed                 stop and tell: the key was not verified (``state``)

No ``requests``, ``ssl`` or ``json`` exception leaves :mod:`optimiser.gateway`; each is
translated here with ``raise … from exc``.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every gateway client error. ``hint`` says what the user can do."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class GatewayUnavailable(GatewayError):
    """The gateway cannot be reached or answered 5xx; try again later."""


class GatewayTimeout(GatewayUnavailable):
    """No answer within the timeout."""


class GatewayRestarting(GatewayUnavailable):
    """502 with an empty body: the gateway's sitemaster is restarting."""


class RateLimited(GatewayError):
    """429 from the gateway; calls fail fast until the cool-down ends."""

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message, hint=f"wait {retry_after_s:.0f} s before trying again")
        self.retry_after_s = retry_after_s


class AuthenticationError(GatewayError):
    """The gateway refused the login."""


class LoginLockedOut(AuthenticationError):
    """Too many refused logins in a row; wattplan stopped trying so the gateway won't lock."""


class AccessDenied(GatewayError):
    """403 for this login on this endpoint (e.g. customer on a control endpoint)."""


class TrustError(GatewayError):
    """The gateway's certificate cannot be trusted as configured."""


class CertificateMismatch(TrustError):
    """The certificate's SHA-256 fingerprint differs from the pinned one."""

    def __init__(self, address: str, pinned: str, presented: str) -> None:
        super().__init__(
            f"the gateway at {address} presented a certificate with SHA-256 fingerprint "
            f"{presented}, but {pinned} is pinned; refusing to connect",
            hint="if the gateway was replaced or reset, re-trust it with `wattplan trust --reset`",
        )
        self.address = address
        self.pinned = pinned
        self.presented = presented


class ProtocolError(GatewayError):
    """An answer that does not match the gateway's API (bad JSON, missing field, 404)."""

    def __init__(self, message: str, *, endpoint: str, field: str | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.field = field


class KeyFileError(GatewayError):
    """The v1r private key file is missing, unreadable, not an RSA key, or open to others."""


class SignedMessageRefused(GatewayError):
    """The gateway refused a signed v1r message; ``fault`` is its ``message_fault`` code
    (None for the plain-text "not verified" answer)."""

    def __init__(self, message: str, *, fault: int | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.fault = fault


class KeyNotRecognised(SignedMessageRefused):
    """``UNKNOWN_KEY_ID``: the gateway does not know this key (never registered, or removed)."""


class KeyNotVerified(SignedMessageRefused):
    """The key is registered but the owner has not confirmed it at the Powerwall yet."""


class SignatureRejected(SignedMessageRefused):
    """``INVALID_SIGNATURE``: the signature does not verify for this gateway."""


class MessageExpired(SignedMessageRefused):
    """``TIME_EXPIRED`` (or too long a lifetime): the clocks disagree by more than the
    message's 12 s lifetime."""


class ConfigChanged(GatewayError):
    """config.json changed between wattplan's read and its write, again after one re-read."""


class PairingFailed(GatewayError):
    """Pairing ended without a verified key: timed out, removed, or never confirmed in time.
    ``state`` is the key's last state (a :class:`~optimiser.gateway.v1r.pairing.KeyState`
    number) or None if the gateway never listed it."""

    def __init__(self, message: str, *, state: int | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.state = state
