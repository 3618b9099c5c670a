"""The tie-break makes the plan unique: captured requests solve to one schedule everywhere.

The requests in ``tests/data/plan_requests`` are real decisions of the demo household's replay
(``tests/data/plan_requests/capture.py`` regenerates them): Flux, Agile and Go, summer and
winter, an Agile afternoon with negative import prices (a MILP), and a day with rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from optimiser.planner import Plan, Solver, SolveStatus, build_problem, plan
from optimiser.planner.problem import Problem
from optimiser.planner.snapshot import dumps, load, snapshot
from optimiser.planner.solve import solve_highs

REQUESTS = sorted((Path(__file__).parents[2] / "data" / "plan_requests").glob("*.json"))
FLOW_TOLERANCE_KWH = 1e-6


def _schedule(result: Plan) -> np.ndarray:
    """Charge, discharge, import and export per slot, one row each. [kWh]"""
    return np.stack([result.charge_kwh, result.discharge_kwh, result.import_kwh, result.export_kwh])


def _without_tie_break(problem: Problem) -> None:
    cols, costs = problem.tie_break
    problem.add_tie_break(cols, -costs)


def test_the_captured_requests_are_there() -> None:
    names = {path.name.rsplit("-", 1)[0] for path in REQUESTS}
    assert {"flux-summer", "flux-winter", "agile-summer", "go-winter", "agile-plunge"} <= names
    assert "flux-winter-rules" in names


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: p.stem)
def test_presolve_on_off_and_cbc_give_the_same_schedule(path: Path) -> None:
    inputs, hook = load(json.loads(path.read_text()))
    on = plan(inputs, hooks=(hook,), highs_options={"presolve": "on"}).require()
    off = plan(inputs, hooks=(hook,), highs_options={"presolve": "off"}).require()
    cbc = plan(inputs, hooks=(hook,), solver=Solver.CBC).require()
    assert on.status is off.status is cbc.status is SolveStatus.OPTIMAL
    np.testing.assert_allclose(_schedule(off), _schedule(on), rtol=0, atol=FLOW_TOLERANCE_KWH)
    np.testing.assert_allclose(_schedule(cbc), _schedule(on), rtol=0, atol=FLOW_TOLERANCE_KWH)
    assert off.cost_gbp == pytest.approx(on.cost_gbp, abs=1e-8)


def test_without_the_tie_break_the_requests_have_several_cheapest_schedules() -> None:
    # What the test above guards against: the same LP solved twice returns different plans.
    differ = 0
    for path in REQUESTS:
        inputs, hook = load(json.loads(path.read_text()))
        hooks = (hook, _without_tie_break)
        on = plan(inputs, hooks=hooks, highs_options={"presolve": "on"}).require()
        off = plan(inputs, hooks=hooks, highs_options={"presolve": "off"}).require()
        assert off.objective_p == pytest.approx(on.objective_p, abs=1e-5)  # equally cheap
        differ += bool(np.abs(_schedule(off) - _schedule(on)).max() > FLOW_TOLERANCE_KWH)
    assert differ >= len(REQUESTS) // 2


@pytest.mark.parametrize("path", REQUESTS[:3] + REQUESTS[-2:], ids=lambda p: p.stem)
def test_reported_costs_leave_the_tie_break_out_and_it_costs_nothing(path: Path) -> None:
    inputs, hook = load(json.loads(path.read_text()))
    problem = build_problem(inputs)
    hook(problem)
    result = solve_highs(problem)
    assert result.x is not None and result.objective is not None
    tie_break_p = problem.tie_break_p(result.x)
    assert 0 < abs(tie_break_p) < 0.01
    planned = plan(inputs, hooks=(hook,)).require()
    assert planned.objective_p == pytest.approx(result.objective - tie_break_p, abs=1e-7)
    energy_p = np.dot(planned.import_kwh, inputs.import_price) - np.dot(
        planned.export_kwh, inputs.export_price
    )
    assert planned.cost_gbp == pytest.approx(energy_p / 100, abs=1e-12)
    # The cheapest schedule without the tie-break costs the same (to solver tolerance).
    plain = plan(inputs, hooks=(hook, _without_tie_break)).require()
    assert planned.objective_p == pytest.approx(plain.objective_p, abs=1e-5)


@pytest.mark.parametrize("path", REQUESTS, ids=lambda p: p.stem)
def test_a_snapshot_reads_back_to_the_same_document(path: Path) -> None:
    text = path.read_text()
    document = json.loads(text)
    inputs, hook = load(document)
    problem = build_problem(inputs)
    hook(problem)
    again = snapshot(problem, document["source"])
    assert again == document
    assert dumps(document) == text
