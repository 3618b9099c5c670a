"""How long the replay takes: a year of 5-minute demo data, re-planned every half hour.

Run: ``python benchmarks/replay_speed.py [--days N] [--horizon-hours H] [--refit-minutes M]``
from the repository root. Target: the ``wattplan`` strategy over a year in ≤ 60 s on the
2-core box. Prints the wall time and where it went (forecast fits, planning — the production
``plan_cycle`` with its LP — control translation, physics steps), and the other strategies'.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser.config import Config
from simulations.replay import (
    STRATEGIES,
    ClosedLoopOptions,
    SiteModel,
    demo_data,
    period_prices,
    run_strategy,
)
from tariffs import get_tariff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=None, help="default: the whole demo year")
    parser.add_argument("--horizon-hours", type=float, default=24.0)
    parser.add_argument("--refit-minutes", type=float, default=1440.0)
    parser.add_argument("--others", action="store_true", help="time the other strategies too")
    args = parser.parse_args()
    tz = ZoneInfo("Europe/London")
    start = time.perf_counter()
    data = demo_data(None if args.days is None else date(2025, 1, 1), args.days, tz=tz)
    site = SiteModel.from_config(Config())
    prices = period_prices(
        get_tariff("flux", "C"), data.start, data.end, 30, args.horizon_hours + 1
    )
    setup = time.perf_counter() - start
    print(
        f"data + prices: {setup:.2f} s ({len(data.trace.epoch_s)} steps of "
        f"{data.step_s / 60:g} min)"
    )
    options = ClosedLoopOptions(horizon_hours=args.horizon_hours, refit_minutes=args.refit_minutes)
    start = time.perf_counter()
    run = run_strategy("wattplan", data, prices, site, options=options)
    wall = time.perf_counter() - start
    stats = run.stats
    decisions = stats["decisions"]
    print(
        f"wattplan: {wall:.1f} s for {decisions} decisions "
        f"({1000 * wall / decisions:.2f} ms each), horizon {args.horizon_hours:g} h, "
        f"{stats['forecast_fits']} forecaster fits; cost £{run.cost_gbp:.2f}"
    )
    for part, seconds in stats["seconds"].items():
        print(f"  {part:9s} {seconds:7.1f} s  ({100 * seconds / wall:4.1f} %)")
    print(f"  target ≤ 60 s: {'met' if wall <= 60 else 'NOT met'}")
    if args.others:
        for name in STRATEGIES:
            if name == "wattplan":
                continue
            start = time.perf_counter()
            other = run_strategy(name, data, prices, site)
            print(f"{name}: {time.perf_counter() - start:.1f} s; cost £{other.cost_gbp:.2f}")


if __name__ == "__main__":
    main()
