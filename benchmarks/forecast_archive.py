"""Build an archive of issued solar forecasts for ``wattplan simulate --forecast-archive``.

Run from the repository root::

    # from provider answers as collected (forecast.weather.keep_answers), for your array:
    python benchmarks/forecast_archive.py answers STATE_DIR/weather/answers-open-meteo.jsonl \
        --config config.yaml -o archive.jsonl
    # a synthetic provider for a realistic household (simulations.datasets.synthetic_forecasts):
    python benchmarks/forecast_archive.py synthetic h2 --start 2025-03-01 --days 56 -o h2.jsonl

``answers`` turns each recorded answer (irradiance or the provider's own power) into the AC
power of the configured array on 30-minute intervals, with the same pvlib model the live
forecaster uses, and keeps its ``issued_at``: the replay then uses, at each decision, only the
answers fetched before it. ``synthetic`` writes the documented stand-in provider's issues.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser.config import load_config
from optimiser.domain.slots import SlotGrid
from optimiser.forecast.pv import ArrayModel
from optimiser.forecast.weather import ForecastArchive
from optimiser.forecast.weather.archive import IssuedForecast, power_issue
from optimiser.forecast.weather.pv_power import slot_solar_kw
from simulations.datasets.realistic import household, realistic_trace
from simulations.datasets.synthetic_forecasts import synthetic_archive

TZ = ZoneInfo("Europe/London")
INTERVAL_MINUTES = 30


def as_power(issue: IssuedForecast, array: ArrayModel) -> IssuedForecast:
    """An issued forecast as the array's AC power on 30-minute intervals. [kW]"""
    f = issue.forecast
    step_s = INTERVAL_MINUTES * 60
    first = -(-f.start_s // step_s) * step_s
    count = int((f.end_s - first) // step_s)
    grid = SlotGrid(datetime.fromtimestamp(first, TZ), INTERVAL_MINUTES, count)
    slots = slot_solar_kw(f, grid, array)
    return power_issue(issue.issued_s, f.provider, first, step_s, slots.solar_kw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    answers = sub.add_parser("answers", help="from recorded provider answers")
    answers.add_argument("files", type=Path, nargs="+", help="answers-*.jsonl")
    answers.add_argument("--config", type=Path, help="the config naming the site and array")
    synthetic = sub.add_parser("synthetic", help="a synthetic provider for a realistic household")
    synthetic.add_argument("household", help="h1 … h6")
    synthetic.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    synthetic.add_argument("--days", type=int, default=365)
    synthetic.add_argument("--seed", type=int, default=1)
    for p in (answers, synthetic):
        p.add_argument("-o", "--output", type=Path, required=True, help="archive.jsonl")
    args = parser.parse_args()
    if args.kind == "answers":
        array = ArrayModel.from_site(load_config(args.config).site)
        issues = [i for path in args.files for i in ForecastArchive.load(path).issues]
        archive = ForecastArchive(as_power(i, array) for i in issues)
    else:
        h = household(args.household)
        t0 = datetime(args.start.year, args.start.month, args.start.day, tzinfo=TZ)
        t1 = t0 + timedelta(days=args.days)
        trace = realistic_trace(h.key, t0 - timedelta(days=3), t1 + timedelta(days=4))
        archive = synthetic_archive(trace, h.array(), t0 - timedelta(days=1), t1, seed=args.seed)
    archive.save(args.output)
    print(f"{len(archive)} issued forecasts written to {args.output}")


if __name__ == "__main__":
    main()
