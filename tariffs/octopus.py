"""Octopus Energy REST client (the I/O edge): get pages, cache them, hand them to the parser.

``get_*`` methods fetch (with timeouts, retries with exponential back-off, pagination and an
optional on-disk cache) and return typed values built by :mod:`tariffs.octopus_parse` and
:mod:`tariffs.account`, the same parsers that read saved responses. Rates need no
authentication; the account is read with the API key as the basic-auth user.

Politeness: every call is recorded in a :class:`~tariffs.journal.CallJournal`; a 429 with a
short ``Retry-After`` is waited out, a longer one puts a hold in the journal and no call is made
before it ends. A client made with ``unreachable_hold_s`` (planning's) also keeps quiet that
long after a failure, and bounds the DNS lookup with ``resolve_timeout_s``, so an offline
machine pays for one short failure, not one per plan.

Errors: connection failures, timeouts, 429 and 5xx are retried, then raise
:class:`~tariffs.errors.OctopusUnavailable` (:class:`OctopusRateLimited` for 429); 401 and 403
raise :class:`OctopusAuthError`; 404 becomes :class:`UnknownProduct` or
:class:`UnknownTariffCode`; anything unparseable is :class:`OctopusProtocolError`.
``requests`` exceptions never escape, and no message or record holds the API key.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests
from requests.utils import get_environ_proxies, select_proxy

from optimiser.domain.slots import require_aware
from tariffs.account import Account, normalise_account_number, parse_account
from tariffs.credentials import ApiKey
from tariffs.errors import (
    NotLoggedIn,
    OctopusAuthError,
    OctopusProtocolError,
    OctopusRateLimited,
    OctopusUnavailable,
    UnknownProduct,
    UnknownRegion,
    UnknownTariffCode,
)
from tariffs.journal import Call, CallJournal, HoldKind, endpoint_of
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
RATE_LIMIT_HOLD_S = 60.0  # quiet time after a 429 that gave no Retry-After [s]
_RETRY_STATUS = {429, 500, 502, 503, 504}
_NOT_JSON = object()  # a 200 whose body is not JSON
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
    journal : CallJournal
        Where every call is recorded and holds are kept (default: in memory).
    api_key : ApiKey or None
        For the account endpoint.
    connect_timeout_s : float or None
        Connect timeout (None: ``timeout_s``). [s]
    resolve_timeout_s : float or None
        Bound on the first DNS lookup of the host (None: the system's). [s]
    unreachable_hold_s : float
        After a failure, keep quiet this long, and respect such holds (0: neither). [s]
    max_retry_after_s : float
        A 429's ``Retry-After`` up to this is waited out; longer puts a hold. [s]
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
    journal: CallJournal = field(default_factory=lambda: CallJournal(None))
    api_key: ApiKey | None = None
    connect_timeout_s: float | None = None
    resolve_timeout_s: float | None = None
    unreachable_hold_s: float = 0.0
    max_retry_after_s: float = 10.0

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if self.session is None:
            self.session = requests.Session()
        self.requests_made = 0
        self._resolved: set[str] = set()

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

    def get_account(self, number: str) -> tuple[Account, Any]:
        """The account (parsed) and its payload (to save); needs ``api_key``. Never cached."""
        if self.api_key is None:
            raise NotLoggedIn("no Octopus API key", hint="run `wattplan octopus login`")
        clean = normalise_account_number(number)
        path = f"/v1/accounts/{quote(clean)}/"
        try:
            payload = self._get(f"{self.base_url}{path}", auth=(self.api_key.reveal(), ""))
        except _NotFound:
            raise OctopusAuthError(
                f"Octopus knows no account {clean} for this API key (HTTP 404)",
                hint="check the account number (A-…, on your bill) and that the key is its",
            ) from None
        return parse_account(payload, "/v1/accounts/…/"), payload

    def ping(self) -> str:
        """One small call (the first product); the endpoint asked, for messages."""
        self._page("/v1/products/", {"page_size": 1})
        return f"{self.base_url}/v1/products/"

    def get_region(self, postcode: str) -> str:
        """The region letter of a UK postcode; raises :class:`UnknownRegion`."""
        clean = " ".join(postcode.upper().split())
        if not clean:
            raise UnknownRegion("empty postcode")
        payload = self._page("/v1/industry/grid-supply-points/", {"postcode": clean})
        return parse_grid_supply_point(payload, clean, "grid-supply-points")

    # -- transport --------------------------------------------------------------------------

    def get_rate_pages(
        self, product: str, tariff_code: str, kind: str, period_from: datetime, period_to: datetime
    ) -> list[Any]:
        """Every page of ``standard-unit-rates`` or ``standing-charges`` over
        ``[period_from, period_to)``, as sent (to cache); :func:`parse_rates` reads them."""
        if require_aware(period_to, "period_to") <= require_aware(period_from, "period_from"):
            raise ValueError("period_to must be after period_from")
        path = f"/v1/products/{product}/electricity-tariffs/{tariff_code}/{kind}/"
        params = {
            "period_from": z_time(period_from),
            "period_to": z_time(period_to),
            "page_size": PAGE_SIZE,
        }
        try:
            return self._pages(path, params, settled=period_to < self.now() - timedelta(days=2))
        except _NotFound as exc:
            raise UnknownTariffCode(
                f"Octopus has no tariff {tariff_code!r} under product {product!r} ({exc.url})",
                hint="tariff codes look like E-1R-FLUX-IMPORT-23-02-14-C",
            ) from None

    def _rates(
        self, product: str, tariff_code: str, kind: str, period_from: datetime, period_to: datetime
    ) -> tuple[Rate, ...]:
        pages = self.get_rate_pages(product, tariff_code, kind, period_from, period_to)
        return parse_rates(
            pages, f"/v1/products/{product}/electricity-tariffs/{tariff_code}/{kind}/"
        )

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
            if _origin(next_url) != _origin(self.base_url):
                raise OctopusProtocolError(
                    f"{path}: 'next' should be a page on the same origin as {self.base_url}, "
                    f"got {self.scrub(next_url)!r}; not followed"
                )
            pages.append(self._get(next_url))
            if len(pages) > 1000:
                raise OctopusProtocolError(f"{path}: more than 1000 pages; giving up")
        self._cache_write(url, pages, settled)
        return pages

    def post_json(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        """POST ``body`` as JSON to ``path`` (GraphQL), with the same retries, holds and
        journal as every GET; never cached. The body is never logged or recorded."""
        return self._get(f"{self.base_url}{path}", body=body, headers=headers)

    def _get(
        self,
        url: str,
        *,
        auth: tuple[str, str] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        attempt = 0
        while True:
            self._keep_quiet_if_held()
            self._resolve_once(url)
            answer, payload = self._attempt(url, auth, body, headers)
            if isinstance(answer, requests.Response):
                status = answer.status_code
                if status == 200:
                    if payload is _NOT_JSON:
                        raise OctopusProtocolError(
                            f"{url}: expected JSON, got {self.scrub(answer.text[:80])!r}"
                        )
                    return payload
                if status == 404:
                    raise _NotFound(url)
                if status in (401, 403):
                    raise OctopusAuthError(
                        f"Octopus refused the API key for {endpoint_of(url)} (HTTP {status})",
                        hint="check the key (Octopus dashboard: Personal details → API access) "
                        "and run `wattplan octopus login` again",
                    )
                if status not in _RETRY_STATUS:
                    raise OctopusProtocolError(
                        f"{url}: expected HTTP 200, got {status}: {self.scrub(answer.text[:200])!r}"
                    )
                problem = f"HTTP {status}"
                wait = retry_after_s(answer, self.now()) if status == 429 else None
                if wait is not None:
                    if wait <= self.max_retry_after_s and attempt < self.retries:
                        log.info("octopus: HTTP 429; waiting %.0f s as asked", wait)
                        self.sleep(wait)
                        attempt += 1
                        continue
                    self._rate_limited(url, wait)
            else:
                problem = answer
            if attempt >= self.retries:
                if problem == "HTTP 429":
                    self._rate_limited(url, RATE_LIMIT_HOLD_S)
                self._hold_unreachable(problem)
                raise OctopusUnavailable(
                    f"Octopus API {url}: {problem} ({attempt + 1} attempts)",
                    hint="check the network (wattplan prices from its cache or the bundled "
                    "snapshot meanwhile, and says so)",
                    reason=problem,
                )
            delay = self.backoff_s * 2**attempt
            log.info("octopus: %s; retrying in %.1f s", problem, delay)
            self.sleep(delay)
            attempt += 1

    def _attempt(
        self,
        url: str,
        auth: tuple[str, str] | None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[requests.Response | str, Any]:
        """One GET (a POST with ``body``), recorded in the journal: (the response or what went
        wrong, its JSON)."""
        assert self.session is not None
        started, clock = self.now(), time.monotonic()
        connect = self.connect_timeout_s if self.connect_timeout_s is not None else self.timeout_s
        self.requests_made += 1
        try:
            response = self.session.request(
                "GET" if body is None else "POST",
                url,
                timeout=(connect, self.timeout_s),
                headers={"Accept": "application/json", **(headers or {})},
                auth=auth,
                json=body,
            )
        except requests.Timeout:
            answer: requests.Response | str = f"timed out after {self.timeout_s:g} s"
        except requests.RequestException as exc:
            answer = f"cannot connect: {type(exc).__name__}"
        else:
            answer = response
        payload: Any = None
        if isinstance(answer, str):
            status, outcome = None, answer
        else:
            status, outcome = answer.status_code, _outcome(answer)
            if status == 200:
                try:
                    payload = answer.json()
                except ValueError:
                    payload, outcome = _NOT_JSON, "malformed JSON"
        elapsed = (time.monotonic() - clock) * 1000
        self.journal.record(Call(started, endpoint_of(url), status, outcome, elapsed))
        return answer, payload

    def _keep_quiet_if_held(self) -> None:
        kinds = (HoldKind.RATE_LIMITED,)
        if self.unreachable_hold_s > 0:
            kinds += (HoldKind.UNREACHABLE,)
        hold = self.journal.active_hold(self.now(), kinds)
        if hold is None:
            return
        until = hold.until.astimezone(UTC).strftime("%H:%M:%S UTC")
        message = f"not calling Octopus before {until}: {hold.reason}"
        if hold.kind is HoldKind.RATE_LIMITED:
            raise OctopusRateLimited(
                message, until=hold.until, hint="Octopus asked to wait", reason=message
            )
        raise OctopusUnavailable(
            message, hint="a recent call failed; wattplan retries later", reason=message
        )

    def _rate_limited(self, url: str, wait_s: float) -> None:
        until = self.now() + timedelta(seconds=wait_s)
        reason = f"HTTP 429 from {endpoint_of(url)} (asked to wait {wait_s:.0f} s)"
        self.journal.hold(HoldKind.RATE_LIMITED, until, reason)
        raise OctopusRateLimited(
            f"Octopus API {url}: {reason}",
            until=until,
            hint=f"no call to Octopus before {until.strftime('%H:%M:%S UTC')}",
            reason=reason,
        )

    def _hold_unreachable(self, problem: str) -> None:
        if self.unreachable_hold_s > 0:
            until = self.now() + timedelta(seconds=self.unreachable_hold_s)
            self.journal.hold(HoldKind.UNREACHABLE, until, problem)

    def _resolve_once(self, url: str) -> None:
        """Bound the first DNS lookup of the host: an offline resolver can take 20 s."""
        host = urlsplit(url).hostname or ""
        if self.resolve_timeout_s is None or host in self._resolved or _is_ip(host):
            return
        if select_proxy(url, get_environ_proxies(url)):
            return  # the proxy resolves the name
        done = threading.Event()
        failed: list[str] = []

        def lookup() -> None:
            try:
                socket.getaddrinfo(host, urlsplit(url).port or 443)
            except OSError as exc:
                failed.append(type(exc).__name__)
            done.set()

        started, clock = self.now(), time.monotonic()
        threading.Thread(target=lookup, name="octopus-dns", daemon=True).start()
        if done.wait(self.resolve_timeout_s) and not failed:
            self._resolved.add(host)
            return
        problem = (
            f"cannot resolve {host}: {failed[0]}"
            if failed
            else f"cannot resolve {host} within {self.resolve_timeout_s:g} s"
        )
        elapsed = (time.monotonic() - clock) * 1000
        self.journal.record(Call(started, endpoint_of(url), None, problem, elapsed))
        self._hold_unreachable(problem)
        raise OctopusUnavailable(
            f"Octopus API {url}: {problem}", hint="check the network", reason=problem
        )

    def scrub(self, text: str) -> str:
        """``text`` with the API key blanked, should a server echo it."""
        if self.api_key is None:
            return text
        return text.replace(self.api_key.reveal(), "********")

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


def retry_after_s(response: requests.Response, now: datetime) -> float | None:
    """A 429's ``Retry-After`` in seconds (delta-seconds or an HTTP date); None if absent."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _outcome(response: requests.Response) -> str:
    if response.status_code == 200:
        return "ok"
    if response.status_code == 429:
        after = response.headers.get("Retry-After")
        return f"HTTP 429 (Retry-After {after})" if after else "HTTP 429"
    return f"HTTP {response.status_code}"


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``, the port filled in for http and https."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # a malformed port matches no origin
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
