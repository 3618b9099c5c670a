"""The disk cache of provider answers and the log of calls made, one JSON file per provider.

``{state_dir}/weather/{provider}.json`` holds the last good answer (raw decoded JSON, re-parsed
on use), when it was fetched and for which site, the times of the calls of the last 24 hours,
and the last failure. Writes go to a temporary file renamed into place, so a crash never
leaves half a file; an unreadable file counts as empty.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

DAY_S = 86400.0


@dataclass(frozen=True)
class ProviderState:
    """What is remembered about one provider.

    Attributes
    ----------
    payload : object or None
        The last good answer, decoded JSON.
    fetched_s : float or None
        When it was fetched (Unix time). [s]
    site : str
        Which site and array it is for (a change of config makes it unusable).
    calls_s : tuple of float
        Times of the calls (good or bad) of the last 24 hours. [s]
    failed_s : float or None
        When the last call failed. [s]
    failure : str
        Why it failed.
    """

    payload: object = None
    fetched_s: float | None = None
    site: str = ""
    calls_s: tuple[float, ...] = field(default_factory=tuple)
    failed_s: float | None = None
    failure: str = ""

    def called(self, now_s: float) -> ProviderState:
        """The state with a call at ``now_s`` logged (and calls older than a day dropped)."""
        recent = tuple(t for t in self.calls_s if now_s - t < DAY_S)
        return replace(self, calls_s=(*recent, now_s))

    def succeeded(self, now_s: float, payload: object, site: str) -> ProviderState:
        """The state after a good answer."""
        return replace(self, payload=payload, fetched_s=now_s, site=site, failed_s=None, failure="")

    def failed(self, now_s: float, reason: str) -> ProviderState:
        """The state after a failed call."""
        return replace(self, failed_s=now_s, failure=reason)


class WeatherCache:
    """Reads and writes :class:`ProviderState` files under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, provider: str) -> Path:
        """The provider's file."""
        return self.directory / f"{provider}.json"

    def load(self, provider: str) -> ProviderState:
        """The remembered state (empty when there is none or it cannot be read)."""
        try:
            raw = json.loads(self.path(provider).read_text(encoding="utf-8"))
            return ProviderState(
                payload=raw.get("payload"),
                fetched_s=None if raw.get("fetched_s") is None else float(raw["fetched_s"]),
                site=str(raw.get("site", "")),
                calls_s=tuple(float(t) for t in raw.get("calls_s", ())),
                failed_s=None if raw.get("failed_s") is None else float(raw["failed_s"]),
                failure=str(raw.get("failure", "")),
            )
        except (OSError, ValueError, TypeError, AttributeError):
            return ProviderState()

    def store(self, provider: str, state: ProviderState) -> None:
        """Write the state atomically."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(provider)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        record = {
            "payload": state.payload,
            "fetched_s": state.fetched_s,
            "site": state.site,
            "calls_s": list(state.calls_s),
            "failed_s": state.failed_s,
            "failure": state.failure,
        }
        temporary.write_text(json.dumps(record), encoding="utf-8")
        temporary.replace(path)
