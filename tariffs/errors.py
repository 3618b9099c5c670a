"""The tariffs package's exceptions, split by what the caller does next.

Exceptions::

    TariffError                      base; never raised itself
    ├── UnknownProduct               no such product (built-in or at Octopus); stop and tell
    │   └── UnknownTariffCode        the product exists but not that tariff code
    ├── UnknownRegion                not a region letter A…P (no I, O), or a postcode with no region
    ├── PricesUnknown                the tariff has no price for some slot (not yet published,
    │                                before its first rate); plan a shorter horizon or wait
    ├── TariffFileError              a custom tariff YAML file is wrong (file:line:col)
    ├── TeslaExportError             a tariff_content_v2 document is malformed; stop and tell
    ├── OctopusUnavailable           network trouble, timeout or 5xx after retries; retry later
    └── OctopusProtocolError         Octopus answered something we do not understand; report it

Lower-level exceptions (requests, json, yaml, OSError) never escape; they are translated with
``raise … from exc``.
"""

from __future__ import annotations


class TariffError(Exception):
    """Base of every tariffs error."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class UnknownProduct(TariffError):
    """The product is not built in, or Octopus does not know it."""


class UnknownTariffCode(UnknownProduct):
    """The product exists but has no such tariff code."""


class UnknownRegion(TariffError):
    """Not a region letter, or a postcode Octopus cannot place in a region."""


class PricesUnknown(TariffError):
    """Some slot has no import or export price (unpublished or outside the tariff's history)."""


class TariffFileError(TariffError):
    """A custom tariff file is malformed or breaks the schema (message has file:line:col)."""


class TeslaExportError(TariffError):
    """A Tesla ``tariff_content_v2`` document is malformed or does not tile the week."""


class OctopusUnavailable(TariffError):
    """Octopus could not be reached (offline, timeout, 5xx or 429 after retries); retry later."""


class OctopusProtocolError(TariffError):
    """Octopus answered with something that does not match the documented shape."""
