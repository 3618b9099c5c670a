"""Errors of the forecast package, each carrying what the caller does next
(:mod:`optimiser.domain.errors`); both stop and tell.

::

    ForecastError            a forecast cannot be made (failed)
     └── InvalidHistory      the recorded history is malformed: lengths, times, units
                             (user mistake)

Too little history is not an error: the forecaster falls back to typical UK values.
"""

from __future__ import annotations

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError


class ForecastError(WattplanError):
    """A forecast cannot be made from what was given."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.FAILED


class InvalidHistory(ForecastError, ValueError):
    """Recorded history arrays are inconsistent (lengths differ, times not finite…)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE
