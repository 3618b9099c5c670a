"""wattplan tariffs: import and export prices on the UTC slot grid.

Public entry points::

    get_tariff(product, region, *, access=None, period_from=None, period_to=None, strict=False)
    get_account_tariff(access, *, period_from=None, period_to=None, strict=False, refresh=False)
    load_custom_tariff(path) -> Tariff
    OctopusAccess(base_url, state_dir, live)  where and whether to reach Octopus
    Tariff.prices(grid) -> SlotPrices (import_price, export_price, estimated, source)
    tariffs.tesla.to_tesla_tariff(tariff, day) -> TeslaTariff
    tariffs.events.EventPrices(tariff, events)  saving sessions, power-ups, confirmed
                                               dispatches laid over the import price

Exceptions (see :mod:`tariffs.errors`; each class declares what the caller does next)::

    TariffError
    ├── UnknownProduct ── UnknownTariffCode     stop and tell
    ├── UnknownRegion                            stop and tell
    ├── PricesUnknown                            gap and retry: shorter horizon, or wait for
    │                                            publication
    ├── TariffFileError                          stop and tell (file:line:col)
    ├── TeslaExportError                         stop and tell
    ├── EventError                               stop and tell (a saving session / power-up
    │                                            fact that cannot be read)
    ├── OctopusAccountError                      stop and tell
    ├── NotLoggedIn                              stop and tell: `wattplan octopus login`
    ├── OctopusAuthError                         re-authenticate: fix the API key
    ├── OctopusUnavailable ── OctopusRateLimited gap and retry
    └── OctopusProtocolError                     gap and retry; the API changed, report it
"""

from __future__ import annotations

from datetime import datetime

from optimiser.domain.slots import SlotGrid
from tariffs.access import OctopusAccess
from tariffs.account_tariff import account_tariff
from tariffs.custom import load_custom_tariff
from tariffs.errors import (
    NotLoggedIn,
    OctopusAccountError,
    OctopusAuthError,
    OctopusProtocolError,
    OctopusRateLimited,
    OctopusUnavailable,
    PricesUnknown,
    TariffError,
    TariffFileError,
    TeslaExportError,
    UnknownProduct,
    UnknownRegion,
    UnknownTariffCode,
)
from tariffs.freshness import planning_windows
from tariffs.model import SlotPrices, Tariff
from tariffs.octopus import DEFAULT_BASE_URL
from tariffs.online import product_tariff
from tariffs.products import builtin_tariff, product_names

__all__ = [
    "DEFAULT_BASE_URL",
    "NotLoggedIn",
    "OctopusAccess",
    "OctopusAccountError",
    "OctopusAuthError",
    "OctopusProtocolError",
    "OctopusRateLimited",
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
    "get_account_tariff",
    "get_tariff",
    "load_custom_tariff",
    "product_names",
]


def _windows(
    access: OctopusAccess, period_from: datetime | None, period_to: datetime | None
) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """(needed, fetched): the given period, else planning's (today and tomorrow)."""
    if period_from is not None and period_to is not None:
        return (period_from, period_to), (period_from, period_to)
    return planning_windows(access.now())


def get_tariff(
    product: str,
    region: str,
    *,
    access: OctopusAccess | None = None,
    period_from: datetime | None = None,
    period_to: datetime | None = None,
    strict: bool = False,
) -> Tariff:
    """A built-in product (``flux``, ``agile``…) for a region letter A…P.

    With no ``access`` or ``access.live`` false, prices come from the bundled, dated snapshot
    (estimates flagged). Live, they come from Octopus over ``[period_from, period_to)``
    (default: today and tomorrow, local time) when a fetch is due, else from the cache, with
    the snapshot's estimates (flagged) where neither has a rate; ``source`` says which.
    ``strict``: fetch now, raise on failure, published rates only.
    """
    if access is None or not access.live:
        return builtin_tariff(product, region)
    needed, window = _windows(access, period_from, period_to)
    return product_tariff(product, region, access, needed, window, strict=strict)


def get_account_tariff(
    access: OctopusAccess,
    *,
    period_from: datetime | None = None,
    period_to: datetime | None = None,
    strict: bool = False,
    refresh: bool = False,
) -> Tariff:
    """The Octopus account's tariff (``wattplan octopus login`` first): every instant priced by
    the agreement in force, live / cached / snapshot as :func:`get_tariff`. ``refresh``
    re-reads the account now."""
    needed, window = _windows(access, period_from, period_to)
    return account_tariff(access, needed, window, strict=strict, refresh=refresh)
