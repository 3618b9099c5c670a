"""The planner's exceptions.

::

    PlannerError                  anything the planner raises on purpose
    ├── PlanInputError (ValueError)   the inputs are inconsistent: stop and tell the user
    └── PlanFailed                    the solve ended without a usable plan (infeasible,
                                      unbounded, time limit, solver failure): stop and tell,
                                      or fall back to a safe default

A failed solve is a value (:class:`optimiser.planner.solve.PlanOutcome`); only
``PlanOutcome.require()`` turns it into :class:`PlanFailed`. Solver and PuLP exceptions never
escape the package.
"""

from __future__ import annotations


class PlannerError(Exception):
    """Base of every exception the planner raises on purpose."""


class PlanInputError(PlannerError, ValueError):
    """Planner inputs are inconsistent (wrong length, not finite, out of range)."""


class PlanFailed(PlannerError):
    """The solve produced no usable plan."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(f"planning failed ({status}): {message}")
        self.status = status
