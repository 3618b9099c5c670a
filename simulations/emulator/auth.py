"""The gateway's login: passwords per role, session tokens, token lifetime and lock-out.

All time here is the site's :class:`~optimiser.domain.clock.Clock`: a token lifetime or a
lock-out window passes when the clock moves, so a test advances a ``SteppedClock`` instead of
sleeping, and an accelerated clock makes them pass faster, as everything else on the site.
"""

from __future__ import annotations

import base64
import secrets
import string
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from optimiser.domain.clock import Clock
from simulations.emulator.faults import Faults


class Role(StrEnum):
    """The two local accounts; the login's ``username`` is the role's value."""

    CUSTOMER = "customer"
    INSTALLER = "installer"

    @property
    def gateway_roles(self) -> list[str]:
        """The ``roles`` the gateway reports for this account."""
        return ["Home_Owner"] if self is Role.CUSTOMER else ["Provider_Engineer"]


class BadCredentials(Exception):
    """Unknown user or wrong password (the gateway answers 401)."""


class LockedOut(Exception):
    """Too many bad logins in a row; every login is refused for a while (429)."""


@dataclass(frozen=True, slots=True)
class _Session:
    role: Role
    issued: datetime
    epoch: int


def sticker_password() -> str:
    """Five capitals like the end of a gateway sticker's password."""
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(5))


def token_from_headers(authorization: str, cookie: str) -> str | None:
    """The session token of a request: a bearer token, else the ``AuthCookie`` cookie (bare or
    in RFC 6265's quoted form, ``AuthCookie="…"``, as aiohttp sends base64 tokens)."""
    if authorization.startswith("Bearer "):
        return authorization[len("Bearer ") :].strip()
    for part in cookie.split(";"):
        name, _, value = part.strip().partition("=")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        if name == "AuthCookie" and value:
            return value
    return None


def _role_named(username: str) -> Role | None:
    try:
        return Role(username)
    except ValueError:
        return None


class Sessions:
    """Logins and the tokens they issue, on ``clock``; thread-safe.

    Parameters
    ----------
    clock : Clock
        Time for token lifetimes and the lock-out window.
    passwords : dict of Role to str
        The password each account accepts.
    faults : Faults
        Its token epoch: :meth:`Faults.expire_tokens` invalidates every token issued before.
    token_lifetime_s : float or None
        Tokens expire this long after login on ``clock`` (None: never). [s]
    lockout_after : int
        Bad logins in a row that lock every login out for ``lockout_s``.
    lockout_s : float
        Length of the lock-out on ``clock``. [s]
    """

    def __init__(
        self,
        clock: Clock,
        passwords: dict[Role, str],
        faults: Faults,
        *,
        token_lifetime_s: float | None = None,
        lockout_after: int = 5,
        lockout_s: float = 300.0,
    ) -> None:
        self.clock = clock
        self.passwords = dict(passwords)
        self.faults = faults
        self.token_lifetime_s = token_lifetime_s
        self.lockout_after = lockout_after
        self.lockout_s = lockout_s
        self.logins = 0
        self.bad_logins = 0
        self._bad_in_a_row = 0
        self._locked_until: datetime | None = None
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def login(self, username: str, password: str) -> tuple[str, Role]:
        """A new token and its role; raises :class:`LockedOut` or :class:`BadCredentials`."""
        now = self.clock.now()
        with self._lock:
            if self._locked_until is not None and now < self._locked_until:
                raise LockedOut
            role = _role_named(username)
            expected = self.passwords.get(role) if role is not None else None
            if role is None or expected is None or not secrets.compare_digest(password, expected):
                self.bad_logins += 1
                self._bad_in_a_row += 1
                if self._bad_in_a_row >= self.lockout_after:
                    self._locked_until = now + timedelta(seconds=self.lockout_s)
                    self._bad_in_a_row = 0
                raise BadCredentials
            self._bad_in_a_row = 0
            self.logins += 1
            token = base64.b64encode(secrets.token_bytes(64)).decode()
            self._sessions[token] = _Session(role, now, self.faults.token_epoch)
            return token, role

    def role_of(self, token: str | None) -> Role | None:
        """The role a live token was issued for; None if unknown, expired or revoked."""
        if token is None:
            return None
        now = self.clock.now()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            expired = session.epoch != self.faults.token_epoch or (
                self.token_lifetime_s is not None
                and now - session.issued > timedelta(seconds=self.token_lifetime_s)
            )
            if expired:
                del self._sessions[token]
                return None
            return session.role

    def revoke(self, token: str | None) -> None:
        """End a session (``GET /api/logout``)."""
        with self._lock:
            self._sessions.pop(token or "", None)
