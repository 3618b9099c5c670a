"""Octopus Energy REST client (the I/O edge): get pages, cache them, hand them to the parser.

``get_*`` methods fetch (with timeouts, retries with exponential back-off, pagination and an
on-disk cache) and return typed values built by :mod:`tariffs.octopus_parse`, the same parser
that reads saved responses. Rates need no authentication.

Errors: connection failures, timeouts, 429 and 5xx are retried, then raise
:class:`~tariffs.errors.OctopusUnavailable`; 404 becomes :class:`UnknownProduct` or
:class:`UnknownTariffCode`; anything unparseable is :class:`OctopusProtocolError`.
``requests`` exceptions never escape.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from optimiser.domain.slots import require_aware
from tariffs.errors import (
    OctopusProtocolError,
    OctopusUnavailable,
    UnknownProduct,
    UnknownRegion,
    UnknownTariffCode,
)
from tariffs.model import Rate
from tariffs.octopus_parse import (
    ProductInfo,
    ProductSummary,
    parse_grid_supply_point,
    parse_product,
    parse_products,
    parse_rates,
)
from tariffs.regions import normalise_region

DEFAULT_BASE_URL = "https://api.octopus.energy"
PAGE_SIZE = 1500
_RETRY_STATUS = {429, 500, 502, 503, 504}
log = logging.getLogger(__name__)


class _NotFound(Exception):
    """Internal: the API answered 404 for ``url``."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


def z_time(when: datetime) -> str:
    """An aware datetime as Octopus wants it: ``2023-03-27T18:00:00Z``."""
    return require_aware(when, "time").strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class OctopusClient:
    """Client for the public Octopus Energy API.

    Parameters
    ----------
    base_url : str
        API root (tests point it at a loopback server).
    cache_dir : Path or None
        Where responses are cached on disk; None disables the cache.
    timeout_s : float
        Per-request connect and read timeout. [s]
    retries : int
        Extra attempts after a retryable failure.
    backoff_s : float
        First back-off; doubles each retry. [s]
    cache_ttl_s : float
        How long a cached response for a period not yet over stays fresh. [s]
    """

    base_url: str = DEFAULT_BASE_URL
    cache_dir: Path | None = None
    timeout_s: float = 10.0
    retries: int = 3
    backoff_s: float = 0.5
    cache_ttl_s: float = 3600.0
    session: requests.Session | None = None
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if self.session is None:
            self.session = requests.Session()
        self.requests_made = 0

    # -- endpoint layer ---------------------------------------------------------------------

    def get_products(self) -> tuple[ProductSummary, ...]:
        """All products currently on sale."""
        return parse_products(self._pages("/v1/products/", {"page_size": 100}), "products")

    def get_product(self, product: str) -> ProductInfo:
        """A product with its tariff codes per region; raises :class:`UnknownProduct`."""
        path = f"/v1/products/{product}/"
        try:
            payload = self._page(path, {})
        except _NotFound as exc:
            raise UnknownProduct(f"Octopus has no product {product!r} ({exc.url})") from None
        return parse_product(payload, path)

    def get_tariff_code(self, product: str, region: str) -> str:
        """The single-register electricity tariff code of ``product`` in ``region``."""
        letter = normalise_region(region)
        info = self.get_product(product)
        if letter not in info.tariff_codes:
            raise UnknownRegion(
                f"product {product} has no tariff in region {letter}; it has "
                f"{', '.join(sorted(info.tariff_codes)) or 'none'}"
            )
        return info.tariff_codes[letter]

    def get_unit_rates(
        self, product: str, tariff_code: str, period_from: datetime, period_to: datetime
    ) -> tuple[Rate, ...]:
        """Standard unit rates over ``[period_from, period_to)``, oldest first. [p/kWh]"""
        return self._rates(product, tariff_code, "standard-unit-rates", period_from, period_to)

    def get_standing_charges(
        self, product: str, tariff_code: str, period_from: datetime, period_to: datetime
    ) -> tuple[Rate, ...]:
        """Standing charges over ``[period_from, period_to)``, oldest first. [p/day]"""
        return self._rates(product, tariff_code, "standing-charges", period_from, period_to)

    def get_region(self, postcode: str) -> str:
        """The region letter of a UK postcode; raises :class:`UnknownRegion`."""
        clean = " ".join(postcode.upper().split())
        if not clean:
            raise UnknownRegion("empty postcode")
        payload = self._page("/v1/industry/grid-supply-points/", {"postcode": clean})
        return parse_grid_supply_point(payload, clean, "grid-supply-points")

    # -- transport --------------------------------------------------------------------------

    def _rates(
        self, product: str, tariff_code: str, kind: str, period_from: datetime, period_to: datetime
    ) -> tuple[Rate, ...]:
        if require_aware(period_to, "period_to") <= require_aware(period_from, "period_from"):
            raise ValueError("period_to must be after period_from")
        path = f"/v1/products/{product}/electricity-tariffs/{tariff_code}/{kind}/"
        params = {
            "period_from": z_time(period_from),
            "period_to": z_time(period_to),
            "page_size": PAGE_SIZE,
        }
        try:
            pages = self._pages(path, params, settled=period_to < self.now() - timedelta(days=2))
        except _NotFound as exc:
            raise UnknownTariffCode(
                f"Octopus has no tariff {tariff_code!r} under product {product!r} ({exc.url})",
                hint="tariff codes look like E-1R-FLUX-IMPORT-23-02-14-C",
            ) from None
        return parse_rates(pages, path)

    def _page(self, path: str, params: dict[str, Any]) -> Any:
        return self._pages(path, params, follow=False)[0]

    def _pages(
        self, path: str, params: dict[str, Any], *, follow: bool = True, settled: bool = False
    ) -> list[Any]:
        url = f"{self.base_url}{path}"
        if params:
            url += "?" + urlencode(params)
        cached = self._cache_read(url)
        if cached is not None:
            return cached
        pages = [self._get(url)]
        while follow and isinstance(pages[-1], dict) and pages[-1].get("next"):
            next_url = pages[-1]["next"]
            if not isinstance(next_url, str):
                raise OctopusProtocolError(f"{path}: 'next' should be a URL, got {next_url!r}")
            pages.append(self._get(next_url))
            if len(pages) > 1000:
                raise OctopusProtocolError(f"{path}: more than 1000 pages; giving up")
        self._cache_write(url, pages, settled)
        return pages

    def _get(self, url: str) -> Any:
        assert self.session is not None
        attempt = 0
        while True:
            problem: str
            try:
                self.requests_made += 1
                response = self.session.get(
                    url, timeout=self.timeout_s, headers={"Accept": "application/json"}
                )
            except requests.Timeout:
                problem = f"timed out after {self.timeout_s:g} s"
            except requests.RequestException as exc:
                problem = f"cannot connect: {type(exc).__name__}"
            else:
                if response.status_code == 404:
                    raise _NotFound(url)
                if response.status_code in _RETRY_STATUS:
                    problem = f"HTTP {response.status_code}"
                elif response.status_code >= 400:
                    raise OctopusProtocolError(
                        f"{url}: expected HTTP 200, got {response.status_code}: "
                        f"{response.text[:200]!r}"
                    )
                else:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise OctopusProtocolError(
                            f"{url}: expected JSON, got {response.text[:80]!r}"
                        ) from exc
            if attempt >= self.retries:
                raise OctopusUnavailable(
                    f"Octopus API {url}: {problem} ({attempt + 1} attempts)",
                    hint="check the network (wattplan works offline on the bundled snapshot)",
                )
            delay = self.backoff_s * 2**attempt
            log.info("octopus: %s; retrying in %.1f s", problem, delay)
            self.sleep(delay)
            attempt += 1

    # -- cache ------------------------------------------------------------------------------

    def _cache_file(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.json"

    def _cache_read(self, url: str) -> list[Any] | None:
        path = self._cache_file(url)
        if path is None or not path.exists():
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            fetched = datetime.fromisoformat(entry["fetched_at"])
            if entry["url"] != url:
                return None
            fresh = entry.get("settled") or (self.now() - fetched).total_seconds() < (
                self.cache_ttl_s
            )
            return entry["pages"] if fresh else None
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged cache entry is refetched

    def _cache_write(self, url: str, pages: list[Any], settled: bool) -> None:
        path = self._cache_file(url)
        if path is None:
            return
        entry = {
            "url": url,
            "fetched_at": self.now().isoformat(),
            "settled": settled,
            "pages": pages,
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(entry), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("octopus: cannot write cache %s: %s", path, exc)
