"""A tariff's prices over the replayed period, on the planner's UTC slot grid.

Prices come from :meth:`tariffs.Tariff.prices`: historical rates where the tariff knows them
(the Octopus cache, a fetched series), otherwise the bundled snapshot's rates applied to every
day. Which one is reported (:attr:`PeriodPrices.basis`); a replay never passes off today's
prices as last year's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from optimiser.config import Config
from optimiser.domain.slots import SlotGrid
from simulations.replay.errors import ReplayDataError
from tariffs import (
    OctopusAccess,
    PricesUnknown,
    SlotPrices,
    Tariff,
    get_tariff,
    load_custom_tariff,
)
from tariffs.events import Dispatch, DispatchStatus, EventPrices, PriceEvent, dispatch_events


@dataclass(frozen=True, eq=False)
class PeriodPrices:
    """Import and export prices for every slot of the period plus a look-ahead margin.

    Attributes
    ----------
    tariff : Tariff
        The tariff priced.
    grid : SlotGrid
        Slots from the period's start to its end plus the planning margin (UTC).
    import_price, export_price : numpy.ndarray
        Per slot. [p/kWh inc VAT]
    estimated_slots : numpy.ndarray
        Per slot, whether its price is an estimate (snapshot rates applied to a day they were
        not published for).
    source : str
        Where the prices come from.
    """

    tariff: Tariff
    grid: SlotGrid
    import_price: np.ndarray
    export_price: np.ndarray
    estimated_slots: np.ndarray
    source: str

    @property
    def estimated(self) -> bool:
        """True when any price is an estimate."""
        return bool(self.estimated_slots.any())

    def prices(self, grid: SlotGrid) -> SlotPrices:
        """The prices of ``grid``'s slots (a window of the period's; what
        :meth:`tariffs.Tariff.prices` would give, without computing them again)."""
        slot_s = self.grid.minutes * 60
        first = round((grid.start.timestamp() - self.grid.start.timestamp()) / slot_s)
        last = first + grid.count
        if grid.minutes != self.grid.minutes or first < 0 or last > self.grid.count:
            raise ReplayDataError(
                f"{self.name}: expected a plan within the priced period "
                f"({self.grid.start.isoformat()} → {self.grid.end.isoformat()}), got "
                f"{grid.start.isoformat()} → {grid.end.isoformat()}; plan a shorter horizon"
            )
        window = slice(first, last)
        return SlotPrices(
            grid=grid,
            import_price=self.import_price[window],
            export_price=self.export_price[window],
            estimated_slots=self.estimated_slots[window],
            source=self.source,
        )

    @property
    def name(self) -> str:
        """The tariff's name."""
        return self.tariff.name

    @property
    def basis(self) -> str:
        """In words: historical rates, or today's rates applied to every day."""
        if self.estimated:
            return f"current rates applied to every day (not historical): {self.source}"
        return f"historical rates: {self.source}"

    def slot_of(self, epoch_s: np.ndarray | float) -> np.ndarray:
        """Index of the slot containing each time. [-]"""
        start = self.grid.start.timestamp()
        return ((np.asarray(epoch_s, dtype=float) - start) // (self.grid.minutes * 60)).astype(int)

    def standing_p_per_day(self, day: date) -> float:
        """Standing charge on local ``day`` (0 when the tariff does not know it). [p/day]"""
        try:
            return float(self.tariff.standing_charge_p_per_day(day))
        except PricesUnknown:
            return 0.0

    def to_json_dict(self) -> dict[str, Any]:
        """Which prices were used, for ``--json``."""
        return {
            "tariff": self.name,
            "estimated": self.estimated,
            "source": self.source,
            "basis": self.basis,
            "mean_import_p": round(float(self.import_price.mean()), 3),
            "mean_export_p": round(float(self.export_price.mean()), 3),
        }


def period_prices(
    tariff: Tariff,
    start: datetime,
    end: datetime,
    minutes: int,
    margin_hours: float,
    events: Sequence[PriceEvent] = (),
    dispatches: Sequence[Dispatch] = (),
) -> PeriodPrices:
    """Prices from ``start`` to ``end`` plus ``margin_hours`` of look-ahead for the planner,
    with ``events`` (saving sessions, power-ups) and completed ``dispatches`` laid over the
    import price as :class:`tariffs.events.EventPrices` does live; ``tariff`` stays as it is
    (it is what the replayed Powerwall is told)."""
    grid = SlotGrid.covering(start, end + timedelta(hours=margin_hours), minutes)
    done = tuple(d for d in dispatches if d.status is DispatchStatus.COMPLETED)
    overrides = tuple(events) + dispatch_events(done, start, tariff.dispatch_price)
    try:
        prices = EventPrices(tariff, overrides).prices(grid)
    except PricesUnknown as exc:
        raise ReplayDataError(
            f"{tariff.name}: expected prices for {grid.start.isoformat()} → "
            f"{grid.end.isoformat()}, got: {exc}"
        ) from exc
    return PeriodPrices(
        tariff=tariff,
        grid=grid,
        import_price=np.asarray(prices.import_price, dtype=float),
        export_price=np.asarray(prices.export_price, dtype=float),
        estimated_slots=np.asarray(prices.estimated_slots, dtype=bool),
        source=prices.source,
    )


def is_tariff_file(key: str) -> bool:
    """Whether a ``--tariff`` value names a custom tariff file rather than a product."""
    return key.endswith((".yaml", ".yml"))


def tariff_for(key: str, region: str, config: Config, start: datetime, end: datetime) -> Tariff:
    """The tariff a replay's ``--tariff`` value names, for the period ``[start, end)``.

    ``key`` is a product (``flux``, ``agile``…, priced for ``region`` as the config's tariff
    section says: the bundled snapshot offline, Octopus with its cache live) or a custom
    tariff file (``.yaml``/``.yml``; ``region`` does not apply).
    """
    if is_tariff_file(key):
        return load_custom_tariff(Path(key).expanduser())
    access = OctopusAccess(
        config.tariff.octopus_base_url, config.state_path(), live=config.tariff.live
    )
    return get_tariff(
        key, region, access=access, period_from=start, period_to=end + timedelta(days=2)
    )
