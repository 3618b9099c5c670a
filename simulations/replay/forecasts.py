"""The closed loop's forecast sources: the history ``wattplan run`` would hold (with solar from
an archive of issued provider forecasts, when given), or the truth.

The service reads the recorded history when it starts, at every nightly re-plan
(``control.nightly_plan_time``, local) and for a plan whenever its last read is
``forecast.history_refresh_minutes`` old, and fits its forecaster on it at every plan; a
decision forecasts from the history read last (:class:`ServiceHistory`). Perfect forecasts
read each slot's true average from the trace.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from optimiser.config import Config
from optimiser.domain.history import History
from optimiser.forecast import Forecaster, HistoryForecaster, PerfectForecaster
from optimiser.forecast.weather import WeatherForecaster
from optimiser.planning import Forecasting, Refit
from simulations.replay.data import ReplayData
from simulations.replay.options import ClosedLoopOptions, ForecastMode


class ServiceHistory:
    """The history the service holds at each decision: read at ``start``, at every nightly
    re-plan since, and every ``forecast.history_refresh_minutes`` after the last of those.

    Parameters
    ----------
    history : History
        Everything recorded (each decision sees only what was known when it was read).
    start : datetime
        When the service started (the replay's first decision).
    """

    def __init__(self, history: History, start: datetime, config: Config) -> None:
        self._history = history
        self._start = start
        self._tz = ZoneInfo(config.site.timezone)
        hh, mm = (int(x) for x in config.control.nightly_plan_time.split(":"))
        self._nightly = time(hh, mm)
        self._refresh_s = config.forecast.history_refresh_minutes * 60.0
        self._read: tuple[datetime, History] | None = None

    def read_at(self, now: datetime) -> datetime:
        """When the history the service holds at ``now`` was read."""
        day = now.astimezone(self._tz).date()
        nightly = datetime.combine(day, self._nightly, self._tz)
        if nightly > now:
            nightly = datetime.combine(day - timedelta(days=1), self._nightly, self._tz)
        anchor = max(nightly, self._start)
        since_s = (now - anchor).total_seconds()
        return anchor + timedelta(seconds=since_s // self._refresh_s * self._refresh_s)

    def at(self, now: datetime) -> History:
        """The history the service holds at ``now`` (the last read, kept until the next)."""
        read = self.read_at(now)
        if self._read is None or self._read[0] != read:
            self._read = (read, self._history.before(read))
        return self._read[1]


def forecaster_for(options: ClosedLoopOptions, data: ReplayData, config: Config) -> Forecaster:
    """Production's forecaster for the config (its solar from the options' archive of issued
    forecasts, when given), or the truth of ``data``."""
    if options.forecasts is ForecastMode.PERFECT:
        return PerfectForecaster(data.trace)
    history = HistoryForecaster(config.site, config.forecast)
    if options.forecast_archive is None:
        return history
    return WeatherForecaster(history, options.forecast_archive)


def new_forecasting(forecaster: Forecaster, mode: ForecastMode, refit: Refit) -> Forecasting:
    """A fresh forecast cache: the truth is read afresh for every plan whatever ``refit``."""
    return Forecasting(forecaster, Refit() if mode is ForecastMode.PERFECT else refit)
