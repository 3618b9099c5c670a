"""A small JSON file recording every call to Octopus, and when wattplan must keep quiet.

``<state_dir>/octopus-calls.json`` holds the last :data:`KEEP` calls (time, endpoint path with
no query and no account number, HTTP status, outcome, duration) for ``wattplan doctor``, and two
holds: ``rate_limited`` (Octopus answered 429: no call before Retry-After) and ``unreachable``
(a planning fetch failed: planning does not try again before the hold ends, so an offline
machine pays for one failed fetch, not one per plan). Nothing secret is ever written: the API
key travels in a header, never in a path, and outcomes are wattplan's words, not the response.

Writes replace the file atomically; two processes racing may lose a record, never corrupt it.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

JOURNAL_FILE = "octopus-calls.json"
KEEP = 50
log = logging.getLogger(__name__)
_ACCOUNT_PATH = re.compile(r"/accounts/[^/]+")


class HoldKind(StrEnum):
    """Why wattplan keeps quiet."""

    RATE_LIMITED = "rate_limited"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP call to Octopus.

    Attributes
    ----------
    at : datetime
        When it started (UTC).
    endpoint : str
        Path only (see :func:`endpoint_of`).
    status : int or None
        HTTP status; None when nothing answered.
    outcome : str
        ``ok`` or what went wrong, in wattplan's words.
    elapsed_ms : float
        [ms]
    """

    at: datetime
    endpoint: str
    status: int | None
    outcome: str
    elapsed_ms: float


@dataclass(frozen=True, slots=True)
class Hold:
    """No call (of the kinds that respect it) before ``until`` (UTC)."""

    kind: HoldKind
    until: datetime
    reason: str


def endpoint_of(url: str) -> str:
    """The path of ``url`` with no query and the account number masked."""
    return _ACCOUNT_PATH.sub("/accounts/…", urlsplit(url).path)


class CallJournal:
    """The call journal in ``path`` (None: in memory only, for one process)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[str, Any] = {"calls": [], "holds": {}}

    def record(self, call: Call) -> None:
        """Append a call (the oldest beyond :data:`KEEP` go); a success lifts ``unreachable``."""
        data = self._read()
        row = asdict(call) | {"at": call.at.isoformat(), "elapsed_ms": round(call.elapsed_ms, 1)}
        data["calls"] = [*data["calls"], row][-KEEP:]
        if call.status is not None and call.status < 500 and call.status != 429:
            data["holds"].pop(HoldKind.UNREACHABLE, None)
        self._write(data)

    def hold(self, kind: HoldKind, until: datetime, reason: str) -> None:
        """Keep quiet until ``until`` for ``reason``."""
        data = self._read()
        data["holds"][kind.value] = {"until": until.isoformat(), "reason": reason}
        self._write(data)

    def active_hold(self, now: datetime, kinds: tuple[HoldKind, ...]) -> Hold | None:
        """The hold of one of ``kinds`` in force at ``now`` (the longest), or None."""
        found = [h for h in self.holds() if h.kind in kinds and h.until > now]
        return max(found, key=lambda h: h.until, default=None)

    def holds(self) -> list[Hold]:
        """Every recorded hold, lapsed or not."""
        out = []
        for kind, entry in self._read()["holds"].items():
            try:
                out.append(
                    Hold(HoldKind(kind), datetime.fromisoformat(entry["until"]), entry["reason"])
                )
            except (KeyError, TypeError, ValueError):
                continue
        return out

    def calls(self) -> list[Call]:
        """Recorded calls, oldest first."""
        out = []
        for row in self._read()["calls"]:
            try:
                out.append(
                    Call(
                        datetime.fromisoformat(row["at"]),
                        str(row["endpoint"]),
                        row["status"],
                        str(row["outcome"]),
                        float(row["elapsed_ms"]),
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue
        return out

    def _read(self) -> dict[str, Any]:
        if self.path is None:
            return self._memory
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"calls": [], "holds": {}}
        except (OSError, ValueError) as exc:
            log.warning("octopus: ignoring an unreadable call journal %s: %s", self.path, exc)
            return {"calls": [], "holds": {}}
        if not isinstance(data, dict):
            return {"calls": [], "holds": {}}
        calls = data.get("calls") if isinstance(data.get("calls"), list) else []
        holds = data.get("holds") if isinstance(data.get("holds"), dict) else {}
        return {"calls": calls, "holds": holds}

    def _write(self, data: dict[str, Any]) -> None:
        if self.path is None:
            self._memory = data
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("octopus: cannot write the call journal %s: %s", self.path, exc)
