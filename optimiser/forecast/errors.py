"""Errors of the forecast package.

::

    ForecastError            a forecast cannot be made; stop and tell the user
     └── InvalidHistory      the recorded history is malformed (lengths, times, units)

Too little history is not an error: the forecaster falls back to typical UK values.
"""

from __future__ import annotations


class ForecastError(Exception):
    """A forecast cannot be made from what was given."""


class InvalidHistory(ForecastError, ValueError):
    """Recorded history arrays are inconsistent (lengths differ, times not finite…)."""
