"""The tariff model: price sources on UTC instants, and a Tariff that prices a slot grid.

Everything here is pure. A *price source* answers, for an array of UTC instants, the price in
force at each (NaN where it knows none) and whether that price is an estimate. Two kinds:

- :class:`RateSeries`: rates with ``valid_from``/``valid_to`` (Octopus unit rates, history);
- :class:`TouSource`: time-of-use bands written in local time, with eras of prices over time.

Two combinators build a tariff out of several sources over time:

- :class:`ByPeriod`: each instant priced by the source of the period in force (an Octopus
  account's agreements, a tariff switch at a date);
- :class:`WithFallback`: published rates where known, estimates from another source elsewhere,
  flagged estimated (live Octopus rates before tomorrow's are published).

Dated price overrides (saving sessions, power-ups, confirmed dispatches) are laid over a
tariff's import source by :mod:`tariffs.events`, leaving the tariff itself as it is.

A :class:`Tariff` pairs an import source with an export source (always both) and a standing
charge, and prices any :class:`~optimiser.domain.slots.SlotGrid` by averaging over 5-minute
sub-slots, so a 60-minute slot across two half-hourly Agile prices gets their mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.domain.localtime import local_fields
from optimiser.domain.slots import LONDON, SlotGrid, require_aware
from tariffs.errors import PricesUnknown

SUB_SLOT_S = 300
ALL_WEEKDAYS = frozenset(range(7))
ALL_MONTHS = frozenset(range(1, 13))
_FIVE_MIN_PER_DAY = 288


def _epoch(when: datetime) -> int:
    return int(require_aware(when, "time").timestamp())


class PriceSource(Protocol):
    """Anything that prices UTC instants."""

    def values(self, epoch_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(price per instant [p/kWh], NaN when unknown; estimated flag per instant)."""
        ...

    @property
    def known_until(self) -> datetime | None:
        """End of the last known price (UTC); None when open-ended."""
        ...


@dataclass(frozen=True, slots=True)
class Rate:
    """One published rate.

    Attributes
    ----------
    valid_from : datetime
        Start, inclusive, UTC.
    valid_to : datetime or None
        End, exclusive, UTC; None = until further notice.
    value : float
        Unit rate [p/kWh inc VAT] or standing charge [p/day inc VAT].
    """

    valid_from: datetime
    valid_to: datetime | None
    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "valid_from", require_aware(self.valid_from, "valid_from"))
        if self.valid_to is not None:
            valid_to = require_aware(self.valid_to, "valid_to")
            if valid_to <= self.valid_from:
                raise ValueError(
                    f"rate valid_to {valid_to.isoformat()} is not after valid_from "
                    f"{self.valid_from.isoformat()}"
                )
            object.__setattr__(self, "valid_to", valid_to)


@dataclass(frozen=True)
class RateSeries:
    """Rates over time; where two overlap, the later ``valid_from`` wins."""

    rates: tuple[Rate, ...]
    estimated: bool = False
    _starts: np.ndarray = field(init=False, repr=False, compare=False)
    _ends: np.ndarray = field(init=False, repr=False, compare=False)
    _values: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rates = tuple(sorted(self.rates, key=lambda r: r.valid_from))
        object.__setattr__(self, "rates", rates)
        big = np.iinfo(np.int64).max
        object.__setattr__(self, "_starts", np.array([_epoch(r.valid_from) for r in rates], "i8"))
        ends = [big if r.valid_to is None else _epoch(r.valid_to) for r in rates]
        object.__setattr__(self, "_ends", np.array(ends, dtype=np.int64))
        object.__setattr__(self, "_values", np.array([r.value for r in rates], dtype=float))

    def values(self, epoch_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        epoch_s = np.asarray(epoch_s, dtype=np.int64)
        out = np.full(epoch_s.shape, np.nan)
        if self.rates:
            idx = np.searchsorted(self._starts, epoch_s, side="right") - 1
            safe = np.clip(idx, 0, None)
            ok = (idx >= 0) & (epoch_s < self._ends[safe])
            out[ok] = self._values[safe[ok]]
        return out, np.full(epoch_s.shape, self.estimated)

    @property
    def known_until(self) -> datetime | None:
        if not self.rates:
            return datetime.fromtimestamp(0, UTC)
        if any(r.valid_to is None for r in self.rates):
            return None
        return max(r.valid_to for r in self.rates if r.valid_to is not None)

    def value_at(self, when: datetime) -> float | None:
        """The rate in force at ``when``, or None."""
        value = self.values(np.array([_epoch(when)]))[0][0]
        return None if np.isnan(value) else float(value)


@dataclass(frozen=True, slots=True)
class Band:
    """A time-of-use band in local wall-clock time.

    Attributes
    ----------
    name : str
        Band name (``night``, ``day``, ``peak``…).
    start_minute, end_minute : int
        Local minutes of the day, start inclusive, end exclusive; end 1440 = midnight; a band
        with end <= start wraps past midnight. Multiples of 5. [min]
    price : float
        [p/kWh inc VAT]
    weekdays : frozenset[int]
        Days it applies, 0 = Monday … 6 = Sunday (the day the minute falls on).
    months : frozenset[int]
        Months it applies, 1…12 (seasonal variants).
    """

    name: str
    start_minute: int
    end_minute: int
    price: float
    weekdays: frozenset[int] = ALL_WEEKDAYS
    months: frozenset[int] = ALL_MONTHS

    def __post_init__(self) -> None:
        for name in ("start_minute", "end_minute"):
            value = getattr(self, name)
            if not 0 <= value <= 1440 or value % 5:
                raise ValueError(
                    f"band {self.name!r}: {name} must be a multiple of 5 within 0…1440, got {value}"
                )
        if not np.isfinite(self.price):
            raise ValueError(f"band {self.name!r}: price must be finite, got {self.price}")

    def five_minute_mask(self) -> np.ndarray:
        """Which of the day's 288 five-minute steps the band covers."""
        steps = np.arange(_FIVE_MIN_PER_DAY) * 5
        start, end = self.start_minute, self.end_minute % 1440 or 1440
        if start < end:
            return (steps >= start) & (steps < end)
        return (steps >= start) | (steps < end)


@dataclass(frozen=True)
class BandTable:
    """Bands that together cover every local minute of every weekday of every month once."""

    bands: tuple[Band, ...]
    _lookup: np.ndarray = field(init=False, repr=False, compare=False)
    _prices: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.bands:
            raise ValueError("a band table needs at least one band")
        lookup = np.full((12, 7, _FIVE_MIN_PER_DAY), -1, dtype=np.int64)
        count = np.zeros((12, 7, _FIVE_MIN_PER_DAY), dtype=np.int64)
        for i, band in enumerate(self.bands):
            mask = band.five_minute_mask()
            for month in band.months:
                for weekday in band.weekdays:
                    lookup[month - 1, weekday, mask] = i
                    count[month - 1, weekday, mask] += 1
        bad = np.argwhere(count != 1)
        if len(bad):
            month, weekday, step = (int(v) for v in bad[0])
            days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
            raise ValueError(
                f"bands must cover every local time exactly once; {days[weekday]} "
                f"{(step * 5) // 60:02d}:{(step * 5) % 60:02d} in month {month + 1} is covered "
                f"by {int(count[month, weekday, step])} bands"
            )
        object.__setattr__(self, "_lookup", lookup)
        object.__setattr__(self, "_prices", np.array([b.price for b in self.bands]))

    def band_index(self, month: np.ndarray, weekday: np.ndarray, minute: np.ndarray) -> np.ndarray:
        """Index into ``bands`` for local month, weekday and minute of day."""
        return self._lookup[month - 1, weekday, minute // 5]

    def prices(self, month: np.ndarray, weekday: np.ndarray, minute: np.ndarray) -> np.ndarray:
        """Price per local time. [p/kWh]"""
        return self._prices[self.band_index(month, weekday, minute)]


@dataclass(frozen=True, slots=True)
class TouEra:
    """A band table in force over ``[valid_from, valid_to)`` (UTC; None = open-ended)."""

    valid_from: datetime
    valid_to: datetime | None
    table: BandTable
    estimated: bool = False


@dataclass(frozen=True)
class TouSource:
    """Time-of-use prices: local-time bands, with eras of prices over time."""

    eras: tuple[TouEra, ...]
    tz: ZoneInfo = LONDON

    def values(self, epoch_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        epoch_s = np.asarray(epoch_s, dtype=np.int64)
        out = np.full(epoch_s.shape, np.nan)
        estimated = np.zeros(epoch_s.shape, dtype=bool)
        if epoch_s.size == 0:
            return out, estimated
        fields = local_fields(epoch_s, self.tz)
        for era in self.eras:
            mask = epoch_s >= _epoch(era.valid_from)
            if era.valid_to is not None:
                mask &= epoch_s < _epoch(era.valid_to)
            if mask.any():
                out[mask] = era.table.prices(
                    fields.month[mask], fields.weekday[mask], fields.minute[mask]
                )
                estimated[mask] = era.estimated
        return out, estimated

    @property
    def known_until(self) -> datetime | None:
        if any(e.valid_to is None for e in self.eras):
            return None
        return max((e.valid_to for e in self.eras if e.valid_to), default=None)


class Direction(StrEnum):
    """Which way energy flows through a meter point or a price series."""

    IMPORT = "import"
    EXPORT = "export"


@dataclass(frozen=True, slots=True)
class Agreement:
    """An Octopus agreement: ``tariff_code`` in force over ``[valid_from, valid_to)``.

    Attributes
    ----------
    direction : Direction
        Import or export meter point.
    tariff_code : str
        ``E-1R-<PRODUCT>-<REGION>``.
    valid_from : datetime
        Start, inclusive, UTC.
    valid_to : datetime or None
        End, exclusive, UTC; None = open-ended.
    """

    direction: Direction
    tariff_code: str
    valid_from: datetime
    valid_to: datetime | None

    def covers(self, when: datetime) -> bool:
        """True when the agreement is in force at ``when``."""
        return self.valid_from <= when and (self.valid_to is None or when < self.valid_to)

    def span(self, start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
        """The part of ``[start, end)`` the agreement covers, or None."""
        lo = max(start, self.valid_from)
        hi = end if self.valid_to is None else min(end, self.valid_to)
        return (lo, hi) if lo < hi else None


@dataclass(frozen=True, slots=True)
class Period:
    """A price source in force over ``[valid_from, valid_to)`` (UTC; None = open-ended)."""

    valid_from: datetime
    valid_to: datetime | None
    source: PriceSource


@dataclass(frozen=True)
class ByPeriod:
    """Each instant priced by the source of the period in force; NaN outside every period.

    Where periods overlap, the later one in ``periods`` wins (a base period first, then the
    periods laid over it).
    """

    periods: tuple[Period, ...]

    def values(self, epoch_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        epoch_s = np.asarray(epoch_s, dtype=np.int64)
        out = np.full(epoch_s.shape, np.nan)
        estimated = np.zeros(epoch_s.shape, dtype=bool)
        for period in self.periods:
            mask = epoch_s >= _epoch(period.valid_from)
            if period.valid_to is not None:
                mask &= epoch_s < _epoch(period.valid_to)
            if mask.any():
                out[mask], estimated[mask] = period.source.values(epoch_s[mask])
        return out, estimated

    @property
    def known_until(self) -> datetime | None:
        if not self.periods:
            return datetime.fromtimestamp(0, UTC)
        last = max(self.periods, key=lambda p: p.valid_from)
        ends = [e for e in (last.valid_to, last.source.known_until) if e is not None]
        return min(ends) if ends else None


@dataclass(frozen=True)
class WithFallback:
    """Published rates where ``primary`` knows them, ``fallback``'s elsewhere, flagged estimated.

    The fallback stands in for rates not published yet (or not fetched): every price it gives
    is an estimate, whatever it says itself.
    """

    primary: PriceSource
    fallback: PriceSource

    def values(self, epoch_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        epoch_s = np.asarray(epoch_s, dtype=np.int64)
        out, estimated = self.primary.values(epoch_s)
        out, estimated = out.copy(), estimated.copy()
        missing = np.isnan(out)
        if missing.any():
            out[missing] = self.fallback.values(epoch_s[missing])[0]
            estimated[missing] = True
        return out, estimated

    @property
    def known_until(self) -> datetime | None:
        ends = (self.primary.known_until, self.fallback.known_until)
        return None if None in ends else max(e for e in ends if e is not None)


@dataclass(frozen=True)
class SlotPrices:
    """Import and export price of every slot of a grid.

    Attributes
    ----------
    grid : SlotGrid
    import_price, export_price : ndarray[float]
        One per slot. [p/kWh inc VAT]
    estimated_slots : ndarray[bool]
        Slots whose price (import or export) is an estimate, not a published rate.
    source : str
        Where the prices come from (snapshot and date, Octopus API, a file).
    """

    grid: SlotGrid
    import_price: np.ndarray
    export_price: np.ndarray
    estimated_slots: np.ndarray
    source: str

    @property
    def estimated(self) -> bool:
        """True when any slot's price is an estimate."""
        return bool(self.estimated_slots.any())


@dataclass(frozen=True)
class Tariff:
    """An import tariff and an export tariff taken together, plus the standing charge.

    Attributes
    ----------
    name : str
        Human name (``Octopus Flux (region K)``).
    import_source, export_source : PriceSource
        Prices per instant. [p/kWh inc VAT]
    standing : RateSeries
        Standing charge over time. [p/day inc VAT]
    source : str
        Where the rates come from.
    product : str
        Built-in product key or ``custom``.
    region : str or None
        Region letter.
    codes : tuple[str, str] or None
        Octopus (import, export) tariff codes.
    dispatch_price : float or None
        Import price of smart-charge dispatch slots (Intelligent Go). [p/kWh]
    tz : ZoneInfo
        Zone the bands and standing-charge days are written in.
    agreements : tuple[Agreement, ...]
        The Octopus agreements that price it over time (an account's tariff); empty otherwise.
    fallback_source : str or None
        What stands in where no published rate is known (the bundled snapshot); the prices'
        ``source`` names it when some slot needed it.
    """

    name: str
    import_source: PriceSource
    export_source: PriceSource
    standing: RateSeries
    source: str
    product: str = "custom"
    region: str | None = None
    codes: tuple[str, str] | None = None
    dispatch_price: float | None = None
    tz: ZoneInfo = LONDON
    agreements: tuple[Agreement, ...] = ()
    fallback_source: str | None = None

    @property
    def known_until(self) -> datetime | None:
        """End of the known prices (UTC), None when open-ended."""
        ends = [self.import_source.known_until, self.export_source.known_until]
        known = [e for e in ends if e is not None]
        return min(known) if known else None

    def prices(self, grid: SlotGrid) -> SlotPrices:
        """Import and export price of each slot of ``grid``; raises :class:`PricesUnknown`."""
        sub = grid.minutes * 60 // SUB_SLOT_S
        base = int(grid.start.timestamp())
        epochs = base + np.arange(grid.count * sub, dtype=np.int64) * SUB_SLOT_S
        imp, imp_est = self.import_source.values(epochs)
        exp, exp_est = self.export_source.values(epochs)
        for label, values in (("import", imp), ("export", exp)):
            missing = np.flatnonzero(np.isnan(values))
            if missing.size:
                when = datetime.fromtimestamp(int(epochs[missing[0]]), UTC)
                until = self.known_until
                known = (
                    f"prices known until {until.isoformat()}"
                    if until is not None and when >= until
                    else "no rate is known for that time"
                )
                raise PricesUnknown(
                    f"{self.name}: no {label} price at {when.isoformat()} "
                    f"(needed for slots {grid.start.isoformat()}…{grid.end.isoformat()}; "
                    f"{known})",
                    hint="plan a shorter horizon, or refresh with `wattplan tariffs fetch`",
                )
        shape = (grid.count, sub)
        estimated = (imp_est | exp_est).reshape(shape).any(axis=1)
        source = self.source
        if self.fallback_source is not None and estimated.any():
            source += (
                f"; {int(estimated.sum())} of {grid.count} slots with no published rate: "
                f"ESTIMATED from {self.fallback_source}"
            )
        return SlotPrices(
            grid=grid,
            import_price=_slot_means(imp.reshape(shape)),
            export_price=_slot_means(exp.reshape(shape)),
            estimated_slots=estimated,
            source=source,
        )

    def agreement_at(self, direction: Direction, when: datetime) -> Agreement | None:
        """The agreement of ``direction`` in force at ``when``, or None."""
        return next(
            (a for a in self.agreements if a.direction is direction and a.covers(when)), None
        )

    def standing_charge_p_per_day(self, day: date) -> float:
        """Standing charge in force at local midnight of ``day``. [p/day inc VAT]"""
        value = self.standing.value_at(datetime.combine(day, time(0), self.tz))
        if value is None:
            raise PricesUnknown(f"{self.name}: no standing charge known for {day.isoformat()}")
        return value


def _slot_means(values: np.ndarray) -> np.ndarray:
    """Mean of each row; exactly the value when a row is constant (no float drift)."""
    constant = (values == values[:, :1]).all(axis=1)
    return np.where(constant, values[:, 0] if values.shape[1] else np.nan, values.mean(axis=1))


def local_day_grid(day: date, minutes: int = 30, tz: ZoneInfo = LONDON) -> SlotGrid:
    """Slots of one local day (46/48/50 half-hours around clock changes)."""
    return SlotGrid.local_days(day, 1, minutes, tz)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Shorthand for an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


__all__ = [
    "Agreement",
    "Band",
    "BandTable",
    "ByPeriod",
    "Direction",
    "Period",
    "PriceSource",
    "Rate",
    "RateSeries",
    "SlotPrices",
    "Tariff",
    "TouEra",
    "TouSource",
    "WithFallback",
    "local_day_grid",
    "utc",
]
