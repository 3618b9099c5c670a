"""An Octopus account's tariff: its agreements over time, each priced like a product.

The account is read from Octopus with the stored API key at most once a day
(:data:`ACCOUNT_MAX_AGE`), else taken as saved at login. Each agreement's rates come through the
rate fetcher (live when due, else cached), with the snapshot product of the same family standing
in where neither has a rate, flagged estimated. Every instant is priced by the agreement in force
then (:class:`~tariffs.model.ByPeriod`), so a tariff switch at a date lands where it should;
export is 0p where no export agreement is in force. ``Tariff.agreements`` says which agreement
priced each slot.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from tariffs.access import OctopusAccess
from tariffs.account import Account, parse_tariff_code
from tariffs.credentials import (
    ApiKey,
    SavedAccount,
    load_account,
    load_api_key,
    save_account,
    save_api_key,
)
from tariffs.errors import (
    NotLoggedIn,
    OctopusAuthError,
    OctopusProtocolError,
    OctopusUnavailable,
    PricesUnknown,
)
from tariffs.live_rates import FetchedRates, describe_sources
from tariffs.model import (
    Agreement,
    ByPeriod,
    Direction,
    Period,
    PriceSource,
    Rate,
    RateSeries,
    Tariff,
    WithFallback,
)
from tariffs.products import load_snapshot, stand_in
from tariffs.rate_cache import RateKind
from tariffs.regions import REGIONS

ACCOUNT_MAX_AGE = timedelta(hours=24)
_LOGIN_HINT = "run `wattplan octopus login`"
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_NOTHING_PAID = RateSeries((Rate(_EPOCH, None, 0.0),))
log = logging.getLogger(__name__)


def login(access: OctopusAccess, number: str, key: ApiKey) -> SavedAccount:
    """Read the account with ``key``; only when that works, store the key and the account."""
    if access.state_dir is None:
        raise NotLoggedIn("no state directory to keep the Octopus API key in")
    account, payload = access.command_client(key).get_account(number)
    now = access.now()
    save_api_key(access.state_dir, key)
    path = save_account(access.state_dir, payload, now)
    return SavedAccount(account, now, path)


def current_account(
    access: OctopusAccess, *, refresh: bool = False, strict: bool = False
) -> tuple[Account, str]:
    """The account (re-read when over a day old, or ``refresh``) and a note on where from.

    A failed re-read falls back to the saved account (``strict``: raises).
    """
    if access.state_dir is None:
        raise NotLoggedIn("no state directory holds an Octopus account", hint=_LOGIN_HINT)
    saved = load_account(access.state_dir)
    if saved is None:
        raise NotLoggedIn("no Octopus account saved", hint=_LOGIN_HINT)
    key = load_api_key(access.state_dir)
    number = saved.account.number
    as_saved = f"account {number} as saved {saved.fetched_at.strftime('%Y-%m-%d %H:%M UTC')}"
    fresh = access.now() - saved.fetched_at < ACCOUNT_MAX_AGE
    if not access.live or (fresh and not refresh):
        return saved.account, as_saved
    if key is None:
        return saved.account, f"{as_saved} (no API key to re-read it)"
    client = access.command_client(key) if strict else access.planning_client(key)
    try:
        account, payload = client.get_account(number)
    except (OctopusUnavailable, OctopusProtocolError, OctopusAuthError) as exc:
        if strict:
            raise
        reason = exc.reason if isinstance(exc, OctopusUnavailable) else str(exc)
        log.warning("octopus: cannot re-read account %s: %s", number, reason)
        return saved.account, f"{as_saved} (re-read failed: {reason})"
    save_account(access.state_dir, payload, access.now())
    return account, f"account {number} read live"


def account_tariff(
    access: OctopusAccess,
    needed: tuple[datetime, datetime],
    window: tuple[datetime, datetime],
    *,
    strict: bool = False,
    refresh: bool = False,
) -> Tariff:
    """The account's tariff covering ``needed`` (rates fetched over ``window`` when due)."""
    account, account_note = current_account(access, refresh=refresh, strict=strict)
    fetcher = access.fetcher(strict=strict) if access.live else None
    snapshot = load_snapshot()
    snapshot_label = f"bundled snapshot {snapshot.name} (rates as of {snapshot.snapshot_date})"
    periods: dict[Direction, list[Period]] = {Direction.IMPORT: [], Direction.EXPORT: []}
    standing: list[Rate] = []
    standing_estimated = False
    fetched: list[FetchedRates] = []
    for code, agreements in _by_code(account.agreements).items():
        spans = [s for a in agreements if (s := a.span(*window)) is not None]
        if not spans:
            continue
        direction = agreements[0].direction
        parsed = parse_tariff_code(code).require_single_register()
        span = (min(s[0] for s in spans), max(s[1] for s in spans))
        need = (max(span[0], needed[0]), min(span[1], needed[1]))
        need = need if need[0] < need[1] else span
        snap = stand_in(parsed.product, parsed.region)
        fallback: PriceSource | None = None
        if snap is not None:
            fallback = snap.import_source if direction is Direction.IMPORT else snap.export_source
        if fetcher is None:
            source: PriceSource = fallback if fallback is not None else RateSeries(())
            if direction is Direction.IMPORT and snap is not None:
                standing += _clipped(snap.standing.rates, agreements)
                standing_estimated |= snap.standing.estimated
        else:
            unit = fetcher.get(parsed.product, code, RateKind.UNIT, need, span, strict=strict)
            fetched.append(unit)
            published = RateSeries(unit.rates)
            source = published if strict or fallback is None else WithFallback(published, fallback)
            if direction is Direction.IMPORT:
                charges = fetcher.get(
                    parsed.product, code, RateKind.STANDING, need, span, strict=strict
                )
                fetched.append(charges)
                if charges.rates:
                    standing += _clipped(charges.rates, agreements)
                elif snap is not None and not strict:
                    standing += _clipped(snap.standing.rates, agreements)
                    standing_estimated = True
        periods[direction] += [Period(a.valid_from, a.valid_to, source) for a in agreements]
    if not periods[Direction.IMPORT]:
        raise PricesUnknown(
            f"account {account.number}: no import agreement in force between "
            f"{window[0].isoformat()} and {window[1].isoformat()}"
        )
    if fetcher is None:
        rates_note = f"rates from the {snapshot_label} (offline)"
    else:
        rates_note = describe_sources(fetched, access.now(), access.base_url)
    letter = account.region(needed[0])
    now_import = _agreement_at(account.agreements, Direction.IMPORT, needed[0])
    now_export = _agreement_at(account.agreements, Direction.EXPORT, needed[0])
    by_start = sorted(periods[Direction.IMPORT], key=lambda p: p.valid_from)
    exports = sorted(periods[Direction.EXPORT], key=lambda p: p.valid_from)
    return Tariff(
        name=f"Octopus account {account.number} (region {letter}, {REGIONS[letter]})",
        import_source=ByPeriod(tuple(by_start)),
        # 0p wherever no export agreement is in force; later periods win
        export_source=ByPeriod((Period(_EPOCH, None, _NOTHING_PAID), *exports)),
        standing=RateSeries(tuple(standing), estimated=standing_estimated),
        source=f"{account_note}; {rates_note}",
        product="account",
        region=letter,
        codes=(
            now_import.tariff_code if now_import else "",
            now_export.tariff_code if now_export else "",
        ),
        agreements=account.agreements,
        fallback_source=None if strict or fetcher is None else snapshot_label,
    )


def _by_code(agreements: tuple[Agreement, ...]) -> dict[str, list[Agreement]]:
    out: dict[str, list[Agreement]] = {}
    for agreement in agreements:
        out.setdefault(agreement.tariff_code, []).append(agreement)
    return out


def _clipped(rates: tuple[Rate, ...], agreements: list[Agreement]) -> list[Rate]:
    """``rates`` cut to the agreements' spans (a standing charge belongs to its agreement)."""
    out = []
    for agreement in agreements:
        for rate in rates:
            start = max(rate.valid_from, agreement.valid_from)
            ends = [e for e in (rate.valid_to, agreement.valid_to) if e is not None]
            end = min(ends) if ends else None
            if end is None or start < end:
                out.append(Rate(start, end, rate.value))
    return out


def _agreement_at(
    agreements: tuple[Agreement, ...], direction: Direction, when: datetime
) -> Agreement | None:
    return next((a for a in agreements if a.direction is direction and a.covers(when)), None)
