"""Perfect foresight: the true average load and solar per slot, read from a trace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from optimiser.domain.history import History
from optimiser.domain.slots import SlotGrid
from optimiser.domain.traces import Trace
from optimiser.forecast.base import Forecast


@dataclass(frozen=True, eq=False)
class PerfectForecaster:
    """Returns what really happened: each slot's exact average of the trace.

    The trace is piecewise constant; outside its span the first or last sample holds (as
    :meth:`Trace.at` does), and a wrapping trace repeats. History and ``now`` are ignored:
    this is the replay's upper bound, not a forecast anyone could make. The running energy
    integrals are computed once, so a forecast costs a look-up per slot edge.
    """

    trace: Trace

    def __post_init__(self) -> None:
        times = self.trace.epoch_s.astype(float)
        if self.trace.wrap:
            steps = np.diff(np.append(times, times[0] + self.trace.period_s))
        else:
            steps = np.append(np.diff(times), 0.0)  # the last sample's energy is never summed
        for name, values in (("_load", self.trace.load_kw), ("_solar", self.trace.solar_kw)):
            power = np.asarray(values, dtype=float)
            cumulative = np.concatenate([[0.0], np.cumsum(power * steps)])
            object.__setattr__(self, name, (power, cumulative))
        object.__setattr__(self, "_times", times)

    def forecast(self, grid: SlotGrid, history: History | None, now: datetime) -> Forecast:
        """True average load and solar per slot of ``grid``. [kW]"""
        del history, now
        edges = grid.start.timestamp() + np.arange(grid.count + 1) * grid.minutes * 60.0
        seconds = grid.minutes * 60.0
        return Forecast(
            load_kw=np.diff(self._energy(edges, *self._load)) / seconds,
            solar_kw=np.diff(self._energy(edges, *self._solar)) / seconds,
        )

    def _energy(self, at_s: np.ndarray, power: np.ndarray, cumulative: np.ndarray) -> np.ndarray:
        """Integral of ``power`` from the trace's first sample to each time. [kW·s]"""
        times = self._times
        if self.trace.wrap:
            period = self.trace.period_s
            laps, offset = np.divmod(at_s - times[0], period)
            return laps * cumulative[-1] + _within(times, power, cumulative, times[0] + offset)
        inside = _within(times, power, cumulative, np.clip(at_s, times[0], None))
        before = np.minimum(at_s - times[0], 0.0) * power[0]
        return inside + before


def _within(
    times: np.ndarray, power: np.ndarray, cumulative: np.ndarray, at_s: np.ndarray
) -> np.ndarray:
    """Integral from the first sample to ``at_s`` (≥ first sample), last sample extending on."""
    index = np.clip(np.searchsorted(times, at_s, side="right") - 1, 0, len(times) - 1)
    return cumulative[index] + power[index] * (at_s - times[index])
