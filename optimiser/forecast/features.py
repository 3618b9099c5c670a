"""What the history forecaster reads of each time, whatever was recorded then, computed once.

Local hour and weekday, the typical UK load, the array's clear-sky output and the typical UK
clearness depend on the time alone, and computing them (time zones, sun
positions) is most of a forecast's cost. Fitted at every plan, a forecaster meets the same
times again and again — the recorded samples of the last weeks, the horizon's points — so
:class:`FeatureCache` keeps them: every value is the one the function gives for that time
(each is elementwise), so a cached forecast equals a fresh one exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.forecast.household import expected_load_kw, local_time
from optimiser.forecast.pv import ArrayModel, clear_sky_kw, typical_clearness


@dataclass(frozen=True, eq=False)
class TimeFeatures:
    """Per time (one value each).

    Attributes
    ----------
    hour : numpy.ndarray
        Local hour of day, fractional. [h]
    weekend : numpy.ndarray
        Saturday or Sunday, local.
    day_of_year : numpy.ndarray
        Local day of the year. [d]
    typical_load_kw : numpy.ndarray
        The typical UK household's demand. [kW]
    clear_sky_kw : numpy.ndarray
        The array's clear-sky AC output ``offset_s`` after the time. [kW]
    clearness : numpy.ndarray
        Typical UK clearness (output / clear-sky output). [-]
    """

    hour: np.ndarray
    weekend: np.ndarray
    day_of_year: np.ndarray
    typical_load_kw: np.ndarray
    clear_sky_kw: np.ndarray
    clearness: np.ndarray

    def window(self, first: int, end: int) -> TimeFeatures:
        """The features of times ``[first, end)``."""
        return TimeFeatures(
            self.hour[first:end],
            self.weekend[first:end],
            self.day_of_year[first:end],
            self.typical_load_kw[first:end],
            self.clear_sky_kw[first:end],
            self.clearness[first:end],
        )


def time_features(
    epoch_s: np.ndarray, *, offset_s: float, array: ArrayModel, tz: ZoneInfo
) -> TimeFeatures:
    """The features of each time (UTC seconds). [s]"""
    when = local_time(epoch_s, tz)
    return TimeFeatures(
        hour=when.hour,
        weekend=when.weekend,
        day_of_year=when.day_of_year,
        typical_load_kw=expected_load_kw(epoch_s, tz=tz),
        clear_sky_kw=clear_sky_kw(epoch_s + offset_s, array),
        clearness=typical_clearness(epoch_s),
    )


class FeatureCache:
    """The features of the times last computed; times asked for again (any run of them, in
    order) are looked up. With ``ahead`` > 0, regularly spaced times are computed that many
    steps further, for the next plans' horizons."""

    def __init__(self, array: ArrayModel, tz: ZoneInfo, *, ahead: int = 0) -> None:
        self._array, self._tz, self._ahead = array, tz, ahead
        self._times = np.zeros(0)
        self._offset_s = 0.0
        self._features: TimeFeatures | None = None

    def of(self, epoch_s: np.ndarray, *, offset_s: float = 0.0) -> TimeFeatures:
        """The features of ``epoch_s`` (sorted UTC seconds), clear sky ``offset_s`` later."""
        n = len(epoch_s)
        if self._features is not None and n and offset_s == self._offset_s:
            first = int(np.searchsorted(self._times, epoch_s[0]))
            if first + n <= len(self._times) and np.array_equal(
                self._times[first : first + n], epoch_s
            ):
                return self._features.window(first, first + n)
        times = np.asarray(epoch_s, dtype=float)
        if self._ahead and n > 1:
            step = times[1] - times[0]
            longer = times[0] + step * np.arange(n + self._ahead)
            if step > 0 and np.array_equal(longer[:n], times):
                times = longer
        features = time_features(times, offset_s=offset_s, array=self._array, tz=self._tz)
        self._times, self._offset_s, self._features = times, offset_s, features
        return features.window(0, n)
