"""Capture real planning requests from the demo household's replay as JSON fixtures.

Run from the repository root (takes a minute)::

    python tests/data/plan_requests/capture.py [--out DIR] [--all]

Each case replays one day of ``wattplan simulate --demo`` (default config: the demo household,
offline tariff snapshots, history forecasts, a 24 h horizon, a decision every slot) through the
production planning cycle, and writes the planner's request at the chosen local decision times:
the :class:`~optimiser.planner.PlanInputs` and what the rules' hook added to the problem
(:mod:`optimiser.planner.snapshot`). ``--all`` writes every decision of every case (to look for
requests where the LP has several cheapest schedules).

The requests are taken at the one seam the replay offers: ``plan_cycle`` in the replay engine
is wrapped to pass one extra hook, which snapshots the problem after the rules' hook and
before the solve; the planning itself is untouched.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.config import Config
from optimiser.planner.problem import Problem
from optimiser.planner.snapshot import dumps, snapshot
from rules import load_rules
from simulations.replay import (
    ClosedLoopOptions,
    SiteModel,
    demo_data,
    engine,
    period_prices,
    run_closed_loop,
)
from tariffs import get_tariff

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


PLUNGE_P = -5.0  # an Agile "plunge" import price [p/kWh]


@dataclass(frozen=True)
class Case:
    """One replayed day and the local decision times kept from it."""

    name: str
    tariff: str
    day: date
    times: tuple[str, ...]
    rules: Path | None = None
    plunge: tuple[str, str] | None = None  # local hours with the import price at PLUNGE_P


CASES = (
    Case("flux-summer", "flux", date(2025, 7, 16), ("06:00", "13:00", "19:00")),
    Case("flux-winter", "flux", date(2025, 1, 15), ("05:00", "16:30")),
    Case("agile-summer", "agile", date(2025, 6, 11), ("12:00",)),
    Case("agile-winter", "agile", date(2025, 12, 3), ("00:00",)),
    Case("go-summer", "go", date(2025, 8, 20), ("00:00", "10:30")),
    Case("go-winter", "go", date(2025, 2, 12), ("00:00", "18:00")),
    # Paid to import 11:00-15:00 (binaries on those slots: a MILP).
    Case("agile-plunge", "agile", date(2025, 6, 11), ("09:00", "11:00"), plunge=("11:00", "15:00")),
    # A Sunday in winter: the evening buffer, the EV's hold, "cloudy tomorrow", quiet Sunday.
    Case(
        "flux-winter-rules",
        "flux",
        date(2025, 11, 30),
        ("00:00", "14:00"),
        ROOT / "examples" / "rules.yaml",
    ),
)


def capture(case: Case) -> list[tuple[datetime, dict]]:
    """Every planning request of the case's day as a snapshot, with its decision time (UTC)."""
    config = Config()
    tz = ZoneInfo(config.site.timezone)
    site = SiteModel.from_config(config)
    data = demo_data(case.day, 1, tz=tz)
    options = ClosedLoopOptions()
    tariff = get_tariff(case.tariff, config.tariff.region, offline=True)
    minutes = site.config.planner.slot_minutes
    prices = period_prices(tariff, data.start, data.end, minutes, options.horizon_hours + 1)
    if case.plunge is not None:  # the offline snapshot never goes negative: make it
        local = [s.astimezone(tz).time() for s in prices.grid.starts]
        first, end = (time.fromisoformat(t) for t in case.plunge)
        paid = np.array([first <= t < end for t in local])
        prices = replace(prices, import_price=np.where(paid, PLUNGE_P, prices.import_price))
    rules = None if case.rules is None else load_rules(case.rules)
    seen: list[tuple[datetime, dict]] = []
    real = engine.plan_cycle

    def recording(request, config, **kwargs):
        def keep(problem: Problem) -> None:  # after the rules' hook, before any solve
            seen.append((request.now, snapshot(problem)))

        return real(request, config, hooks=(keep,), **kwargs)

    engine.plan_cycle = recording
    try:
        run_closed_loop(data, prices, site, options=options, rules=rules, workers=1)
    finally:
        engine.plan_cycle = real
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="where to write (default: here)")
    parser.add_argument("--all", action="store_true", help="write every decision")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tz = ZoneInfo(Config().site.timezone)
    for case in CASES:
        problems = capture(case)
        wanted = {datetime.combine(case.day, time.fromisoformat(t), tz) for t in case.times}
        for now, document in problems:
            local = now.astimezone(tz)
            if not args.all and local not in wanted:
                continue
            command = f"wattplan simulate --demo --tariff {case.tariff} --start {case.day} --days 1"
            if case.rules is not None:
                command += f" --rules {case.rules.relative_to(ROOT)}"
            if case.plunge is not None:
                command += f" (import price {PLUNGE_P} p/kWh {case.plunge[0]}-{case.plunge[1]})"
            source = {
                "command": command,
                "decision": local.isoformat(),
                "captured_by": "tests/data/plan_requests/capture.py",
            }
            path = args.out / f"{case.name}-{local:%H%M}.json"
            document["source"] = source
            path.write_text(dumps(document))
            print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
