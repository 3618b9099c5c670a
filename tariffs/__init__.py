"""wattplan tariffs: import and export prices on the UTC slot grid.

Public entry points::

    get_tariff(product, region, *, cache_dir=None, offline=True, base_url=...) -> Tariff
    load_custom_tariff(path) -> Tariff
    Tariff.prices(grid) -> SlotPrices (import_price, export_price, estimated, source)
    tariffs.tesla.to_tesla_tariff(tariff, day) -> TeslaTariff

Exceptions (see :mod:`tariffs.errors`; each class declares what the caller does next)::

    TariffError
    ├── UnknownProduct ── UnknownTariffCode     stop and tell
    ├── UnknownRegion                            stop and tell
    ├── PricesUnknown                            gap and retry: shorter horizon, or wait for
    │                                            publication
    ├── TariffFileError                          stop and tell (file:line:col)
    ├── TeslaExportError                         stop and tell
    ├── OctopusUnavailable                       gap and retry
    └── OctopusProtocolError                     gap and retry; the API changed, report it
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from optimiser.domain.slots import LONDON, SlotGrid
from tariffs.errors import (
    OctopusProtocolError,
    OctopusUnavailable,
    PricesUnknown,
    TariffError,
    TariffFileError,
    TeslaExportError,
    UnknownProduct,
    UnknownRegion,
    UnknownTariffCode,
)
from tariffs.model import SlotPrices, Tariff
from tariffs.octopus import DEFAULT_BASE_URL
from tariffs.products import builtin_tariff, product_names

__all__ = [
    "OctopusProtocolError",
    "OctopusUnavailable",
    "PricesUnknown",
    "SlotGrid",
    "SlotPrices",
    "Tariff",
    "TariffError",
    "TariffFileError",
    "TeslaExportError",
    "UnknownProduct",
    "UnknownRegion",
    "UnknownTariffCode",
    "get_tariff",
    "load_custom_tariff",
    "product_names",
]


def get_tariff(
    product: str,
    region: str,
    *,
    cache_dir: Path | None = None,
    offline: bool = True,
    base_url: str = DEFAULT_BASE_URL,
    period_from: datetime | None = None,
    period_to: datetime | None = None,
) -> Tariff:
    """A built-in product (``flux``, ``agile``…) for a region letter A…P.

    Offline (the default) prices come from the bundled, dated snapshot (estimates flagged).
    Online they come from the Octopus API over ``[period_from, period_to)`` (default: local
    midnight a week ago to two days ahead), cached in ``cache_dir``.
    """
    if offline:
        return builtin_tariff(product, region)
    from tariffs.octopus import OctopusClient
    from tariffs.online import fetch_tariff

    today = datetime.combine(datetime.now(LONDON).date(), time(0), LONDON)
    start = period_from or (today - timedelta(days=7)).astimezone(UTC)
    end = period_to or (today + timedelta(days=2)).astimezone(UTC)
    client = OctopusClient(base_url, cache_dir=cache_dir)
    return fetch_tariff(product, region, client, start, end)


def load_custom_tariff(path: Path) -> Tariff:
    """A tariff from a custom YAML file; raises :class:`TariffFileError` with file:line:col."""
    from tariffs.custom import load_custom_tariff as load

    return load(path)
