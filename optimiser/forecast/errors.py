"""Errors of the forecast package, each carrying what the caller does next
(:mod:`optimiser.domain.errors`): stop and tell.

::

    ForecastError            a forecast cannot be made (failed)

Too little history is not an error: the forecaster falls back to typical UK values. Malformed
history arrays raise :class:`optimiser.domain.history.InvalidHistory` where they are built.
"""

from __future__ import annotations

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError


class ForecastError(WattplanError):
    """A forecast cannot be made from what was given."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.FAILED
