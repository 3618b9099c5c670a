"""Load and solar over time: what was recorded, and the one type every layer reads it as.

A :class:`History` is what the recorder read, a recording file held, or a trace drove: sample
times (UTC) with household demand and PV output, gaps allowed (NaN). Forecasts learn from it,
only from samples that ended before the decision (:meth:`History.before`). A
:class:`~optimiser.domain.traces.Trace` is a History with stronger promises (regular, complete,
possibly repeating) that drives the emulator and the replay's physics, so it can be forecast
from directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError
from optimiser.domain.slots import require_aware


class InvalidHistory(WattplanError, ValueError):
    """History arrays are inconsistent (lengths differ, times not finite…): a user mistake
    in the data given (a recording or a CSV); stop and tell."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


def frozen_array(values: np.ndarray | list[float]) -> np.ndarray:
    """A read-only float copy of ``values``, flattened."""
    array = np.array(values, dtype=float, copy=True).reshape(-1)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class History:
    """Recorded household demand and PV output, at any resolution, gaps allowed.

    Attributes
    ----------
    epoch_s : numpy.ndarray
        Sample times, seconds since the Unix epoch (UTC); sorted on construction. [s]
    load_kw : numpy.ndarray
        Household demand; NaN where unknown. [kW]
    solar_kw : numpy.ndarray
        PV output; NaN where unknown. [kW]
    interval_s : float
        How long each sample lasts after its time: 0 for instantaneous readings (a gateway
        poll), the step for interval averages (a recording's rows, a trace). Used to keep
        every sample that ends after a decision time out of that decision's forecast. [s]
    """

    epoch_s: np.ndarray
    load_kw: np.ndarray
    solar_kw: np.ndarray
    interval_s: float = 0.0

    def __post_init__(self) -> None:
        epoch_s = frozen_array(self.epoch_s)
        load_kw = frozen_array(self.load_kw)
        solar_kw = frozen_array(self.solar_kw)
        if not (len(epoch_s) == len(load_kw) == len(solar_kw)):
            raise InvalidHistory(
                f"history arrays must have one value per time: got {len(epoch_s)} times, "
                f"{len(load_kw)} load values, {len(solar_kw)} solar values"
            )
        if not np.all(np.isfinite(epoch_s)):
            raise InvalidHistory("history times must be finite seconds since the epoch")
        if not (np.isfinite(self.interval_s) and self.interval_s >= 0):
            raise InvalidHistory(f"interval_s must be >= 0 seconds, got {self.interval_s}")
        if len(epoch_s) > 1 and np.any(np.diff(epoch_s) < 0):
            order = np.argsort(epoch_s, kind="stable")
            epoch_s, load_kw, solar_kw = (
                frozen_array(a[order]) for a in (epoch_s, load_kw, solar_kw)
            )
        object.__setattr__(self, "epoch_s", epoch_s)
        object.__setattr__(self, "load_kw", load_kw)
        object.__setattr__(self, "solar_kw", solar_kw)

    def known_at(self, when: datetime) -> int:
        """How many samples are known at ``when``: those whose interval ends at or before it."""
        cut = require_aware(when, "time").timestamp() - self.interval_s
        if self.interval_s == 0:  # an instantaneous reading at exactly `when` is not yet known
            return int(np.searchsorted(self.epoch_s, cut, side="left"))
        return int(np.searchsorted(self.epoch_s, cut, side="right"))

    def before(self, when: datetime) -> History:
        """The samples known at ``when`` (see :meth:`known_at`)."""
        n = self.known_at(when)
        return History(self.epoch_s[:n], self.load_kw[:n], self.solar_kw[:n], self.interval_s)

    def sample_hours(self) -> np.ndarray:
        """How long each sample stands for: its interval, or the gap to the next reading
        (capped at 15 minutes so a long outage does not inflate one reading). [h]"""
        if self.interval_s > 0:
            return np.full(len(self.epoch_s), self.interval_s / 3600.0)
        if len(self.epoch_s) < 2:
            return np.full(len(self.epoch_s), 0.025)
        gaps = np.diff(self.epoch_s)
        typical = float(np.median(gaps))
        return np.minimum(np.append(gaps, typical), 900.0) / 3600.0

    def __len__(self) -> int:
        return len(self.epoch_s)
