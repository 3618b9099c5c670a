"""How a plan gets its forecast: a forecaster, and when it is fitted again (the refit policy).

Production (``wattplan plan`` and ``wattplan run``) fits the forecaster at every plan, on the
history it holds, for the plan's own horizon: :data:`EVERY_PLAN`, the default of
:func:`optimiser.planning.request.build_request` and of the replay. A replay may instead ask
for a fit every ``Refit.minutes`` — on a grid long enough for the plans until the next fit,
sliced for each — which is faster and forecasts differently (the weather persistence fades with
lead time from the fit, not from the plan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from optimiser.domain.history import History
from optimiser.domain.slots import SlotGrid
from optimiser.forecast import Forecast, Forecaster


@dataclass(frozen=True)
class Refit:
    """When the forecaster is fitted again.

    Attributes
    ----------
    minutes : float or None
        None: at every plan (production). Otherwise every ``minutes``, and whenever a plan
        reaches past the last fit's grid (history read in between waits for the next fit).
        [min]
    """

    minutes: float | None = None

    def __post_init__(self) -> None:
        if self.minutes is not None and not self.minutes > 0:
            raise ValueError(f"refit minutes must be > 0, got {self.minutes}")

    @property
    def every_plan(self) -> bool:
        """Whether every plan fits afresh."""
        return self.minutes is None


EVERY_PLAN = Refit()


class Forecasting:
    """A forecaster fitted as ``refit`` says; counts its fits (:attr:`fits`)."""

    def __init__(self, forecaster: Forecaster, refit: Refit = EVERY_PLAN) -> None:
        self.forecaster = forecaster
        self.refit = refit
        self.fits = 0
        self._fit_start_s = self._fit_until_s = self._fit_end_s = -np.inf
        self._slot_s = 0
        self._fitted: Forecast | None = None

    def due(self, grid: SlotGrid, now: datetime) -> SlotGrid | None:
        """The grid to fit on at ``now`` (bookkeeping updated as if fitted), or None when the
        last fit still serves this plan."""
        if self.refit.minutes is None:
            return grid
        t = now.timestamp()
        fresh = self._slot_s == grid.minutes * 60
        if fresh and t < self._fit_until_s and grid.end.timestamp() <= self._fit_end_s:
            return None
        self._slot_s = grid.minutes * 60
        refit_s = self.refit.minutes * 60.0
        extra = int(np.ceil(refit_s / self._slot_s))
        fit_grid = SlotGrid(grid.start, grid.minutes, grid.count + extra)
        self._fit_start_s = grid.start.timestamp()
        self._fit_until_s = t + refit_s
        self._fit_end_s = fit_grid.end.timestamp()
        return fit_grid

    def forecast(self, grid: SlotGrid, history: History | None, now: datetime) -> Forecast:
        """Load and solar per slot of ``grid`` from ``history`` known at ``now``. [kW]"""
        fit_grid = self.due(grid, now)
        if fit_grid is grid:
            self.fits += 1
            return self.forecaster.forecast(grid, history, now)
        if fit_grid is not None:
            self._fitted = self.forecaster.forecast(fit_grid, history, now)
            self.fits += 1
        first = round((grid.start.timestamp() - self._fit_start_s) / self._slot_s)
        last = first + grid.count
        fitted = self._fitted
        return Forecast(fitted.load_kw[first:last], fitted.solar_kw[first:last], fitted.notes)
