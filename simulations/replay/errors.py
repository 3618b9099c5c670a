"""The replay's exceptions (see the package docstring for the tree); both are user mistakes
that stop and tell (:mod:`optimiser.domain.errors`)."""

from __future__ import annotations

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError


class ReplayError(WattplanError):
    """The replay cannot run as asked; stop and tell the user."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class ReplayDataError(ReplayError):
    """The data, or the period asked of it, cannot be replayed (expected / got / where)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE
