"""The speed table in one command: each figure measured now, beside its target.

Run from the repository root::

    python benchmarks/run_all.py [--runs 50] [--replay-days 365] [--cli-runs 5]

Rows: a 48- and a 288-slot plan (build + solve + extract, medians of CPU time in this thread)
against a cold raw HiGHS solve of the same LP; ``wattplan plan`` on the embedded emulator (wall
of a fresh process: min / median / max); the closed-loop replay of the demo data with 1 and 2
workers and its peak memory (only with ``--replay-days``: a year is the table's figure and
takes about a minute of both cores). The EMHASS row is not measured here: the repository has
no EMHASS comparison yet (it would need EMHASS in a virtual environment of its own).

The machine is shared: figures move with its load, so the load average is printed first.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

from plan_speed import flux_like_inputs, raw_highs_ms

from optimiser.config import Config
from optimiser.planner import plan
from optimiser.planning import Horizon, Refit
from simulations.replay import (
    ClosedLoopOptions,
    SiteModel,
    demo_data,
    period_prices,
    run_closed_loop,
    run_closed_loop_parallel,
)
from tariffs import get_tariff

Row = tuple[str, str, str]


def plan_rows(runs: int) -> list[Row]:
    """48 and 288 slots: ``plan()`` against a cold raw HiGHS solve of the same LP."""
    rows = []
    for count, minutes, target_ms in ((48, 30, None), (288, 5, 10.0)):
        inputs = flux_like_inputs(count, minutes)
        for _ in range(3):
            plan(inputs)
        totals, raws = [], []
        for _ in range(runs):
            t0 = time.thread_time()
            plan(inputs).require()
            totals.append((time.thread_time() - t0) * 1e3)
            raws.append(raw_highs_ms(inputs))
        total, raw = statistics.median(totals), statistics.median(raws)
        ratio = total / raw
        if target_ms is None:
            target = f"≤ 1.2 × raw ({'met' if ratio <= 1.2 else 'not met'}); ≤ 0.8 ms warm"
        else:
            target = f"≤ {target_ms:g} ms ({'met' if total <= target_ms else 'not met'})"
        rows.append(
            (f"plan, {count} slots", f"{total:.2f} ms (raw HiGHS {raw:.2f}, ×{ratio:.2f})", target)
        )
    return rows


def cli_row(runs: int) -> Row:
    """Wall time of ``wattplan plan`` in a fresh process (bytecode cached after a warm-up)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "optimiser.cli", "plan"]
    walls = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        if i:  # the first run is a warm-up
            walls.append(time.perf_counter() - t0)
    med = statistics.median(walls)
    figure = f"{min(walls):.2f} / {med:.2f} / {max(walls):.2f} s (min / median / max)"
    return ("`wattplan plan`, embedded emulator, wall", figure, f"≤ 0.6 s ({_met(med <= 0.6)})")


def replay_rows(days: int) -> list[Row]:
    """The closed loop over ``days`` of demo data, 1 and 2 workers, and the peak memory."""
    tz = ZoneInfo("Europe/London")
    data = demo_data(
        None if days >= 365 else date(2025, 1, 1), None if days >= 365 else days, tz=tz
    )
    site = SiteModel.from_config(Config())
    options = ClosedLoopOptions(horizon=Horizon(None), refit=Refit(None))
    margin = (options.horizon.longest_hours or 0.0) + 1.0
    prices = period_prices(get_tariff("flux", "C"), data.start, data.end, 30, margin)
    t0 = time.perf_counter()
    one = run_closed_loop(data, prices, site, options=options)
    sequential = time.perf_counter() - t0
    t0 = time.perf_counter()
    two = run_closed_loop_parallel(data, prices, site, options=options, workers=2)
    parallel = time.perf_counter() - t0
    peak_mb = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )
    label = "year" if days >= 365 else f"{days} days"
    same = "ledgers equal" if one.cost_gbp == two.cost_gbp else "LEDGERS DIFFER"
    scale = 365 / days if days < 365 else 1.0
    return [
        (f"{label} replay, sequential", f"{sequential:.1f} s", _scaled(25.0, scale, sequential)),
        (
            f"{label} replay, 2 workers",
            f"{parallel:.1f} s ({same})",
            _scaled(15.0, scale, parallel),
        ),
        (f"peak memory, {label} replay", f"{peak_mb:.0f} MB", f"≤ 300 MB ({_met(peak_mb <= 300)})"),
    ]


def _scaled(year_target_s: float, scale: float, seconds: float) -> str:
    if scale == 1.0:
        return f"≤ {year_target_s:g} s ({_met(seconds <= year_target_s)})"
    return f"≤ {year_target_s:g} s a year (×{scale:.0f} of this: {seconds * scale:.0f} s)"


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="plans per LP size")
    parser.add_argument("--cli-runs", type=int, default=5, help="`wattplan plan` processes")
    parser.add_argument("--replay-days", type=int, default=0, help="0: skip the replay rows")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    rows = plan_rows(args.runs)
    rows.append(cli_row(args.cli_runs))
    if args.replay_days:
        rows += replay_rows(args.replay_days)
    else:
        rows.append(("replay rows", "skipped", "pass --replay-days 365 for the table's figure"))
    rows.append(("EMHASS, 48 slots", "not measured (no comparison script)", "≥ 20× slower"))
    widths = [max(len(r[i]) for r in (("what", "now", "target"), *rows)) for i in range(3)]
    for row in (("what", "now", "target"), tuple("-" * w for w in widths), *rows):
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
