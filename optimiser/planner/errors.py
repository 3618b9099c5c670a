"""The planner's exceptions, each carrying what the caller does next
(:mod:`optimiser.domain.errors`); all of them stop and tell.

::

    PlannerError                      anything the planner raises on purpose (failed)
    ├── PlanInputError (ValueError)   the inputs are inconsistent (user mistake)
    └── PlanFailed                    the solve ended without a usable plan (infeasible,
                                      unbounded, time limit, solver failure) (failed)

A failed solve is a value (:class:`optimiser.planner.solve.PlanOutcome`); only
``PlanOutcome.require()`` turns it into :class:`PlanFailed`. ``wattplan run`` reads the value,
not the exception: it falls back to safe settings and re-plans at the next slot. Solver and
PuLP exceptions never escape the package.
"""

from __future__ import annotations

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError


class PlannerError(WattplanError):
    """Base of every exception the planner raises on purpose."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.FAILED


class PlanInputError(PlannerError, ValueError):
    """Planner inputs are inconsistent (wrong length, not finite, out of range)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class PlanFailed(PlannerError):
    """The solve produced no usable plan."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.FAILED

    def __init__(self, status: str, message: str) -> None:
        super().__init__(f"planning failed ({status}): {message}")
        self.status = status
        self.message = message

    def __reduce__(self) -> tuple[type[PlanFailed], tuple[str, str]]:
        # Rebuilt from its own arguments, so it survives a worker process of the replay.
        return (PlanFailed, (self.status, self.message))
