"""Realised flows and costs, step by step, and their totals per day and per run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.domain.powerwall import SteppedFlows
from simulations.replay.prices import PeriodPrices


class Ledger:
    """Preallocated per-step arrays that a strategy fills as it steps the model."""

    def __init__(self, epoch_s: np.ndarray, dt_h: float) -> None:
        n = len(epoch_s)
        self.epoch_s = epoch_s
        self.dt_h = dt_h
        self.grid_kw = np.zeros(n)
        self.battery_kw = np.zeros(n)
        self.solar_kw = np.zeros(n)
        self.load_kw = np.zeros(n)
        self.curtailed_kw = np.zeros(n)
        self.soe_kwh = np.zeros(n)
        self.reserve_kwh = np.zeros(n)

    def arrays(self) -> dict[str, np.ndarray]:
        """The per-step arrays by name (the arrays themselves, not copies)."""
        return {
            "grid_kw": self.grid_kw,
            "battery_kw": self.battery_kw,
            "solar_kw": self.solar_kw,
            "load_kw": self.load_kw,
            "curtailed_kw": self.curtailed_kw,
            "soe_kwh": self.soe_kwh,
            "reserve_kwh": self.reserve_kwh,
        }

    def record(self, first: int, stepped: SteppedFlows) -> None:
        """The flows of the steps from ``first`` on, the stored energy at each one's end and
        the reserve in force."""
        span = slice(first, first + len(stepped))
        self.grid_kw[span] = stepped.grid_kw
        self.battery_kw[span] = stepped.battery_kw
        self.solar_kw[span] = stepped.solar_kw
        self.load_kw[span] = stepped.load_kw
        self.curtailed_kw[span] = stepped.curtailed_kw
        self.soe_kwh[span] = stepped.soe_kwh
        self.reserve_kwh[span] = stepped.reserve_kwh


@dataclass(frozen=True, eq=False)
class StrategyRun:
    """One strategy replayed under one tariff.

    Per-step arrays (one per data step; powers are step means, gateway signs):
    ``grid_kw`` (> 0 importing), ``battery_kw`` (> 0 discharging), ``solar_kw`` (used),
    ``load_kw`` (served), ``curtailed_kw`` [kW]; ``soe_kwh`` at each step's end,
    ``reserve_kwh`` in force [kWh]; ``import_price``, ``export_price`` of the step's slot
    [p/kWh].

    Attributes
    ----------
    strategy, tariff : str
        Names.
    initial_soe_kwh, capacity_kwh : float
        [kWh]
    dt_h : float
        Step length. [h]
    standing_gbp : float
        Standing charges over the period's local days. [£]
    notes : tuple of str
        What happened worth telling (failed plans, fallbacks).
    stats : dict
        Counters and timings (decisions, plan failures, seconds).
    """

    strategy: str
    tariff: str
    epoch_s: np.ndarray
    dt_h: float
    grid_kw: np.ndarray
    battery_kw: np.ndarray
    solar_kw: np.ndarray
    load_kw: np.ndarray
    curtailed_kw: np.ndarray
    soe_kwh: np.ndarray
    reserve_kwh: np.ndarray
    import_price: np.ndarray
    export_price: np.ndarray
    initial_soe_kwh: float
    capacity_kwh: float
    standing_gbp: float = 0.0
    notes: tuple[str, ...] = ()
    stats: dict = field(default_factory=dict)

    @classmethod
    def from_ledger(
        cls,
        ledger: Ledger,
        *,
        strategy: str,
        prices: PeriodPrices,
        initial_soe_kwh: float,
        capacity_kwh: float,
        tz: ZoneInfo,
        notes: tuple[str, ...] = (),
        stats: dict | None = None,
    ) -> StrategyRun:
        """Price a filled ledger at each step's slot price and add the standing charges."""
        slots = prices.slot_of(ledger.epoch_s)
        days = local_days(ledger.epoch_s, tz)
        standing = standing_charge_gbp(days, ledger.dt_h, prices, tz)
        return cls(
            strategy=strategy,
            tariff=prices.name,
            epoch_s=ledger.epoch_s,
            dt_h=ledger.dt_h,
            grid_kw=ledger.grid_kw,
            battery_kw=ledger.battery_kw,
            solar_kw=ledger.solar_kw,
            load_kw=ledger.load_kw,
            curtailed_kw=ledger.curtailed_kw,
            soe_kwh=ledger.soe_kwh,
            reserve_kwh=ledger.reserve_kwh,
            import_price=prices.import_price[slots],
            export_price=prices.export_price[slots],
            initial_soe_kwh=initial_soe_kwh,
            capacity_kwh=capacity_kwh,
            standing_gbp=standing,
            notes=notes,
            stats=dict(stats or {}),
        )

    # -- per step ----------------------------------------------------------------------

    @property
    def import_kwh(self) -> np.ndarray:
        """Energy bought in each step. [kWh]"""
        return np.maximum(self.grid_kw, 0.0) * self.dt_h

    @property
    def export_kwh(self) -> np.ndarray:
        """Energy sold in each step. [kWh]"""
        return np.maximum(-self.grid_kw, 0.0) * self.dt_h

    @property
    def cost_p(self) -> np.ndarray:
        """Money out minus money in for energy, each step (no standing charge). [p]"""
        return self.import_kwh * self.import_price - self.export_kwh * self.export_price

    @property
    def discharged_kwh(self) -> np.ndarray:
        """AC energy out of the battery each step. [kWh]"""
        return np.maximum(self.battery_kw, 0.0) * self.dt_h

    @property
    def charged_kwh(self) -> np.ndarray:
        """AC energy into the battery each step. [kWh]"""
        return np.maximum(-self.battery_kw, 0.0) * self.dt_h

    # -- totals ------------------------------------------------------------------------

    @property
    def energy_gbp(self) -> float:
        """Energy bill over the period (imports less exports). [£]"""
        return float(self.cost_p.sum()) / 100.0

    @property
    def cost_gbp(self) -> float:
        """The bill: energy plus standing charges. [£]"""
        return self.energy_gbp + self.standing_gbp

    @property
    def throughput_kwh(self) -> float:
        """AC energy discharged over the period. [kWh]"""
        return float(self.discharged_kwh.sum())

    @property
    def cycles(self) -> float:
        """Equivalent full cycles: throughput / capacity. [-]"""
        return self.throughput_kwh / self.capacity_kwh

    @property
    def stored_change_kwh(self) -> float:
        """Stored energy at the end less at the start. [kWh]"""
        return float(self.soe_kwh[-1]) - self.initial_soe_kwh

    def per_day(self, tz: ZoneInfo) -> dict[date, dict[str, float]]:
        """Totals per local day: cost [£], import/export/throughput [kWh], end SoE [kWh]."""
        days = np.array([d.toordinal() for d in local_days(self.epoch_s, tz)])
        keys, first, inverse = np.unique(days, return_index=True, return_inverse=True)
        last = np.r_[first[1:], len(days)] - 1
        sums = {
            "cost_gbp": np.bincount(inverse, self.cost_p) / 100.0,
            "import_kwh": np.bincount(inverse, self.import_kwh),
            "export_kwh": np.bincount(inverse, self.export_kwh),
            "throughput_kwh": np.bincount(inverse, self.discharged_kwh),
        }
        out = {}
        for i, key in enumerate(keys):
            row = {name: float(values[i]) for name, values in sums.items()}
            row["soe_end_kwh"] = float(self.soe_kwh[last[i]])
            out[date.fromordinal(int(key))] = row
        return out


def standing_charge_gbp(days: list[date], dt_h: float, prices: PeriodPrices, tz: ZoneInfo) -> float:
    """Standing charges for the local days the data covers, pro rata for partial days. [£]

    ``days`` has the local date of each step of ``dt_h`` hours; a day's share is the hours the
    data covers over that day's length (23, 24 or 25 h).
    """
    counts: dict[date, int] = {}
    for day in days:
        counts[day] = counts.get(day, 0) + 1
    total_p = 0.0
    for day, steps in counts.items():
        start = datetime.combine(day, time(0), tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tz)
        length_h = (end.timestamp() - start.timestamp()) / 3600.0
        total_p += prices.standing_p_per_day(day) * min(steps * dt_h / length_h, 1.0)
    return total_p / 100.0


def local_days(epoch_s: np.ndarray, tz: ZoneInfo) -> list[date]:
    """Local date of each time (vectorised through the UTC offset of each UTC hour)."""
    hours = np.floor(np.asarray(epoch_s) / 3600.0).astype(np.int64)
    unique, inverse = np.unique(hours, return_inverse=True)
    offsets = np.array(
        [
            datetime.fromtimestamp(int(h) * 3600, UTC).astimezone(tz).utcoffset().total_seconds()
            for h in unique
        ]
    )
    local_s = np.asarray(epoch_s) + offsets[inverse]
    ordinals = (local_s // 86400).astype(np.int64) + date(1970, 1, 1).toordinal()
    cache: dict[int, date] = {}
    return [cache.setdefault(int(o), date.fromordinal(int(o))) for o in ordinals]
