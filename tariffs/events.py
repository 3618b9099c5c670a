"""Octopus events as dated price overrides: saving sessions, power-ups, confirmed dispatches.

Pure data. Three kinds of override change the *import* price over a UTC window:

- a **saving session** ("Power Down") pays ``reward`` for every kWh the house imports less than
  its baseline in the window. wattplan models it as an import price uplift of ``reward`` in
  the window: each kWh not imported then is worth the reward, so the plan covers the house from
  the battery (and exports when the export price makes it worth it). Absolute costs computed
  with these prices carry a notional charge for the import that remains; savings against "no
  battery" are what the session pays.
- a **power-up** ("Power Up") prices import at ``price`` (0: free; negative: paid to use).
- an Intelligent Octopus **dispatch** prices import at the tariff's dispatch (off-peak) rate,
  only once it is confirmed: completed, or in progress now. A planned dispatch may still be
  cancelled (it disappears from the list), so it is not cheap for the house until it starts.

:class:`EventPrices` lays the overrides over a :class:`~tariffs.model.Tariff` and prices any
slot grid; the tariff itself is left alone (it is the one uploaded to the Powerwall).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

import numpy as np

from optimiser.domain.slots import SlotGrid, require_aware
from tariffs.model import PriceSource, SlotPrices, Tariff

OCTOPOINTS_PER_PENNY = 8.0  # Octoplus: 800 points = £1


class EventKind(StrEnum):
    """What an event does to the import price."""

    SAVING_SESSION = "saving_session"
    POWER_UP = "power_up"
    DISPATCH = "dispatch"


class DispatchStatus(StrEnum):
    """An Intelligent Octopus dispatch as the API lists it."""

    PLANNED = "planned"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class PriceEvent:
    """One dated price override over ``[start, end)`` (UTC).

    Attributes
    ----------
    kind : EventKind
    start, end : datetime
        The window, aware.
    price : float
        Saving session: the reward, added to the import price; power-up and dispatch: the
        import price in the window. [p/kWh]
    code : str
        Octopus's event code (``""`` when unknown).
    source : str
        Where it came from (``octopus``, a file, ``--context``).
    joined : bool
        Saving sessions: whether the account has joined (only joined sessions pay).
    """

    kind: EventKind
    start: datetime
    end: datetime
    price: float
    code: str = ""
    source: str = "file"
    joined: bool = True

    def __post_init__(self) -> None:
        start = require_aware(self.start, "event start")
        end = require_aware(self.end, "event end")
        if end <= start:
            raise ValueError(
                f"{self.kind.value} {self.code or ''}: end {end.isoformat()} is not after "
                f"start {start.isoformat()}"
            )
        if not np.isfinite(self.price):
            raise ValueError(f"{self.kind.value}: price must be finite, got {self.price}")

    @property
    def applies(self) -> bool:
        """Whether it changes prices (a saving session not joined pays nothing)."""
        return self.kind is not EventKind.SAVING_SESSION or self.joined

    def describe(self) -> str:
        """In words, with what wattplan does with it."""
        if self.kind is EventKind.SAVING_SESSION:
            joined = "" if self.joined else " (not joined: ignored)"
            return (
                f"saving session {self.code}".rstrip()
                + f": pays {self.price:g} p/kWh of import cut, modelled as import price "
                f"+{self.price:g} p/kWh{joined}"
            )
        if self.kind is EventKind.POWER_UP:
            return f"power-up {self.code}".rstrip() + f": import at {self.price:g} p/kWh"
        return f"confirmed dispatch: import at {self.price:g} p/kWh (whole house)"

    def to_json_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "price_p_per_kwh": self.price,
            "code": self.code,
            "source": self.source,
            "joined": self.joined,
        }


@dataclass(frozen=True, slots=True)
class Dispatch:
    """An Intelligent Octopus smart-charge dispatch over ``[start, end)`` (UTC)."""

    start: datetime
    end: datetime
    status: DispatchStatus
    source: str = "octopus"

    def __post_init__(self) -> None:
        if require_aware(self.end, "dispatch end") <= require_aware(self.start, "dispatch start"):
            raise ValueError(f"dispatch end {self.end.isoformat()} is not after its start")

    def confirmed(self, now: datetime) -> bool:
        """Completed, or in progress at ``now``: the house gets the cheap rate."""
        if self.status is DispatchStatus.COMPLETED:
            return True
        return self.start <= now < self.end

    def to_json_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "status": self.status.value,
            "source": self.source,
        }


def dispatch_events(
    dispatches: Sequence[Dispatch], now: datetime, price: float | None
) -> tuple[PriceEvent, ...]:
    """Confirmed dispatches (see :meth:`Dispatch.confirmed`) as import overrides at ``price``;
    none when the tariff has no dispatch price (not an Intelligent tariff). [p/kWh]"""
    if price is None:
        return ()
    return tuple(
        PriceEvent(EventKind.DISPATCH, d.start, d.end, price, source=d.source)
        for d in dispatches
        if d.confirmed(now)
    )


def car_charging_until(dispatches: Sequence[Dispatch], now: datetime) -> datetime | None:
    """End of the dispatch (planned or completed) under way at ``now``: the car is charging
    until then, and the battery must not discharge into it. None when none is."""
    ends = [d.end for d in dispatches if d.start <= now < d.end]
    return max(ends) if ends else None


@dataclass(frozen=True)
class EventOverlay:
    """A price source with events laid over it (later events win where they overlap; a
    saving session's uplift adds to whatever price is in force)."""

    base: PriceSource
    events: tuple[PriceEvent, ...]

    def values(self, epoch_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        epoch_s = np.asarray(epoch_s, dtype=np.int64)
        out, estimated = self.base.values(epoch_s)
        out = out.copy()
        uplift = np.zeros(epoch_s.shape)
        for event in self.events:
            if not event.applies:
                continue
            mask = (epoch_s >= int(event.start.timestamp())) & (
                epoch_s < int(event.end.timestamp())
            )
            if event.kind is EventKind.SAVING_SESSION:
                uplift[mask] += event.price
            elif event.kind is EventKind.DISPATCH:
                out[mask] = np.minimum(out[mask], event.price)
            else:
                out[mask] = event.price
        return out + uplift, estimated

    @property
    def known_until(self) -> datetime | None:
        return self.base.known_until


@dataclass(frozen=True, slots=True)
class SlotEvent:
    """An event's effect on one slot of a plan."""

    slot: int
    event: PriceEvent
    import_before: float
    import_after: float


@dataclass(frozen=True)
class EventPrices:
    """A tariff's prices with events laid over its import price.

    Attributes
    ----------
    tariff : Tariff
        The tariff (unchanged: it is what the Powerwall is told).
    events : tuple[PriceEvent, ...]
        Saving sessions, power-ups and confirmed dispatches.
    notes : tuple[str, ...]
        Where the events came from (API, cache and its age, file), problems met.
    dispatches : tuple[Dispatch, ...]
        Every dispatch known, planned ones included (for the car's hold and reports).
    """

    tariff: Tariff
    events: tuple[PriceEvent, ...] = ()
    notes: tuple[str, ...] = ()
    dispatches: tuple[Dispatch, ...] = ()
    _priced: Tariff = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        active = tuple(e for e in self.events if e.applies)
        priced = (
            replace(self.tariff, import_source=EventOverlay(self.tariff.import_source, active))
            if active
            else self.tariff
        )
        object.__setattr__(self, "_priced", priced)

    @property
    def name(self) -> str:
        return self.tariff.name

    def prices(self, grid: SlotGrid) -> SlotPrices:
        """Import and export price of each slot, events included. [p/kWh]"""
        prices = self._priced.prices(grid)
        touched = self.affected(grid)
        if not touched:
            return prices
        kinds = sorted({t.event.kind.value.replace("_", " ") for t in touched})
        slots = len({t.slot for t in touched})
        return replace(
            prices, source=f"{prices.source}; events ({', '.join(kinds)}) in {slots} slots"
        )

    def affected(self, grid: SlotGrid) -> list[SlotEvent]:
        """Each (slot, event) pair where an event overlaps a slot, with the import price
        before and after all events. [p/kWh]"""
        starts = np.array([int(s.timestamp()) for s in grid.starts], dtype=np.int64)
        length = grid.minutes * 60
        events = [e for e in self.events if e.applies]
        if not events or not len(starts):
            return []
        before = after = None
        out = []
        for event in events:
            a, b = int(event.start.timestamp()), int(event.end.timestamp())
            hits = np.flatnonzero((starts < b) & (starts + length > a))
            if not hits.size:
                continue
            if before is None:
                before = self.tariff.prices(grid).import_price
                after = self._priced.prices(grid).import_price
            out.extend(SlotEvent(int(t), event, float(before[t]), float(after[t])) for t in hits)
        return sorted(out, key=lambda s: (s.slot, s.event.start))

    def standing_charge_p_per_day(self, day: date) -> float:
        """The tariff's standing charge on local ``day``. [p/day]"""
        return self.tariff.standing_charge_p_per_day(day)


__all__ = [
    "OCTOPOINTS_PER_PENNY",
    "Dispatch",
    "DispatchStatus",
    "EventKind",
    "EventOverlay",
    "EventPrices",
    "PriceEvent",
    "SlotEvent",
    "car_charging_until",
    "dispatch_events",
]
