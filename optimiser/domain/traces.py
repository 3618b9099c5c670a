"""Load and solar traces: what the house demands and the panels could produce, over time.

A :class:`Trace` drives the emulator and the replay: sample times (UTC) and the average load
and available solar power over the interval that starts at each sample. It is the one history
type (:class:`~optimiser.domain.history.History`) with stronger promises — regular enough to
step through, complete (no gaps), possibly repeating — so a forecaster can learn from a trace
as it would from a recording. It is hot data (a year at 5 minutes is 105,120 samples), so it
holds NumPy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from optimiser.domain.history import History
from optimiser.domain.slots import require_aware


@dataclass(frozen=True, eq=False)
class Trace(History):
    """Piecewise-constant load and solar power.

    Attributes
    ----------
    epoch_s : numpy.ndarray
        Sample start times, seconds since the Unix epoch (UTC), strictly increasing. [s]
    load_kw : numpy.ndarray
        Household demand from each sample to the next. [kW]
    solar_kw : numpy.ndarray
        PV power available from each sample to the next. [kW]
    interval_s : float
        How long each sample lasts; default (0): the median step between samples. [s]
    wrap : bool
        Repeat the trace forever (its length being the period), e.g. one built-in day.
    """

    wrap: bool = False

    def __post_init__(self) -> None:
        n = len(self.epoch_s)
        if n == 0:
            raise ValueError("a trace needs at least one sample")
        if len(self.load_kw) != n or len(self.solar_kw) != n:
            raise ValueError(
                f"trace arrays differ in length: {n} times, {len(self.load_kw)} load, "
                f"{len(self.solar_kw)} solar"
            )
        if n > 1 and not np.all(np.diff(self.epoch_s) > 0):
            raise ValueError("trace times must be strictly increasing")
        if self.wrap and n < 2:
            raise ValueError("a wrapping trace needs at least two samples")
        if self.interval_s == 0 and n > 1:
            object.__setattr__(self, "interval_s", float(np.median(np.diff(self.epoch_s))))
        super().__post_init__()

    @property
    def start(self) -> datetime:
        """Time of the first sample, UTC."""
        return datetime.fromtimestamp(float(self.epoch_s[0]), UTC)

    @property
    def period_s(self) -> float:
        """Length of one repetition for a wrapping trace: last − first + one step. [s]"""
        return float(self.epoch_s[-1] - self.epoch_s[0] + (self.epoch_s[1] - self.epoch_s[0]))

    def index_at(self, when: datetime) -> int:
        """Index of the sample in force at ``when`` (clamped to the ends unless wrapping)."""
        t = require_aware(when, "time").timestamp()
        if self.wrap:
            t = float(self.epoch_s[0]) + (t - float(self.epoch_s[0])) % self.period_s
        index = int(np.searchsorted(self.epoch_s, t, side="right")) - 1
        return min(max(index, 0), len(self.epoch_s) - 1)

    def at(self, when: datetime) -> tuple[float, float]:
        """(load_kw, solar_kw) in force at ``when``. [kW]"""
        i = self.index_at(when)
        return float(self.load_kw[i]), float(self.solar_kw[i])
