"""Planner speed: build + solve for 48, 96 and 288 slots, and the raw HiGHS solve time.

Run from the repository root::

    python benchmarks/plan_speed.py [--runs 50]

Targets on the 2-core machine: a 48-slot plan within 1.2 × a cold raw HiGHS solve of the same
LP, a 288-slot plan ≤ 10 ms, and build ≤ solve (``benchmarks/run_all.py`` prints them with the
other speed figures). Also times building the same problem as a PuLP model (``Problem.to_pulp``),
which is why the matrix is built with numpy (see ``optimiser/planner/problem.py``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import highspy
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from optimiser.domain.slots import SlotGrid
from optimiser.planner import Battery, PlanInputs, build_problem, plan
from optimiser.planner.solve import solve_highs


def flux_like_inputs(count: int, minutes: int, negative: bool = False) -> PlanInputs:
    """A Flux-like day repeated over ``count`` slots: prices, a load profile and solar."""
    grid = SlotGrid(datetime(2026, 6, 1, tzinfo=UTC), minutes, count)
    hour = (np.arange(count) * minutes / 60.0) % 24
    day = 25.0
    import_price = np.where((hour >= 2) & (hour < 5), 0.6 * day, day)
    import_price = np.where((hour >= 16) & (hour < 19), 1.4 * day, import_price)
    if negative:  # an Agile-like sunny afternoon: import paid for 12:00–15:00 (MILP slots)
        import_price = np.where((hour >= 12) & (hour < 15), -5.0, import_price)
    export_price = import_price - 11.0
    load_kw = 0.35 + 0.5 * np.exp(-(((hour - 18.5) / 2.0) ** 2)) + 0.2 * ((hour > 7) & (hour < 9))
    solar_kw = np.clip(3.2 * np.sin((hour - 5) / 14 * np.pi), 0, None) * ((hour > 5) & (hour < 19))
    return PlanInputs.build(
        grid,
        import_price=import_price,
        export_price=export_price,
        load_kw=load_kw,
        solar_kw=solar_kw,
        battery=Battery(13.5, 4.0, 5.0, 5.0),
        reserve_floor_kwh=2.7,
    )


def raw_highs_ms(inputs: PlanInputs) -> float:
    """CPU time of ``Highs.run()`` alone on the already-passed model (binaries kept), with the
    planner's options (presolve off for a pure LP). [ms]"""
    problem = build_problem(inputs)
    result = solve_highs(problem)  # warm-up and sanity
    assert result.status.is_ok
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    if not problem.column_arrays()[3].any():
        highs.setOptionValue("presolve", "off")
    lower, upper, cost, integer = problem.column_arrays()
    rows, cols, values, row_lo, row_hi = problem.row_arrays()
    order = np.lexsort((cols, rows))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = problem.num_cols, problem.num_rows
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = problem.num_cols, problem.num_rows
    lp.a_matrix_.start_ = np.searchsorted(rows[order], np.arange(problem.num_rows + 1))
    lp.a_matrix_.index_ = cols[order]
    lp.a_matrix_.value_ = values[order]
    if integer.any():
        kind = highspy.HighsVarType
        lp.integrality_ = [kind.kInteger if i else kind.kContinuous for i in integer]
    highs.passModel(lp)
    t0 = time.thread_time()
    highs.run()
    return (time.thread_time() - t0) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    print("* = with negative import prices for 3 h a day (binaries on those slots: a MILP)")
    print(
        f"{'slots':>5} {'total ms':>9} {'build ms':>9} {'solve ms':>9} {'raw HiGHS':>9} "
        f"{'PuLP build':>10}  rows x cols"
    )
    cases = ((48, 30, False), (96, 15, False), (288, 5, False), (48, 30, True), (288, 5, True))
    for count, minutes, negative in cases:
        inputs = flux_like_inputs(count, minutes, negative)
        plan(inputs)  # warm-up: imports, first HiGHS instance
        totals, builds, solves, raws = [], [], [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            outcome = plan(inputs)
            totals.append((time.perf_counter() - t0) * 1e3)
            builds.append(outcome.timings_ms["build"])
            solves.append(outcome.timings_ms["solve"])
            assert outcome.status.is_ok
        for _ in range(args.runs):
            raws.append(raw_highs_ms(inputs))
        problem = build_problem(inputs)
        pulp_ms = []
        for _ in range(max(args.runs // 10, 3)):
            t0 = time.perf_counter()
            problem.to_pulp()
            pulp_ms.append((time.perf_counter() - t0) * 1e3)
        med = statistics.median
        label = f"{count}{'*' if negative else ''}"
        print(
            f"{label:>5} {med(totals):9.2f} {med(builds):9.2f} {med(solves):9.2f} "
            f"{med(raws):9.2f} {med(pulp_ms):10.2f}  {problem.num_rows} x {problem.num_cols}"
        )


if __name__ == "__main__":
    main()
