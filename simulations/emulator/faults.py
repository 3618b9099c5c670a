"""Fault injection for the gateway emulator, changeable while it runs (thread-safe).

Each fault applies to the next ``count`` matching requests (None = until cleared), optionally
only to paths starting with ``path`` and after letting ``skip`` of them through; its
:class:`FaultKind` says what happens. Latency and hang wait real seconds, not the site's
clock: they act on the client's socket timeouts.

Token expiry (:meth:`Faults.expire_tokens`) invalidates every issued token at once; a power
cut (:meth:`Faults.power_cut`) takes the grid down at a given time of the site's clock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class FaultKind(StrEnum):
    """What an injected fault does to a request."""

    LATENCY = "latency"  # wait ``seconds``, then answer normally
    HANG = "hang"  # wait ``seconds`` (beyond the client's timeout), then drop the connection
    STATUS = "status"  # answer ``code`` with the gateway's error body (429: the rate limit)
    RESTART = "restart"  # 502 with an empty body, as while the sitemaster restarts
    MALFORMED = "malformed"  # 200 with truncated JSON
    RESET = "reset"  # reset the TCP connection without answering


@dataclass
class Fault:
    """One injected fault. ``seconds`` for latency/hang [s], ``code`` for status; the first
    ``skip`` matching requests pass untouched (e.g. a change's read, before its write)."""

    kind: FaultKind
    count: int | None = None
    path: str | None = None
    seconds: float = 0.0
    code: int = 500
    skip: int = 0
    hits: int = field(default=0, init=False)


class Faults:
    """The set of faults in force; the emulator consults it on every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._token_epoch = 0
        self._power_cut: tuple[datetime, datetime | None] | None = None

    def add(
        self,
        kind: FaultKind,
        *,
        count: int | None = None,
        path: str | None = None,
        seconds: float = 0.0,
        code: int = 500,
        skip: int = 0,
    ) -> Fault:
        """Inject a fault; returns it (its ``hits`` count how often it fired)."""
        if kind not in set(FaultKind):
            expected = ", ".join(FaultKind)
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {expected}")
        if count is not None and count < 1:
            raise ValueError(f"count must be >= 1 or None, got {count}")
        if skip < 0:
            raise ValueError(f"skip must be >= 0, got {skip}")
        fault = Fault(FaultKind(kind), count, path, seconds, code, skip)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every request fault (token epoch and power cut stay)."""
        with self._lock:
            self._faults.clear()

    def take(self, path: str) -> Fault | None:
        """The first fault matching ``path``, consuming one of its uses."""
        with self._lock:
            for fault in self._faults:
                if fault.path is not None and not path.startswith(fault.path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.hits += 1
                if fault.count is not None and fault.hits >= fault.count:
                    self._faults.remove(fault)
                return fault
        return None

    def expire_tokens(self) -> None:
        """Invalidate every token issued so far (the next request gets 401)."""
        with self._lock:
            self._token_epoch += 1

    @property
    def token_epoch(self) -> int:
        with self._lock:
            return self._token_epoch

    def power_cut(self, at: datetime, until: datetime | None = None) -> None:
        """Take the grid down from ``at`` (site clock) until ``until`` (None = until cleared)."""
        if at.tzinfo is None or (until is not None and until.tzinfo is None):
            raise ValueError("power cut times must be timezone-aware")
        with self._lock:
            self._power_cut = (at, until)

    def clear_power_cut(self) -> None:
        with self._lock:
            self._power_cut = None

    def grid_up_at(self, when: datetime) -> bool:
        """False while an injected power cut is in force at ``when``."""
        with self._lock:
            cut = self._power_cut
        if cut is None:
            return True
        start, end = cut
        return not (start <= when and (end is None or when < end))
