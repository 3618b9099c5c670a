"""What the planner must respect so its plan is one the control backend can follow. Pure.

Grid charging through a raised reserve runs at the slow reserve rate (~1.8 kW per Powerwall),
except in the uploaded tariff's cheapest period, where time-based control charges at the
battery's full power (:mod:`optimiser.control.translate`, fast grid charging); battery export
needs a backend that can export.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import numpy as np

from optimiser.control.capabilities import Capabilities
from optimiser.domain.device import UploadedTariff


def planner_limits(
    capabilities: Capabilities,
    n_slots: int,
    *,
    fast_slots: np.ndarray | None = None,
    full_charge_kw: float | None = None,
) -> dict[str, np.ndarray]:
    """Per-slot limits for the planner.

    Returns ``max_grid_charge_kw`` [kW] (grid → battery through a raised reserve, or the
    battery's full rate ``full_charge_kw`` in ``fast_slots``: the uploaded tariff's
    cheapest period, where time-based control charges at full power — see
    :func:`fast_charge_slots`) and ``battery_export_allowed`` (bool).
    """
    limit = np.full(n_slots, capabilities.max_grid_charge_kw, dtype=float)
    if fast_slots is not None and full_charge_kw is not None and capabilities.can_fast_charge:
        mask = np.asarray(fast_slots, dtype=bool)
        limit[mask] = max(full_charge_kw, capabilities.max_grid_charge_kw)
    return {
        "max_grid_charge_kw": limit,
        "battery_export_allowed": np.full(n_slots, capabilities.can_export, dtype=bool),
    }


def fast_charge_slots(
    starts: Sequence[datetime],
    minutes: int,
    uploaded_for: Callable[[datetime], UploadedTariff | None],
) -> np.ndarray:
    """Per slot, whether it lies in the cheapest period of the tariff uploaded for its day.

    ``starts`` are the slots' start times (aware); ``uploaded_for(when)`` gives the tariff
    kept uploaded at ``when`` (or None).
    """
    step = timedelta(minutes=minutes)
    out = np.zeros(len(starts), dtype=bool)
    for i, start in enumerate(starts):
        tariff = uploaded_for(start)
        out[i] = tariff is not None and tariff.cheapest_throughout(start, start + step)
    return out
