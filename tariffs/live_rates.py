"""One rate series from Octopus: live when a fetch is due and works, else from the cache.

:class:`RateFetcher` asks :func:`tariffs.freshness.refresh_due` whether to call Octopus, caches
what comes back, and on failure falls back to the cache, marking it *stale* (a refresh was due
and failed). Every result says where its rates came from (:class:`FetchedRates`), so the tariff
built from it can say so too (:func:`describe_sources`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tariffs.errors import OctopusProtocolError, OctopusUnavailable
from tariffs.freshness import refresh_due
from tariffs.model import Rate
from tariffs.octopus import OctopusClient
from tariffs.octopus_parse import parse_rates
from tariffs.rate_cache import RateCache, RateKind

log = logging.getLogger(__name__)


class Origin(StrEnum):
    """Where a series' rates came from."""

    LIVE = "live"
    CACHE = "cache"
    NONE = "none"


@dataclass(frozen=True)
class FetchedRates:
    """A rate series and where it came from.

    Attributes
    ----------
    tariff_code : str
    kind : RateKind
    rates : tuple[Rate, ...]
        Oldest first; empty when nothing is known.
    origin : Origin
    fetched_at : datetime or None
        When the rates were fetched (UTC); None with no rates.
    stale : bool
        A refresh was due and failed: the cache is used anyway.
    problem : str or None
        Why the live fetch failed.
    """

    tariff_code: str
    kind: RateKind
    rates: tuple[Rate, ...]
    origin: Origin
    fetched_at: datetime | None
    stale: bool = False
    problem: str | None = None

    def describe(self, now: datetime) -> str:
        """``live (fetched 16:05 UTC)``, ``cache (fetched …, 3 h old; STALE: …)`` or ``none``."""
        if self.origin is Origin.NONE or self.fetched_at is None:
            return f"no Octopus rates ({self.problem or 'not fetched'})"
        when = self.fetched_at.strftime("%Y-%m-%d %H:%M UTC")
        if self.origin is Origin.LIVE:
            return f"live (fetched {when})"
        text = f"cache (fetched {when}, {age(now - self.fetched_at)} old"
        if self.stale:
            text += f"; STALE: refresh failed: {self.problem}"
        return text + ")"


def age(delta: timedelta) -> str:
    """``5 min``, ``3 h``, ``2 days``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


class RateFetcher:
    """Rate series from ``client`` when due, else from ``cache``.

    Parameters
    ----------
    client : OctopusClient
    cache : RateCache or None
        None: nothing is cached (every call is due).
    now : callable
        Clock (UTC).
    """

    def __init__(
        self, client: OctopusClient, cache: RateCache | None, now: Callable[[], datetime]
    ) -> None:
        self.client = client
        self.cache = cache
        self.now = now

    def get(
        self,
        product: str,
        tariff_code: str,
        kind: RateKind,
        needed: tuple[datetime, datetime],
        window: tuple[datetime, datetime],
        *,
        strict: bool = False,
    ) -> FetchedRates:
        """The series covering ``needed`` (fetched over ``window`` when due).

        ``strict``: fetch now whatever the cache holds, and let a failure raise.
        """
        cached = self.cache.read(tariff_code, kind) if self.cache is not None else None
        now = self.now()
        due = strict or refresh_due(cached.coverage if cached else None, *needed, now)
        if not due and cached is not None:
            return FetchedRates(tariff_code, kind, cached.rates, Origin.CACHE, cached.fetched_at)
        endpoint = f"/v1/products/{product}/electricity-tariffs/{tariff_code}/{kind}/"
        try:
            pages = self.client.get_rate_pages(product, tariff_code, kind, *window)
            rates = parse_rates(pages, endpoint)
        except (OctopusUnavailable, OctopusProtocolError) as exc:
            if strict:
                raise
            problem = (
                exc.reason
                if isinstance(exc, OctopusUnavailable)
                else "Octopus answered something unexpected"
            )
            log.warning("octopus: %s %s: %s", tariff_code, kind, exc)
            if cached is None:
                return FetchedRates(tariff_code, kind, (), Origin.NONE, None, problem=problem)
            log.warning(
                "octopus: planning on cached %s %s from %s (stale)",
                tariff_code,
                kind,
                cached.fetched_at.isoformat(),
            )
            return FetchedRates(
                tariff_code,
                kind,
                cached.rates,
                Origin.CACHE,
                cached.fetched_at,
                stale=True,
                problem=problem,
            )
        if self.cache is not None:
            self.cache.write(tariff_code, kind, window, now, pages)
        return FetchedRates(tariff_code, kind, rates, Origin.LIVE, now)


def describe_sources(series: Sequence[FetchedRates], now: datetime, base_url: str) -> str:
    """One line saying where a tariff's unit rates came from (live / cache and its age)."""
    unit = [s for s in series if s.kind is RateKind.UNIT] or list(series)
    if not unit:
        return f"Octopus API {base_url}: nothing fetched"
    # One phrase when every series came the same way (the first failure says why for all).
    kinds = {
        (s.origin, s.stale, s.fetched_at and s.fetched_at.replace(second=0, microsecond=0))
        for s in unit
    }
    if len(kinds) == 1:
        return f"Octopus API {base_url}: {unit[0].describe(now)}"
    return f"Octopus API {base_url}: " + "; ".join(
        f"{s.tariff_code} {s.describe(now)}" for s in unit
    )


__all__ = ["FetchedRates", "Origin", "RateFetcher", "age", "describe_sources"]
