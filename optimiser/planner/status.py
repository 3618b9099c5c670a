"""The planner's closed sets: which solver, and how a solve ended."""

from __future__ import annotations

from enum import StrEnum


class Solver(StrEnum):
    """The LP/MILP solvers the planner can use."""

    HIGHS = "highs"
    CBC = "cbc"


class SolveStatus(StrEnum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    FAILED = "failed"
    TIME_LIMIT = "time_limit"

    @property
    def is_ok(self) -> bool:
        """True when the plan can be used."""
        return self is SolveStatus.OPTIMAL
