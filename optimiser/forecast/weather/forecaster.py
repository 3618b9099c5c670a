"""Weather-aware forecasts: load from history, solar from the provider where it reaches.

:func:`forecaster_for` is what a request builder calls: with ``forecast.weather.provider:
none`` it returns the plain :class:`HistoryForecaster`; otherwise a :class:`WeatherForecaster`
whose solar comes from the provider for the slots its forecast spans and from history for the
rest. When the provider cannot help (down, slow, over quota, a bad answer) the forecast is the
history one and :attr:`Forecast.notes` says so, for the plan to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from optimiser.config import Config
from optimiser.domain.history import History
from optimiser.domain.slots import SlotGrid
from optimiser.forecast.base import Forecast, Forecaster
from optimiser.forecast.history_forecaster import HistoryForecaster
from optimiser.forecast.weather.provider import WeatherUnavailable
from optimiser.forecast.weather.pv_power import slot_solar_kw
from optimiser.forecast.weather.source import SourcedForecast, WeatherSource


class SolarSource(Protocol):
    """Anything that gives the provider forecast known at ``now`` (see :class:`WeatherSource`)."""

    def fetch(self, now: datetime) -> SourcedForecast:
        """The forecast; raises :class:`WeatherUnavailable` when there is none to use."""
        ...


@dataclass(frozen=True)
class WeatherForecaster:
    """History load and provider solar (history solar where the provider does not reach)."""

    history: HistoryForecaster
    source: SolarSource

    def forecast(self, grid: SlotGrid, history: History | None, now: datetime) -> Forecast:
        """Expected load and solar per slot of ``grid``. [kW]"""
        base = self.history.forecast(grid, history, now)
        try:
            sourced = self.source.fetch(now)
        except WeatherUnavailable as exc:
            return Forecast(base.load_kw, base.solar_kw, notes=(f"solar from history: {exc}",))
        slots = slot_solar_kw(sourced.forecast, grid, self.history.array)
        solar = np.where(slots.covered, slots.solar_kw, base.solar_kw)
        provider = sourced.forecast.provider
        notes = [f"solar from {provider}: {sourced.note}"] if sourced.note else []
        if not slots.covered.any():
            notes.append(f"solar from history: {provider}'s forecast does not cover the plan")
        elif not slots.covered.all():
            hours = slots.covered.sum() * grid.minutes / 60
            notes.append(f"solar from {provider} for {hours:g} h of the plan, history after")
        return Forecast(base.load_kw, solar, notes=tuple(notes))


def forecaster_for(config: Config, state_dir: Path) -> Forecaster:
    """The forecaster the config asks for; provider answers are remembered under
    ``state_dir`` (the config's :meth:`~optimiser.config.Config.state_path`).

    The embedded emulator (no ``gateway`` section) is a demo site, not a roof under a sky:
    it gets the history forecaster, so a first ``wattplan plan`` stays offline."""
    history = HistoryForecaster(config.site, config.forecast)
    if config.forecast.weather.provider == "none" or config.uses_emulator:
        return history
    return WeatherForecaster(
        history, WeatherSource(config.forecast.weather, config.site, state_dir)
    )
