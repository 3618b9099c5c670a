"""The Fleet API's OAuth tokens: bearer access tokens that expire on the clock, and
single-use refresh tokens that rotate both (``POST /oauth2/v3/token``)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from optimiser.domain.clock import Clock

DEFAULT_EXPIRES_IN_S = 28800  # what Tesla's token endpoint reports: eight hours


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """A fresh pair of tokens, as the token endpoint answers them."""

    access_token: str
    refresh_token: str
    expires_in: int  # [s]

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


class OAuthTokens:
    """Issued tokens; thread-safe. ``lifetime_s``: access tokens expire this long after issue
    on ``clock`` (None: never). [s]"""

    def __init__(self, clock: Clock, lifetime_s: float | None = None) -> None:
        self.clock = clock
        self.lifetime_s = lifetime_s
        self._lock = threading.Lock()
        self._access: dict[str, datetime] = {}
        self._refresh: set[str] = set()
        self.access_token = self._issue_access()
        self.refresh_token = self._issue_refresh()

    def _issue_access(self) -> str:
        token = secrets.token_urlsafe(24)
        self._access[token] = self.clock.now()
        return token

    def _issue_refresh(self) -> str:
        token = secrets.token_urlsafe(24)
        self._refresh.add(token)
        return token

    def valid(self, access_token: str) -> bool:
        """Whether a bearer token was issued and has not expired or been revoked."""
        with self._lock:
            issued = self._access.get(access_token)
            if issued is None:
                return False
            if self.lifetime_s is None:
                return True
            return self.clock.now() < issued + timedelta(seconds=self.lifetime_s)

    def expire_all(self) -> None:
        """Invalidate every access token (the refresh token still works)."""
        with self._lock:
            self._access.clear()

    def refresh(self, refresh_token: str) -> TokenGrant | None:
        """Rotate both tokens; None if ``refresh_token`` is unknown or already used."""
        with self._lock:
            if refresh_token not in self._refresh:
                return None
            self._refresh.discard(refresh_token)
            self.access_token = self._issue_access()
            self.refresh_token = self._issue_refresh()
            return TokenGrant(
                self.access_token,
                self.refresh_token,
                int(self.lifetime_s or DEFAULT_EXPIRES_IN_S),
            )
