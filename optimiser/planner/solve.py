"""Solve a built problem and extract a :class:`Plan`: ``plan(inputs, hooks=...)``.

HiGHS (through highspy) gets the problem's numpy matrix directly; CBC (bundled with PuLP)
gets the PuLP model when asked for, or when HiGHS fails outright. Whatever happens in a
solver comes back as a :class:`SolveStatus`, never as an exception.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import pulp

from optimiser.domain.actions import classify_slots
from optimiser.planner.errors import PlanFailed
from optimiser.planner.inputs import PlanInputs
from optimiser.planner.problem import (
    Hook,
    Problem,
    build_problem,
    define_battery_exclusivity,
    define_grid_exclusivity,
)
from optimiser.planner.result import Plan
from optimiser.planner.status import Solver, SolveStatus

log = logging.getLogger(__name__)

#: Flows smaller than this are solver dust. [kWh]
FLOW_TOLERANCE_KWH = 1e-6
#: A solve's time limit: 30 s, or 2 ms per slot for longer problems. Measured on the shared
#: 2-core machine: the replay's perfect-foresight year (17 520 half-hour slots) takes 6 s
#: alone and 11–15 s when the machine is busy, the two-day Go one-shot (a MILP: export pays
#: more than the night rate) 3–4 s alone and over 10 s under `pytest -n 2`. [s]
DEFAULT_TIME_LIMIT_S = 30.0
TIME_LIMIT_PER_SLOT_S = 0.002

#: A HiGHS option's value (``Highs.setOptionValue``).
HighsOption = bool | int | float | str


@dataclass(frozen=True)
class SolverResult:
    """A raw solve: status, column values and objective (None unless optimal)."""

    status: SolveStatus
    x: np.ndarray | None
    objective: float | None
    message: str
    solver: Solver


@dataclass(frozen=True)
class PlanOutcome:
    """What ``plan()`` returns: a status, the plan when it is ok, and timings [ms]."""

    status: SolveStatus
    plan: Plan | None
    timings_ms: dict[str, float] = field(default_factory=dict)
    message: str = ""
    solver: Solver | None = None

    def require(self) -> Plan:
        """The plan, or :class:`PlanFailed` saying why there is none."""
        if self.plan is None or not self.status.is_ok:
            raise PlanFailed(str(self.status), self.message or "no plan")
        return self.plan


def plan(
    inputs: PlanInputs,
    *,
    hooks: Sequence[Hook] = (),
    solver: Solver = Solver.HIGHS,
    time_limit_s: float | None = None,
    highs_options: Mapping[str, HighsOption] | None = None,
) -> PlanOutcome:
    """Build, apply ``hooks``, solve and extract the cheapest plan for ``inputs``.

    ``highs_options`` are set on HiGHS after wattplan's own (presolve off for a pure LP, on
    for a MILP; e.g. ``{"presolve": "on"}`` overrides it).
    """
    t0 = time.perf_counter()
    problem = build_problem(inputs)
    for hook in hooks:
        hook(problem)
    t1 = time.perf_counter()
    result = solve(problem, solver=solver, time_limit_s=time_limit_s, highs_options=highs_options)
    # The tie-break makes both directions in one slot strictly dearer (problem.py); should a
    # solution still have them (solver tolerances), re-solve with binaries on those slots.
    for _ in range(problem.count + 1):
        if result.x is None:
            break
        grid_slots, battery_slots = simultaneous_slots(problem, result.x)
        if grid_slots.size == 0 and battery_slots.size == 0:
            break
        define_grid_exclusivity(problem, grid_slots)
        define_battery_exclusivity(problem, battery_slots)
        result = solve(
            problem, solver=solver, time_limit_s=time_limit_s, highs_options=highs_options
        )
    t2 = time.perf_counter()
    timings = {"build": (t1 - t0) * 1e3, "solve": (t2 - t1) * 1e3}
    if result.x is None:
        return PlanOutcome(result.status, None, timings, result.message, result.solver)
    extracted = extract_plan(problem, result, timings)
    timings["extract"] = (time.perf_counter() - t2) * 1e3
    return PlanOutcome(result.status, extracted, timings, result.message, result.solver)


def time_limit(problem: Problem, time_limit_s: float | None) -> float:
    """``time_limit_s``, or by default the larger of 30 s and 2 ms per slot. [s]"""
    if time_limit_s is not None:
        return float(time_limit_s)
    return max(DEFAULT_TIME_LIMIT_S, TIME_LIMIT_PER_SLOT_S * problem.count)


def simultaneous_slots(problem: Problem, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slots whose solution both imports and exports, and both charges and discharges."""
    imp = x[problem.cols("grid_import")]
    exp = x[problem.cols("grid_export")]
    charge = x[problem.cols("charge_from_solar")] + x[problem.cols("charge_from_grid")]
    dis = x[problem.cols("discharge")]
    grid = np.flatnonzero(np.minimum(imp, exp) > FLOW_TOLERANCE_KWH)
    battery = np.flatnonzero(np.minimum(charge, dis) > FLOW_TOLERANCE_KWH)
    return grid, battery


def solve(
    problem: Problem,
    *,
    solver: Solver = Solver.HIGHS,
    time_limit_s: float | None = None,
    highs_options: Mapping[str, HighsOption] | None = None,
) -> SolverResult:
    """Solve ``problem``; HiGHS by default, CBC if asked or if HiGHS fails."""
    try:
        chosen = Solver(solver)
    except ValueError:
        message = f"expected a solver among {', '.join(Solver)}, got {solver!r}"
        return SolverResult(SolveStatus.FAILED, None, None, message, Solver.HIGHS)
    if chosen is Solver.CBC:
        return solve_cbc(problem, time_limit_s=time_limit_s)
    result = solve_highs(problem, time_limit_s=time_limit_s, options=highs_options)
    if result.status is SolveStatus.FAILED:
        log.warning("HiGHS failed (%s); trying CBC", result.message)
        return solve_cbc(problem, time_limit_s=time_limit_s)
    return result


def solve_highs(
    problem: Problem,
    *,
    time_limit_s: float | None = None,
    options: Mapping[str, HighsOption] | None = None,
) -> SolverResult:
    """Solve with HiGHS through highspy, passing the numpy matrix (row-wise) directly.

    The arrays go straight into ``passModel`` (no ``HighsLp`` object to fill field by field).
    Every solve gets a fresh ``Highs`` instance (~0.08 ms): an instance reused through
    ``passModel``/``clear`` carries state that can move a solution by ~1e-8 (measured with
    highspy 1.16), and a plan must not depend on the solves made before it.
    """
    try:
        lower, upper, cost, integer = problem.column_arrays()
        rows, cols, values, row_lo, row_hi = problem.row_arrays()
        # Row-wise (CSR): entries by row, then column (a stable sort, as np.lexsort).
        order = np.argsort(rows * problem.num_cols + cols, kind="stable")
        start = np.zeros(problem.num_rows + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=problem.num_rows), out=start[1:])
        integrality = integer.astype(np.int32)  # kContinuous = 0, kInteger = 1
        highs = _new_highs()
        highs.setOptionValue("time_limit", time_limit(problem, time_limit_s))
        highs.setOptionValue("threads", 1)
        if not integrality.any():
            # A pure LP: presolve costs more than it saves on these small sparse problems
            # (×0.82 on the replay's LP sequence); the tie-break makes the optimum unique, so
            # the plan is the same with it on or off (tests/optimiser/planner/test_unique_optimum).
            highs.setOptionValue("presolve", "off")
        for name, value in (options or {}).items():
            highs.setOptionValue(name, value)
        passed = highs.passModel(
            problem.num_cols,
            problem.num_rows,
            int(values.size),
            int(highspy.MatrixFormat.kRowwise),
            int(highspy.ObjSense.kMinimize),
            float(problem.objective_constant),
            cost,
            lower,
            upper,
            row_lo,
            row_hi,
            start,
            cols[order].astype(np.int32),
            values[order],
            integrality,
        )
        if passed == highspy.HighsStatus.kError:
            return SolverResult(
                SolveStatus.FAILED, None, None, "HiGHS rejected the model", Solver.HIGHS
            )
        highs.run()
        model_status = highs.getModelStatus()
        status = _HIGHS_STATUS.get(model_status.name, SolveStatus.FAILED)
        message = highs.modelStatusToString(model_status)
        if status is not SolveStatus.OPTIMAL:
            return SolverResult(status, None, None, message, Solver.HIGHS)
        x = np.asarray(highs.getSolution().col_value, dtype=float)
        objective = float(highs.getInfo().objective_function_value)
        return SolverResult(status, x, objective, message, Solver.HIGHS)
    except Exception as exc:  # a failed solve is a value, never a crash
        return SolverResult(SolveStatus.FAILED, None, None, f"HiGHS error: {exc}", Solver.HIGHS)


_banner_lock = threading.Lock()
_banner_silenced = False


def _new_highs() -> highspy.Highs:
    """A silent HiGHS instance.

    HiGHS prints its banner on stdout when the first instance of a process is made, before any
    option can be set; ``wattplan plan --json`` must print only JSON, so the first one is made
    with file descriptor 1 pointed at /dev/null.
    """
    global _banner_silenced  # noqa: PLW0603 - once per process
    with _banner_lock:
        if _banner_silenced:
            highs = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as devnull:
                    os.dup2(devnull.fileno(), 1)
                    highs = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_silenced = True
    highs.setOptionValue("output_flag", False)
    return highs


_HIGHS_STATUS = {
    "kOptimal": SolveStatus.OPTIMAL,
    "kInfeasible": SolveStatus.INFEASIBLE,
    "kUnbounded": SolveStatus.UNBOUNDED,
    "kUnboundedOrInfeasible": SolveStatus.INFEASIBLE,
    "kTimeLimit": SolveStatus.TIME_LIMIT,
    "kIterationLimit": SolveStatus.TIME_LIMIT,
}


#: CBC's primal and dual tolerances tightened from 1e-7 to 1e-9: at its defaults CBC stops up
#: to ~5e-7 kWh off a row and returns another of the tie-break's near-equal schedules (2 of 67
#: captured decisions); at 1e-9 it agrees with HiGHS on all of them.
CBC_OPTIONS = ("primalT 1e-9", "dualT 1e-9")


def solve_cbc(problem: Problem, *, time_limit_s: float | None = None) -> SolverResult:
    """Solve the PuLP form of ``problem`` with CBC (bundled with PuLP)."""
    try:
        model, variables = problem.to_pulp()
        with warnings.catch_warnings():
            # PuLP 3.3 marks its bundled CBC deprecated (removed in 4.0); it is still the one
            # solver that ships with PuLP, which is the point of a fallback.
            warnings.simplefilter("ignore", DeprecationWarning)
            command = pulp.PULP_CBC_CMD(
                msg=False,
                timeLimit=max(int(time_limit(problem, time_limit_s)), 1),
                options=list(CBC_OPTIONS),
            )
        model.solve(command)
        name = pulp.LpStatus[model.status]
        status = {
            "Optimal": SolveStatus.OPTIMAL,
            "Infeasible": SolveStatus.INFEASIBLE,
            "Unbounded": SolveStatus.UNBOUNDED,
            "Not Solved": SolveStatus.TIME_LIMIT,
        }.get(name, SolveStatus.FAILED)
        if status is not SolveStatus.OPTIMAL:
            return SolverResult(status, None, None, f"CBC: {name}", Solver.CBC)
        x = np.array([v.varValue or 0.0 for v in variables], dtype=float)
        return SolverResult(
            status, x, float(pulp.value(model.objective)), "CBC: Optimal", Solver.CBC
        )
    except Exception as exc:  # a failed solve is a value, never a crash
        return SolverResult(SolveStatus.FAILED, None, None, f"CBC error: {exc}", Solver.CBC)


def extract_plan(problem: Problem, result: SolverResult, timings: dict[str, float]) -> Plan:
    """The frozen :class:`Plan` from a solution vector."""
    inp = problem.inputs
    x = result.x
    assert x is not None
    h = inp.hours

    def block(name: str) -> np.ndarray:
        return np.maximum(x[problem.cols(name)], 0.0)

    imp, exp = block("grid_import"), block("grid_export")
    chs, chg = block("charge_from_solar"), block("charge_from_grid")
    dis, cur = block("discharge"), block("curtail")
    soe = np.clip(x[problem.cols("soe")], 0.0, inp.battery.capacity_kwh)
    load = inp.load_kw * h
    solar = inp.solar_kw * h
    charge = chs + chg
    # The split is a tie within a slot; report solar surplus first, the grid for the rest
    # (never more from the grid than the LP's own charge_from_grid).
    surplus = np.maximum(solar - cur - load, 0.0)
    from_solar = np.maximum(np.minimum(charge, surplus), chs)
    from_grid = np.maximum(charge - from_solar, 0.0)
    from_grid[from_grid < FLOW_TOLERANCE_KWH] = 0.0
    soe_start = np.concatenate([[inp.battery.soe_kwh], soe[:-1]])
    actions = classify_slots(
        charge_from_grid_kwh=from_grid,
        charge_kwh=charge,
        discharge_kwh=dis,
        export_kwh=exp,
        import_kwh=imp,
        soe_start_kwh=soe_start,
        floor_kwh=inp.reserve_floor_kwh,
    )
    cost_p = float(np.dot(imp, inp.import_price) - np.dot(exp, inp.export_price))
    return Plan(
        grid=inp.grid,
        status=result.status,
        import_price=inp.import_price,
        export_price=inp.export_price,
        load_kwh=load,
        solar_kwh=solar,
        import_kwh=imp,
        export_kwh=exp,
        charge_kwh=charge,
        discharge_kwh=dis,
        charge_from_grid_kwh=from_grid,
        curtailed_kwh=cur,
        soe_kwh=soe,
        start_soe_kwh=inp.battery.soe_kwh,
        actions=actions,
        cost_gbp=cost_p / 100.0,
        objective_p=float(result.objective or 0.0) - problem.tie_break_p(x),
        timings_ms=timings,
        first_slot_hours=inp.first_slot_hours,
    )
