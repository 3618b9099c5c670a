"""The tariffs package's exceptions, each carrying what the caller does next
(:mod:`optimiser.domain.errors`).

Exceptions::

    TariffError                      base; never raised itself             stop and tell
    ├── UnknownProduct               no such product (built-in or at       stop and tell
    │   │                            Octopus)
    │   └── UnknownTariffCode        the product exists but not that code  stop and tell
    ├── UnknownRegion                not a region letter A…P (no I, O), or stop and tell
    │                                a postcode with no region
    ├── PricesUnknown                no price for some slot (not yet       gap and retry
    │                                published, before its first rate);
    │                                plan a shorter horizon or wait
    ├── TariffFileError              a custom tariff YAML file is wrong    stop and tell
    │                                (file:line:col)
    ├── TeslaExportError             a tariff_content_v2 document is       stop and tell
    │                                malformed
    ├── EventError                   a saving session / power-up given as  stop and tell
    │                                a context fact cannot be understood
    ├── OctopusAccountError          the account cannot be planned on (no  stop and tell
    │                                current import meter point, pricing
    │                                on a two-register tariff…)
    ├── NotLoggedIn                  no saved Octopus account: run         stop and tell
    │                                `wattplan octopus login`
    ├── OctopusAuthError             Octopus refused the API key (401,     re-authenticate
    │                                403), or the key file is unsafe
    ├── OctopusUnavailable           network trouble, timeout or 5xx       gap and retry
    │   │                            after retries
    │   └── OctopusRateLimited       429: no call before Retry-After       gap and retry
    └── OctopusProtocolError         Octopus answered something we do not  gap and retry
                                     understand; report it

The CLI's exit codes: user mistake for the base, the unknown names and files, the account and
the login, authentication for ``OctopusAuthError``, failed for ``PricesUnknown``, temporary for
``OctopusUnavailable``, protocol for ``OctopusProtocolError``.
In ``wattplan run`` a tariff that cannot price the horizon keeps the last plan until it
expires, whatever the error.

Lower-level exceptions (requests, json, yaml, OSError) never escape; they are translated with
``raise … from exc``.
"""

from __future__ import annotations

from datetime import datetime

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError


class TariffError(WattplanError):
    """Base of every tariffs error."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class UnknownProduct(TariffError):
    """The product is not built in, or Octopus does not know it."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class UnknownTariffCode(UnknownProduct):
    """The product exists but has no such tariff code."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class UnknownRegion(TariffError):
    """Not a region letter, or a postcode Octopus cannot place in a region."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class PricesUnknown(TariffError):
    """Some slot has no import or export price (unpublished or outside the tariff's history)."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.FAILED


class TariffFileError(TariffError):
    """A custom tariff file is malformed or breaks the schema (message has file:line:col)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class TeslaExportError(TariffError):
    """A Tesla ``tariff_content_v2`` document is malformed or does not tile the week."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class EventError(TariffError):
    """A saving session or power-up written as a context fact cannot be understood."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class OctopusAccountError(TariffError):
    """The Octopus account has no agreement wattplan can plan on."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class NotLoggedIn(TariffError):
    """No API key or saved account: ``wattplan octopus login`` first."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class OctopusAuthError(TariffError):
    """Octopus refused the API key (HTTP 401 or 403), or the stored key is unsafe to use."""

    next_step = NextStep.REAUTHENTICATE
    kind = ErrorKind.AUTH


class OctopusUnavailable(TariffError):
    """Octopus could not be reached (offline, timeout, 5xx or 429 after retries); retry later.

    ``reason`` says why in a few words (``cannot connect: ConnectionError``, ``HTTP 503``).
    """

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY

    def __init__(self, message: str, *, hint: str | None = None, reason: str | None = None):
        super().__init__(message, hint=hint)
        self.reason = reason or message


class OctopusRateLimited(OctopusUnavailable):
    """Octopus answered 429; no call is made before ``until`` (UTC, from Retry-After)."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY

    def __init__(
        self,
        message: str,
        *,
        until: datetime | None = None,
        hint: str | None = None,
        reason: str | None = None,
    ):
        super().__init__(message, hint=hint, reason=reason)
        self.until = until


class OctopusProtocolError(TariffError):
    """Octopus answered with something that does not match the documented shape."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.PROTOCOL
