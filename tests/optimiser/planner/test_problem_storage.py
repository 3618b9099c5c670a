"""The problem's column storage and the HiGHS hand-over (the fast paths in problem/solve.py)."""

from __future__ import annotations

import numpy as np
import pulp

from optimiser.planner import build_problem, plan
from optimiser.planner.solve import solve_cbc, solve_highs
from tests.optimiser.planner.helpers import inputs


def _day():
    hour = np.arange(8) * 3.0
    price = np.where(hour < 6, 10.0, 30.0)
    return inputs(price, load_kw=0.8, solar_kw=np.where((hour > 8) & (hour < 17), 2.0, 0.0))


def test_hook_columns_beyond_the_first_allocation_keep_bounds_and_costs() -> None:
    problem = build_problem(_day())
    before = problem.num_cols
    over = [problem.add_variable(f"over_{k}", lower=0.0, cost=float(k)) for k in range(200)]
    free = problem.lp.add_variable("free_hook_var", lowBound=-2.0, upBound=3.0)
    problem.add_constraint("pin", free + over[7] >= 1.5)
    problem.add_penalty(4.0 * free + 2.5)
    lower, upper, cost, integer = problem.column_arrays()
    assert problem.num_cols == before + 201 == lower.size == cost.size
    assert np.array_equal(cost[before : before + 200], np.arange(200.0))
    assert (lower[before:] == [*[0.0] * 200, -2.0]).all()
    assert np.isinf(upper[before : before + 200]).all() and upper[-1] == 3.0
    assert cost[-1] == 4.0 and problem.objective_constant == 2.5 and not integer.any()
    highs, cbc = solve_highs(problem), solve_cbc(problem)
    assert highs.status.is_ok and cbc.status.is_ok
    # The hook's variable (4 p each) is cheaper than over_7 (7 p each): it covers the pin alone.
    x = highs.x
    assert abs(x[-1] - 1.5) < 1e-7 and abs(x[before + 7]) < 1e-7
    bare = solve_highs(build_problem(_day()))
    assert abs(highs.objective - (bare.objective + 4.0 * 1.5 + 2.5)) < 1e-6
    assert abs(highs.objective - cbc.objective) < 1e-6


def test_a_plan_does_not_depend_on_the_solves_before_it() -> None:
    day = _day()
    first = plan(day).require()
    other = inputs(np.linspace(40, -5, 12), load_kw=1.1, solar_kw=0.3)  # a MILP in between
    assert plan(other).status.is_ok
    again = plan(day).require()
    assert again.objective_p == first.objective_p
    for name in ("import_kwh", "export_kwh", "charge_kwh", "discharge_kwh", "soe_kwh"):
        assert np.array_equal(getattr(again, name), getattr(first, name))


def test_a_problem_without_hooks_makes_no_pulp_model() -> None:
    problem = build_problem(_day())
    assert problem._lp is None
    assert solve_highs(problem).status.is_ok and problem._lp is None
    assert isinstance(problem.lp, pulp.LpProblem)
