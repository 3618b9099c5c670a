"""What every forecaster returns, and the interface they share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np

from optimiser.domain.history import History
from optimiser.domain.slots import SlotGrid

SUB_STEP_S = 300  # forecasts integrate over 5-minute points within each slot


@dataclass(frozen=True, eq=False)
class Forecast:
    """Expected average power per slot.

    Attributes
    ----------
    load_kw : numpy.ndarray
        Household demand per slot. [kW]
    solar_kw : numpy.ndarray
        PV output per slot. [kW]
    notes : tuple of str
        What the plan should tell the user about where the forecast came from (a weather
        provider that was down and the history used instead, a stale cached forecast…).
    """

    load_kw: np.ndarray
    solar_kw: np.ndarray
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        load = np.array(self.load_kw, dtype=float, copy=True).reshape(-1)
        solar = np.array(self.solar_kw, dtype=float, copy=True).reshape(-1)
        if len(load) != len(solar):
            raise ValueError(f"forecast has {len(load)} load values but {len(solar)} solar values")
        if not (np.all(np.isfinite(load)) and np.all(np.isfinite(solar))):
            raise ValueError("forecast values must be finite")
        if np.any(load < 0) or np.any(solar < 0):
            raise ValueError("forecast load and solar must be >= 0 kW")
        load.setflags(write=False)
        solar.setflags(write=False)
        object.__setattr__(self, "load_kw", load)
        object.__setattr__(self, "solar_kw", solar)

    def __len__(self) -> int:
        return len(self.load_kw)


@runtime_checkable
class Forecaster(Protocol):
    """Anything that forecasts load and solar on a slot grid from history before ``now``."""

    def forecast(self, grid: SlotGrid, history: History | None, now: datetime) -> Forecast:
        """Expected load and solar for each slot of ``grid``, using only data before ``now``."""
        ...


def sub_sample_times(grid: SlotGrid) -> np.ndarray:
    """Mid-points of the 5-minute pieces of each slot, shape (slots, pieces). [s]"""
    step_s = grid.minutes * 60
    pieces = max(step_s // SUB_STEP_S, 1)
    piece_s = step_s / pieces
    start = grid.start.timestamp() + np.arange(grid.count)[:, None] * step_s
    return start + (np.arange(pieces)[None, :] + 0.5) * piece_s
