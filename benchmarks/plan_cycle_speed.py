"""How long one production planning cycle takes on a replay-like 48-slot request.

Run: ``python benchmarks/plan_cycle_speed.py [--day 2025-06-01] [--rounds 5]`` from the
repository root. Builds the 48 half-hourly requests of one demo day with the one request
builder (a fixed 24 h horizon, Flux prices, true load and solar as the forecast, the previous
plan for the stability penalty, the Fleet backend's limits), then times
``optimiser.planning.plan_cycle`` on them, and the HiGHS run alone, and prints the sum of the
objectives so a change that moves results shows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser.config import Config
from optimiser.domain.powerwall import PowerwallState
from optimiser.forecast import PerfectForecaster
from optimiser.planner import build_problem
from optimiser.planner.solve import solve_highs
from optimiser.planning import (
    Forecasting,
    Horizon,
    PlanRequest,
    build_inputs,
    build_request,
    plan_cycle,
)
from simulations.replay import SiteModel, demo_data, period_prices
from simulations.replay.closed_loop import SimulatedSite
from tariffs import get_tariff

SLOTS = 48


def requests(day: date) -> list[PlanRequest]:
    """The day's 48 decisions, each planning 48 slots ahead, chained through the plans."""
    tz = ZoneInfo("Europe/London")
    data = demo_data(day, 2, tz=tz)
    site = SiteModel.from_config(Config())
    prices = period_prices(get_tariff("flux", "C"), data.start, data.end, 30, 25)
    forecasting = Forecasting(PerfectForecaster(data.trace))
    state, previous, out = PowerwallState(site.initial_soe_kwh), None, []
    for k in range(SLOTS):
        request = build_request(
            site.config,
            SimulatedSite.of(site.spec, state),
            now=data.start + timedelta(minutes=30 * k),
            tariff=prices.tariff,
            history=None,
            previous=previous,
            capabilities=site.capabilities,
            forecasting=forecasting,
            horizon=Horizon(hours=SLOTS / 2),
            prices=prices,
        )
        plan = plan_cycle(request, site.config, cost_rules=False, baselines=False).outcome.require()
        state, previous = PowerwallState(float(plan.soe_kwh[0])), plan
        out.append(request)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", type=date.fromisoformat, default=date(2025, 6, 1))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    config = SiteModel.from_config(Config()).config
    batch = requests(args.day)
    cycle_ms, highs_ms = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for request in batch:
            plan_cycle(request, config, cost_rules=False, baselines=False)
        cycle_ms.append((time.perf_counter() - start) / len(batch) * 1e3)
    problems = [build_problem(build_inputs(request, config)) for request in batch]
    for _ in range(args.rounds):
        total = 0.0
        for problem in problems:
            start = time.perf_counter()
            solve_highs(problem)
            total += time.perf_counter() - start
        highs_ms.append(total / len(problems) * 1e3)
    objective = sum(
        plan_cycle(r, config, cost_rules=False, baselines=False).outcome.require().objective_p
        for r in batch
    )
    print(f"plan_cycle, {SLOTS} slots, {len(batch)} requests of {args.day}:")
    print(f"  plan_cycle   min {min(cycle_ms):.3f} ms, median {statistics.median(cycle_ms):.3f} ms")
    print(f"  solve_highs  min {min(highs_ms):.3f} ms (matrix hand-over + HiGHS run)")
    print(f"  objective sum {objective:.6f} p")


if __name__ == "__main__":
    main()
