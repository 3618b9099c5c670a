"""Deterministic synthetic prices for products whose rates change every day (Agile, Tracker).

Offline there are no published Agile or Tracker prices, so these sources make a plausible,
repeatable day shape from the region's day rate: cheap nights, a 16:00–19:00 peak, and a
midday dip that deepens on sunny summer days until import prices can go negative. Every value
they produce is flagged as estimated.

The wholesale-like price behind both Agile series is
``W(t) = 0.36·d·shape(local hour)·noise − dip(t)`` with ``d`` the region's day rate; then
Agile import = ``min(100, 2.2·W + 0.21·d + 0.15·d·[peak])`` and Agile Outgoing =
``0.95·W + 1.1 + 0.2·d·[peak]`` (the structure of Octopus's published formulae, with made-up
constants).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.domain.localtime import local_fields
from optimiser.domain.slots import LONDON

AGILE_CAP_P = 100.0
# Relative wholesale level per local hour 0…23.
_SHAPE = np.array(
    [
        *(0.75, 0.72, 0.68, 0.65, 0.65, 0.68, 0.9, 1.0, 1.05, 1.05, 1.0, 0.9),
        *(0.85, 0.85, 0.88, 1.1, 1.45, 1.5, 1.4, 1.2, 1.1, 1.0, 0.95, 0.85),
    ]
)
_DIP_MAX_P = 12.0


def _day_draws(days: np.ndarray, salt: int) -> dict[int, np.ndarray]:
    """Per local day, 49 uniform draws (sunniness + one per half hour), reproducible."""
    return {
        int(d): np.random.default_rng([int(d) + 100_000, salt]).random(49) for d in np.unique(days)
    }


@dataclass(frozen=True)
class SyntheticAgile:
    """Synthetic Agile import or Agile Outgoing export for a region.

    Attributes
    ----------
    day_rate : float
        The region's flat day rate the shape is scaled from. [p/kWh]
    side : "import" or "export"
    tz : ZoneInfo
    """

    day_rate: float
    side: Literal["import", "export"] = "import"
    tz: ZoneInfo = LONDON

    def wholesale(self, epoch_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(wholesale-like price W [p/kWh], peak flag) per instant."""
        fields = local_fields(np.asarray(epoch_s, dtype=np.int64), self.tz)
        # Agile days run 23:00 → 23:00 local; prices for one are drawn together.
        agile_day = fields.day + (fields.minute >= 23 * 60)
        draws = _day_draws(agile_day, 1)
        half = fields.minute // 30
        sunny = np.array([draws[int(d)][0] for d in agile_day])
        noise = np.array([draws[int(d)][1 + h] for d, h in zip(agile_day, half, strict=True)])
        hour = half * 0.5 + 0.25  # centre of the half hour: one price per half hour
        day_of_year = fields.day % 365.2425  # ~ days since 1 January
        summer = 0.5 * (1 + np.cos(2 * np.pi * (day_of_year - 172) / 365.2425))
        bell = np.clip(np.sin(np.pi * (hour - 9.5) / 7.0), 0, None) * ((hour > 9.5) & (hour < 16.5))
        dip = _DIP_MAX_P * summer * sunny**2 * bell
        level = 0.36 * self.day_rate * _SHAPE[fields.minute // 60] * (0.92 + 0.16 * noise)
        peak = (fields.minute >= 16 * 60) & (fields.minute < 19 * 60)
        return level - dip, peak

    def values(self, epoch_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        epoch_s = np.asarray(epoch_s, dtype=np.int64)
        if epoch_s.size == 0:
            return np.zeros(0), np.zeros(0, dtype=bool)
        w, peak = self.wholesale(epoch_s)
        d = self.day_rate
        if self.side == "import":
            price = np.minimum(AGILE_CAP_P, 2.2 * w + 0.21 * d + 0.15 * d * peak)
        else:
            price = 0.95 * w + 1.1 + 0.2 * d * peak
        return np.round(price, 2), np.ones(epoch_s.shape, dtype=bool)

    @property
    def known_until(self) -> datetime | None:
        return None


@dataclass(frozen=True)
class SyntheticTracker:
    """Synthetic Octopus Tracker: one price per local day around ``mean_rate``. [p/kWh]"""

    mean_rate: float
    tz: ZoneInfo = LONDON

    def values(self, epoch_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        epoch_s = np.asarray(epoch_s, dtype=np.int64)
        if epoch_s.size == 0:
            return np.zeros(0), np.zeros(0, dtype=bool)
        days = local_fields(epoch_s, self.tz).day
        draws = _day_draws(days, 2)
        u = np.array([draws[int(d)][0] for d in days])
        return np.round(self.mean_rate * (0.85 + 0.3 * u), 2), np.ones(epoch_s.shape, dtype=bool)

    @property
    def known_until(self) -> datetime | None:
        return None
