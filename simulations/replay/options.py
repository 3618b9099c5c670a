"""What a replay is asked to do: the strategies, and how the closed loop forecasts and controls."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from optimiser.forecast.weather import ForecastArchive
from optimiser.planning import EVERY_PLAN, PRODUCTION_HORIZON, Horizon, Refit
from rules.context import Context


class Strategy(StrEnum):
    """Every strategy the replay compares (see :mod:`simulations.replay.strategies`)."""

    WATTPLAN = "wattplan"
    SELF_POWERED = "self-powered"
    TIME_BASED = "time-based"
    PERFECT_FORESIGHT = "perfect-foresight"
    NO_BATTERY = "no-battery"


#: The references savings and the capture ratio are measured against; always replayed.
REFERENCES = (Strategy.NO_BATTERY, Strategy.PERFECT_FORESIGHT)


class ForecastMode(StrEnum):
    """Where the closed loop's forecasts come from."""

    HISTORY = "history"  # production's forecaster on the history the service would hold
    PERFECT = "perfect"  # the truth: each slot's real average load and solar


class ControlMode(StrEnum):
    """How the closed loop acts on its plans."""

    SETTINGS = "settings"  # production's control: device settings, budget, settle margin
    IDEAL = "ideal"  # direct dispatch of the plan's net battery energy for the slot


@dataclass(frozen=True)
class ClosedLoopOptions:
    """How the closed loop runs; the defaults are what ``wattplan run`` does.

    Attributes
    ----------
    forecasts : ForecastMode
        From history (production's forecaster) or perfect.
    control : ControlMode
        Production's control translation, or ideal direct dispatch.
    horizon : Horizon
        Planning horizon from each decision (default: production's, to local midnight at the
        end of tomorrow).
    refit : Refit
        When the forecaster is fitted again (default: at every plan, as production does).
    decision_minutes : int or None
        Minutes between decisions (a multiple of the slot length); None: every slot. [min]
    context : Context
        Context facts for the rules (as given; facts expire as they would in production).
    forecast_archive : ForecastArchive or None
        Solar forecasts as a provider issued them: with history forecasts, each decision's
        solar comes from the latest issued at or before it (history where it does not reach),
        as ``wattplan run`` with that provider would have planned. None: history only.
    """

    forecasts: ForecastMode = ForecastMode.HISTORY
    control: ControlMode = ControlMode.SETTINGS
    horizon: Horizon = PRODUCTION_HORIZON
    refit: Refit = EVERY_PLAN
    decision_minutes: int | None = None
    context: Context = field(default_factory=Context)
    forecast_archive: ForecastArchive | None = None

    @property
    def price_margin_hours(self) -> float:
        """Prices needed beyond the period's end: the longest horizon and an hour. [h]"""
        return (self.horizon.longest_hours or 0.0) + 1.0
