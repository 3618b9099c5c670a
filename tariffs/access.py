"""How wattplan reaches Octopus: the API root, the state directory and whether to go online.

The state directory holds the rate cache (``octopus-cache/``), the call journal
(``octopus-calls.json``), the API key and the saved account. Two kinds of client:

- :meth:`OctopusAccess.planning_client` for planning: short timeouts, a bounded DNS lookup, no
  retries, and a failure remembered for :data:`UNREACHABLE_HOLD_S`, so ``wattplan plan`` on an
  offline machine loses a couple of seconds once, then prices from the cache or the snapshot;
- :meth:`OctopusAccess.command_client` for commands the user runs to reach Octopus (``tariffs
  fetch``, ``octopus login``): patient, retried, and deaf to the remembered failure.

Both respect a 429's Retry-After and record every call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tariffs.credentials import ApiKey
from tariffs.journal import JOURNAL_FILE, CallJournal
from tariffs.live_rates import RateFetcher
from tariffs.octopus import DEFAULT_BASE_URL, OctopusClient
from tariffs.rate_cache import RateCache

CACHE_DIR = "octopus-cache"
UNREACHABLE_HOLD_S = 600.0
PLANNING_CONNECT_TIMEOUT_S = 2.0
PLANNING_RESOLVE_TIMEOUT_S = 2.0
PLANNING_READ_TIMEOUT_S = 10.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OctopusAccess:
    """Where and whether to reach Octopus.

    Attributes
    ----------
    base_url : str
        API root (tests: a loopback server).
    state_dir : Path or None
        Cache, journal and credentials; None keeps nothing on disk.
    live : bool
        False: never call Octopus (the bundled snapshot prices everything).
    now, sleep : callables
        Clock and sleep (tests inject both).
    """

    base_url: str = DEFAULT_BASE_URL
    state_dir: Path | None = None
    live: bool = True
    now: Callable[[], datetime] = _utc_now
    sleep: Callable[[float], None] = time.sleep
    journal: CallJournal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        path = None if self.state_dir is None else self.state_dir / JOURNAL_FILE
        object.__setattr__(self, "journal", CallJournal(path))

    def rate_cache(self) -> RateCache | None:
        """The rate cache, or None without a state directory."""
        return None if self.state_dir is None else RateCache(self.state_dir / CACHE_DIR / "rates")

    def planning_client(self, api_key: ApiKey | None = None) -> OctopusClient:
        """Fail fast and remember the failure (planning must not wait on Octopus)."""
        return OctopusClient(
            self.base_url,
            timeout_s=PLANNING_READ_TIMEOUT_S,
            connect_timeout_s=PLANNING_CONNECT_TIMEOUT_S,
            resolve_timeout_s=PLANNING_RESOLVE_TIMEOUT_S,
            retries=0,
            unreachable_hold_s=UNREACHABLE_HOLD_S,
            journal=self.journal,
            api_key=api_key,
            now=self.now,
            sleep=self.sleep,
        )

    def command_client(
        self, api_key: ApiKey | None = None, *, url_cache: bool = False, retries: int = 3
    ) -> OctopusClient:
        """Patient and retried, for a command the user ran to reach Octopus; ``url_cache``
        keeps answers an hour by URL (look-ups such as a postcode's region)."""
        cache = None if self.state_dir is None or not url_cache else self.state_dir / CACHE_DIR
        return OctopusClient(
            self.base_url,
            cache_dir=cache,
            retries=retries,
            journal=self.journal,
            api_key=api_key,
            now=self.now,
            sleep=self.sleep,
        )

    def fetcher(self, *, strict: bool = False) -> RateFetcher:
        """Rate series for planning, or (``strict``) fetched now by a command."""
        client = self.command_client() if strict else self.planning_client()
        return RateFetcher(client, self.rate_cache(), self.now)
