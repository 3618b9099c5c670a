"""Built-in products priced from Octopus: live rates, the cache, then the bundled snapshot.

Import, export and the standing charge come through :class:`~tariffs.live_rates.RateFetcher`
(live when due, else cached); where neither has a rate (tomorrow before publication, or
Octopus never reached), the snapshot's estimate stands in, flagged estimated, and the tariff's
``source`` says which of live / cache (with its age) / snapshot priced it. ``strict`` (``wattplan
tariffs fetch``) fetches now, raises on failure and keeps published rates only.
"""

from __future__ import annotations

from datetime import datetime

from tariffs.access import OctopusAccess
from tariffs.live_rates import describe_sources
from tariffs.model import PriceSource, RateSeries, Tariff, WithFallback
from tariffs.products import builtin_tariff, load_snapshot
from tariffs.rate_cache import RateKind
from tariffs.regions import normalise_region


def product_tariff(
    product: str,
    region: str,
    access: OctopusAccess,
    needed: tuple[datetime, datetime],
    window: tuple[datetime, datetime],
    *,
    strict: bool = False,
) -> Tariff:
    """A built-in product's rates covering ``needed`` (fetched over ``window`` when due).

    Import and export are always both fetched (they are published separately). Products with
    no export agreement (``flexible``) export at 0p.
    """
    snap = builtin_tariff(product, region)  # raises UnknownProduct / UnknownRegion
    letter = normalise_region(region)
    entry = load_snapshot().products[snap.product]
    fetcher = access.fetcher(strict=strict)

    def series(product_code: str, kind: RateKind):
        code = f"E-1R-{product_code}-{letter}"
        return fetcher.get(product_code, code, kind, needed, window, strict=strict)

    def priced(rates: RateSeries, fallback: PriceSource) -> PriceSource:
        return rates if strict else WithFallback(rates, fallback)

    imports = series(entry["import_code"], RateKind.UNIT)
    standing = series(entry["import_code"], RateKind.STANDING)
    fetched = [imports, standing]
    export_source = snap.export_source
    export_code = ""
    if entry["export_code"]:
        exports = series(entry["export_code"], RateKind.UNIT)
        fetched.append(exports)
        export_code = exports.tariff_code
        export_source = priced(RateSeries(exports.rates), snap.export_source)
    dispatch = snap.dispatch_price
    if entry.get("dispatch_band") and imports.rates:
        dispatch = min(r.value for r in imports.rates)
    return Tariff(
        name=snap.name,
        import_source=priced(RateSeries(imports.rates), snap.import_source),
        export_source=export_source,
        standing=RateSeries(standing.rates) if standing.rates or strict else snap.standing,
        source=describe_sources(fetched, access.now(), access.base_url),
        product=snap.product,
        region=letter,
        codes=(imports.tariff_code, export_code),
        dispatch_price=dispatch,
        fallback_source=None if strict else snap.source,
    )
