"""Errors of the forecast package.

::

    ForecastError            a forecast cannot be made; stop and tell the user

Too little history is not an error: the forecaster falls back to typical UK values. Malformed
history arrays raise :class:`optimiser.domain.history.InvalidHistory` where they are built.
"""

from __future__ import annotations


class ForecastError(Exception):
    """A forecast cannot be made from what was given."""
