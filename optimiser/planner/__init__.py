"""The LP planner: typed inputs → ``build_problem`` → hooks → ``solve`` → frozen ``Plan``.

Public names: :class:`Battery`, :class:`SoeTarget`, :class:`PlanInputs`, :class:`Problem`,
:func:`build_problem`, :func:`plan`, :class:`PlanOutcome`, :class:`Solver`,
:class:`SolveStatus`, :class:`Plan` (its per-slot actions are
:class:`optimiser.domain.actions.Action`), and the errors :class:`PlannerError`,
:class:`PlanInputError`, :class:`PlanFailed`. A tiny tie-break in the objective makes the
cheapest plan unique (:func:`optimiser.planner.problem.define_tie_break`);
:mod:`optimiser.planner.snapshot` writes a request as JSON and reads it back.
"""

from optimiser.planner.errors import PlanFailed, PlanInputError, PlannerError
from optimiser.planner.inputs import Battery, PlanInputs, SoeTarget
from optimiser.planner.problem import Problem, build_problem
from optimiser.planner.result import Plan
from optimiser.planner.solve import PlanOutcome, plan
from optimiser.planner.status import Solver, SolveStatus

__all__ = [
    "Battery",
    "Plan",
    "PlanFailed",
    "PlanInputError",
    "PlanInputs",
    "PlanOutcome",
    "PlannerError",
    "Problem",
    "SoeTarget",
    "SolveStatus",
    "Solver",
    "build_problem",
    "plan",
]
