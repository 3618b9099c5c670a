"""How long the replay takes: a year of 5-minute demo data, re-planned every half hour.

Run: ``python benchmarks/replay_speed.py [--days N] [--horizon-hours H] [--refit-minutes M]
[--workers N] [--no-sequential]`` from the repository root (defaults: what ``wattplan run``
does — production's horizon, the forecaster fitted at every plan). Times the sequential loop
(``--workers 1``) and the parallel-in-time one (``--workers``, default one per CPU; see
:mod:`simulations.replay.parallel`), checks that both ledgers are identical, and prints where the
time went (building the request — forecasts, prices, limits —, planning — the production
``plan_cycle`` with its LP —, control translation, physics steps; CPU seconds over all
processes when parallel) and the convergence statistics (decisions re-run per chunk); with
``--others``, the other strategies' times.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser.config import Config
from optimiser.planning import Horizon, Refit
from simulations.replay import (
    ClosedLoopOptions,
    SiteModel,
    Strategy,
    demo_data,
    period_prices,
    run_closed_loop,
    run_closed_loop_parallel,
    run_strategy,
)
from simulations.replay.parallel import LEDGER_ARRAYS, default_workers
from tariffs import get_tariff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=None, help="default: the whole demo year")
    parser.add_argument("--horizon-hours", type=float, help="default: production's horizon")
    parser.add_argument("--refit-minutes", type=float, help="default: at every plan")
    parser.add_argument("--others", action="store_true", help="time the other strategies too")
    parser.add_argument("--workers", type=int, default=None, help="default: one per CPU")
    parser.add_argument("--no-sequential", action="store_true", help="skip the sequential run")
    args = parser.parse_args()
    tz = ZoneInfo("Europe/London")
    start = time.perf_counter()
    data = demo_data(None if args.days is None else date(2025, 1, 1), args.days, tz=tz)
    site = SiteModel.from_config(Config())
    options = ClosedLoopOptions(
        horizon=Horizon(args.horizon_hours), refit=Refit(args.refit_minutes)
    )
    margin = options.price_margin_hours
    prices = period_prices(get_tariff("flux", "C"), data.start, data.end, 30, margin)
    setup = time.perf_counter() - start
    print(
        f"data + prices: {setup:.2f} s ({len(data.trace.epoch_s)} steps of "
        f"{data.step_s / 60:g} min)"
    )
    runs = {}
    if not args.no_sequential:
        runs[1] = _timed("sequential (--workers 1)", data, prices, site, options, 1)
    workers = args.workers or default_workers()
    if workers > 1:
        runs[workers] = _timed(
            f"parallel (--workers {workers})", data, prices, site, options, workers
        )
    if len(runs) == 2:
        one, many = runs.values()
        same = all(np.array_equal(getattr(one, k), getattr(many, k)) for k in LEDGER_ARRAYS)
        print(f"ledgers identical: {same}; costs £{one.cost_gbp:.6f} / £{many.cost_gbp:.6f}")
    if args.others:
        for name in Strategy:
            if name is Strategy.WATTPLAN:
                continue
            start = time.perf_counter()
            other = run_strategy(name, data, prices, site)
            print(f"{name}: {time.perf_counter() - start:.1f} s; cost £{other.cost_gbp:.2f}")


def _timed(label, data, prices, site, options, workers):
    start = time.perf_counter()
    if workers == 1:
        run = run_closed_loop(data, prices, site, options=options)
    else:
        run = run_closed_loop_parallel(data, prices, site, options=options, workers=workers)
    wall = time.perf_counter() - start
    stats = run.stats
    decisions = stats["decisions"]
    print(
        f"wattplan {label}: {wall:.1f} s for {decisions} decisions "
        f"({1000 * wall / decisions:.2f} ms each), horizon {options.horizon}, "
        f"{stats['forecast_fits']} forecaster fits; cost £{run.cost_gbp:.2f}"
    )
    for part, seconds in stats["seconds"].items():
        print(f"  {part:9s} {seconds:7.1f} s  ({100 * seconds / wall:4.1f} % of wall)")
    par = stats.get("parallel")
    if par:
        print(
            f"  chunks start at decisions {par['chunk_starts']} "
            f"({par['chunk_decisions']} decisions); re-run in the fix-up: "
            f"{par['rerun_decisions']}; converged: {par['converged']}"
        )
    elif workers > 1:
        print("  period too short to split: ran sequentially")
    return run


if __name__ == "__main__":
    main()
