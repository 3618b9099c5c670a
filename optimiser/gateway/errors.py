"""The gateway client's exceptions, each carrying what the caller does next
(:mod:`optimiser.domain.errors`).

::

    GatewayError                      anything the gateway client raises    stop and tell
    ├── GatewayUnavailable            unreachable, reset, 5xx               gap and retry
    │   ├── GatewayTimeout            no answer within the timeout          gap and retry
    │   ├── GatewayRestarting         502: the sitemaster is restarting     gap and retry
    │   └── SessionRefused            401/403 on a data endpoint right      gap and retry
    │                                 after an accepted login
    ├── RateLimited                   429 cool-down in force; calls fail    gap and retry
    │                                 fast for ``retry_after_s``
    ├── AuthenticationError           the password was refused              re-authenticate
    │   └── LoginLockedOut            too many refused logins in a row      stop and tell
    ├── AccessDenied                  this login may not do that (403)      stop and tell
    ├── TrustError                    the certificate cannot be trusted     stop and tell
    │   └── CertificateMismatch       the pinned fingerprint changed        stop and tell
    ├── ProtocolError                 an answer wattplan does not           gap and retry
    │                                 understand (bad JSON, missing field,
    │                                 404)
    ├── KeyFileError                  the v1r key file is missing, not an   stop and tell
    │                                 RSA key, or open to others
    ├── SignedMessageRefused          the gateway refused a signed v1r      stop and tell
    │   │                             message (``fault``)
    │   ├── KeyNotRecognised          the key is unknown (or removed)       stop and tell
    │   ├── KeyNotVerified            registered, not confirmed at the      stop and tell
    │   │                             Powerwall yet
    │   ├── SignatureRejected         does not verify (other key or DIN)    stop and tell
    │   └── MessageExpired            expired on arrival (clock skew)       gap and retry
    ├── ConfigChanged                 config.json changed under a write,    gap and retry
    │                                 again after one re-read
    └── PairingFailed                 the key was not verified in time      stop and tell

A ``ProtocolError`` means the gateway answered, but not in a shape wattplan understands:
``wattplan run`` and ``wattplan record`` record a gap, act on nothing it said and poll again
(persisting past ``control.gateway_loss_grace_s``, the service falls back to safe settings as
for a lost gateway); a one-shot command exits with the protocol code (5).

The API logs in again once by itself on 401/403, so an ``AuthenticationError`` that reaches a
caller means the password itself was refused; a data endpoint that still answers 401/403
right after an accepted login (not a role denial) is a ``SessionRefused``: a gap, not a stop.

No ``requests``, ``ssl`` or ``json`` exception leaves :mod:`optimiser.gateway`; each is
translated here with ``raise … from exc``.
"""

from __future__ import annotations

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError


class GatewayError(WattplanError):
    """Base of every gateway client error. ``hint`` says what the user can do."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.FAILED


class GatewayUnavailable(GatewayError):
    """The gateway cannot be reached or answered 5xx; try again later."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


class GatewayTimeout(GatewayUnavailable):
    """No answer within the timeout."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


class GatewayRestarting(GatewayUnavailable):
    """502 with an empty body: the gateway's sitemaster is restarting."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


class RateLimited(GatewayError):
    """429 from the gateway; calls fail fast until the cool-down ends."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message, hint=f"wait {retry_after_s:.0f} s before trying again")
        self.retry_after_s = retry_after_s


class SessionRefused(GatewayUnavailable):
    """A data endpoint answered 401/403 again right after the password was accepted."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


class AuthenticationError(GatewayError):
    """The gateway refused the login."""

    next_step = NextStep.REAUTHENTICATE
    kind = ErrorKind.AUTH


class LoginLockedOut(AuthenticationError):
    """Too many refused logins in a row; wattplan stopped trying so the gateway won't lock."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.AUTH


class AccessDenied(GatewayError):
    """403 for this login on this endpoint (e.g. customer on a control endpoint)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.AUTH


class TrustError(GatewayError):
    """The gateway's certificate cannot be trusted as configured."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.AUTH


class CertificateMismatch(TrustError):
    """The certificate's SHA-256 fingerprint differs from the pinned one."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.AUTH

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

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.PROTOCOL

    def __init__(self, message: str, *, endpoint: str, field: str | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.field = field


class KeyFileError(GatewayError):
    """The v1r private key file is missing, unreadable, not an RSA key, or open to others."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class SignedMessageRefused(GatewayError):
    """The gateway refused a signed v1r message; ``fault`` is its ``message_fault`` code
    (None for the "not verified" answer)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.AUTH

    def __init__(self, message: str, *, fault: int | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.fault = fault


class KeyNotRecognised(SignedMessageRefused):
    """``UNKNOWN_KEY_ID``: the gateway does not know this key (never registered, or removed)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.AUTH


class KeyNotVerified(SignedMessageRefused):
    """The key is registered but the owner has not confirmed it at the Powerwall yet."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.AUTH


class SignatureRejected(SignedMessageRefused):
    """``INVALID_SIGNATURE``: the signature does not verify for this gateway."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.AUTH


class MessageExpired(SignedMessageRefused):
    """``TIME_EXPIRED`` (or too long a lifetime): the clocks disagree by more than the
    message's 12 s lifetime, or it was delayed that long; an NTP fix cures it, so loops go on."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.AUTH


class ConfigChanged(GatewayError):
    """config.json changed between wattplan's read and its write, again after one re-read."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


class PairingFailed(GatewayError):
    """Pairing ended without a verified key: timed out, removed, or never confirmed in time.
    ``state`` is the key's last state (a :class:`~optimiser.gateway.v1r.pairing.KeyState`
    number) or None if the gateway never listed it."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.FAILED

    def __init__(self, message: str, *, state: int | None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.state = state
