"""The keys a gateway accepts signed v1r messages from, with their pairing states.

Shared by the gateway emulator (which checks a message's key) and the Fleet emulator (which
registers keys and lists them), as on a real site where the cloud relays the registration to
the gateway. States follow the Fleet API's numbers (DOMAIN.md §2): a registered key is
pending until the Powerwall is switched off and on (:meth:`AuthorizedClients.power_cycle`)
within ``window_s`` of registering, else it times out; registering the same key again reopens
the window. Times are on the site's clock. Thread-safe.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from optimiser.domain.clock import Clock
from optimiser.gateway.v1r.pairing import KeyState

PAIRING_WINDOW_S = 600.0


@dataclass(frozen=True, slots=True)
class AuthorizedClient:
    """One registered key (PKCS#1 DER) and its state now."""

    public_key: bytes
    state: KeyState
    description: str
    registered: datetime


class AuthorizedClients:
    """The gateway's authorized-client list."""

    def __init__(self, clock: Clock, window_s: float = PAIRING_WINDOW_S) -> None:
        self.clock = clock
        self.window = timedelta(seconds=window_s)
        self._lock = threading.Lock()
        self._keys: dict[bytes, tuple[KeyState, str, datetime]] = {}

    def register(self, public_key: bytes, description: str = "") -> KeyState:
        """Register ``public_key`` (pending; a verified key stays verified)."""
        with self._lock:
            if self._state(public_key) is KeyState.VERIFIED:
                return KeyState.VERIFIED
            self._keys[public_key] = (KeyState.PENDING, description, self.clock.now())
            return KeyState.PENDING

    def authorize(self, public_key: bytes, description: str = "") -> None:
        """Register ``public_key`` already verified (as after a completed pairing)."""
        with self._lock:
            self._keys[public_key] = (KeyState.VERIFIED, description, self.clock.now())

    def power_cycle(self) -> int:
        """The owner switches the Powerwall off and on: every key still pending in its window
        is verified. Returns how many."""
        with self._lock:
            pending = [k for k in self._keys if self._state(k) is KeyState.PENDING]
            for key in pending:
                _, description, registered = self._keys[key]
                self._keys[key] = (KeyState.VERIFIED, description, registered)
            return len(pending)

    def remove(self, public_key: bytes) -> None:
        """Revoke ``public_key`` (it stays listed, as removed)."""
        with self._lock:
            if public_key in self._keys:
                _, description, registered = self._keys[public_key]
                self._keys[public_key] = (KeyState.REMOVED, description, registered)

    def state(self, public_key: bytes) -> KeyState | None:
        """The key's state now (None: never registered)."""
        with self._lock:
            return self._state(public_key)

    def clients(self) -> list[AuthorizedClient]:
        """Every registered key with its state now, oldest first."""
        with self._lock:
            return [
                AuthorizedClient(key, state, description, registered)
                for key, (_, description, registered) in self._keys.items()
                if (state := self._state(key)) is not None
            ]

    def _state(self, public_key: bytes) -> KeyState | None:
        entry = self._keys.get(public_key)
        if entry is None:
            return None
        state, _, registered = entry
        if state is KeyState.PENDING and self.clock.now() - registered > self.window:
            return KeyState.TIMED_OUT
        return state
