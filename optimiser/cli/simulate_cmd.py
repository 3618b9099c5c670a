"""``wattplan simulate``: replay recorded (or demo) data under tariffs and strategies."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from optimiser.cli.argtypes import (
    float_in,
    iso_day,
    output_dir,
    output_file,
    positive_float,
    positive_int,
    region_letter,
)
from optimiser.cli.errors import OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` subcommand."""
    p = subparsers.add_parser(
        "simulate",
        help="replay recorded data: what would wattplan have saved, under which tariff?",
        description="Replay recorded load and solar (the recorder's SQLite file or a "
        "recorded-data CSV) or the demo year through the production planner, control "
        "translation and Powerwall model, and compare tariffs and strategies in pounds. "
        "no-battery and perfect-foresight always run as the references for savings and "
        "capture ratio.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, metavar="FILE", help="recording (SQLite or CSV)")
    source.add_argument("--demo", action="store_true", help="the built-in demo household year")
    p.add_argument("--days", type=positive_int, metavar="N", help="replay N days (default: all)")
    p.add_argument("--start", type=iso_day, metavar="YYYY-MM-DD", help="first day")
    p.add_argument(
        "--tariff",
        action="append",
        default=[],
        metavar="PRODUCT|FILE.yaml",
        help="tariff to compare (repeatable; default: the config's)",
    )
    p.add_argument(
        "--region",
        type=region_letter,
        metavar="R",
        help="Octopus region letter (default: the config's)",
    )
    p.add_argument(
        "--strategy",
        action="append",
        default=[],
        metavar="NAME",
        help="wattplan, self-powered, time-based, perfect-foresight, no-battery "
        "(repeatable; default: all)",
    )
    p.add_argument("--rules", type=Path, metavar="FILE", help="YAML rules for wattplan")
    p.add_argument(
        "--events",
        type=Path,
        metavar="FILE",
        help="replay saving sessions, power-ups and completed dispatches from an events file "
        "(examples/events.yaml; `wattplan octopus events --save FILE` records Octopus's)",
    )
    p.add_argument(
        "--capacity-kwh", type=positive_float, metavar="X", help="battery capacity override"
    )
    p.add_argument("--power-kw", type=positive_float, metavar="Y", help="battery power override")
    p.add_argument(
        "--horizon-hours",
        type=float_in(0, 168, "hours"),
        help="planning horizon per decision [h] (default: as `wattplan run`, to local "
        "midnight at the end of tomorrow)",
    )
    p.add_argument(
        "--decision-minutes",
        type=positive_int,
        help="minutes between decisions (default: every slot)",
    )
    p.add_argument(
        "--refit-minutes",
        type=positive_float,
        help="re-fit the forecaster only this often, slicing its forecast in between [min] "
        "(faster; default: at every plan, as `wattplan run`)",
    )
    p.add_argument(
        "--forecasts",
        choices=("history", "perfect"),
        default="history",
        help="wattplan's forecasts: from history (production) or the truth",
    )
    p.add_argument(
        "--forecast-archive",
        type=Path,
        metavar="FILE.jsonl",
        help="solar forecasts as a provider issued them (collected with "
        "forecast.weather.keep_answers, or built by benchmarks/forecast_archive.py): each "
        "decision uses the latest issued before it",
    )
    p.add_argument(
        "--step-minutes",
        type=positive_float,
        help="resample the data to this step (default: its own)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="processes for independent tariff × strategy runs and the closed loop's "
        "parallel-in-time chunks (default: one per CPU; 1 = sequential). Results are identical",
    )
    p.add_argument(
        "--budgets",
        metavar="LIST",
        help="the value-per-command frontier: replay wattplan once per daily write budget "
        "(e.g. 2,5,10,20,unlimited; each finite budget with the documented 1 tariff change a "
        "month) and report cost and capture per budget (table, JSON, and frontier.png with "
        "--plot)",
    )
    p.add_argument(
        "--backend",
        choices=("fleet", "v1r"),
        default="fleet",
        help="whose control capabilities the replay plans and acts with: the Fleet API "
        "(reserve ≤ 80 or 100, tariff upload, a daily command budget) or v1r (any reserve, no "
        "tariff upload, no daily quota) (default: fleet)",
    )
    p.add_argument("--csv", type=output_file(".csv"), metavar="FILE", help="write the per-day CSV")
    p.add_argument("--plot", type=output_dir, metavar="DIR", help="write PNG plots to DIR")
    p.add_argument(
        "--report",
        type=output_file(".html"),
        metavar="FILE.html",
        help="write a self-contained HTML report",
    )
    p.add_argument("--json", action="store_true", help="print only JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Replay and report."""
    from zoneinfo import ZoneInfo

    from optimiser.config import load_config
    from optimiser.planning import Horizon, Refit
    from simulations.replay import (
        REFERENCES,
        ClosedLoopOptions,
        ForecastMode,
        Job,
        ReplayError,
        SiteModel,
        Strategy,
        demo_data,
        load_data,
        period_prices,
        run_jobs,
        tariff_for,
    )
    from simulations.replay.report import Comparison, plot, write_csv
    from simulations.replay.validate import actual_run, compare_days

    config = load_config(args.config)
    tz = ZoneInfo(config.site.timezone)
    names = [s.value for s in Strategy]
    unknown = [s for s in args.strategy if s not in names]
    if unknown:
        raise ReplayError(f"expected strategies among {', '.join(names)}, got {unknown}")
    strategies = [Strategy(s) for s in dict.fromkeys(args.strategy or names)]
    strategies += [s for s in REFERENCES if s not in strategies]
    rules = None
    if args.rules:
        from rules import load_rules

        rules = load_rules(args.rules)
    site = SiteModel.from_config(config, capacity_kwh=args.capacity_kwh, power_kw=args.power_kw)
    if args.backend == "v1r":
        from optimiser.control.capabilities import Capabilities

        v1r = Capabilities.v1r(site.spec.units, writes_per_hour=config.control.v1r.writes_per_hour)
        site = SiteModel.from_config(
            config, capacity_kwh=args.capacity_kwh, power_kw=args.power_kw, capabilities=v1r
        )
    config = site.config
    minutes = config.planner.slot_minutes
    if args.decision_minutes is not None and args.decision_minutes % minutes:
        raise ReplayError(
            f"--decision-minutes: expected a multiple of the {minutes}-minute slot "
            f"(planner.slot_minutes), got {args.decision_minutes}"
        )
    if args.demo:
        data = demo_data(args.start, args.days, tz=tz)
    else:
        data = load_data(args.data, step_minutes=args.step_minutes)
        data = data.window(args.start, args.days, tz, minutes)
    options = ClosedLoopOptions(
        forecasts=ForecastMode(args.forecasts),
        horizon=Horizon(hours=args.horizon_hours),
        refit=Refit(args.refit_minutes),
        decision_minutes=args.decision_minutes,
        forecast_archive=None if args.forecast_archive is None else _archive(args.forecast_archive),
    )
    margin_hours = options.price_margin_hours
    region = args.region or config.tariff.region
    comparison = Comparison(data=data, tz=tz)
    tariff_keys = args.tariff or [config.tariff.product]
    if args.budgets is not None:
        return _frontier(
            args, tariff_keys, region, config, data, site, options, rules, margin_hours
        )
    events, dispatches = _events(args.events)
    jobs: list[Job] = []
    for key in tariff_keys:
        tariff = tariff_for(key, region, config, data.start, data.end)
        prices = period_prices(
            tariff, data.start, data.end, minutes, margin_hours, events, dispatches
        )
        comparison.prices[key] = prices
        jobs.extend(Job(s, data, prices, site, options, rules) for s in strategies)
    with _progress(enabled=sys.stderr.isatty()) as bar:
        tasks = [
            bar.add(f"{tariff_keys[j // len(strategies)]}: {job.strategy}")
            for j, job in enumerate(jobs)
        ]
        runs = run_jobs(
            jobs,
            workers=args.workers,
            progress=lambda j, done, total: bar.update(tasks[j], done, total),
        )
    for t, key in enumerate(tariff_keys):
        for run_ in runs[t * len(strategies) : (t + 1) * len(strategies)]:
            comparison.add(key, run_)
        actual = actual_run(data, comparison.prices[key], site)
        if actual is not None:
            comparison.add(key, actual)
            if (key, Strategy.WATTPLAN) in comparison.runs:
                comparison.validation[key] = compare_days(
                    actual, comparison.runs[(key, Strategy.WATTPLAN)], data, tz
                )
    per_day = comparison.per_day()
    for row in per_day:
        if row["strategy"] == Strategy.WATTPLAN:
            for check in comparison.validation.get(row["tariff"], []):
                if check["day"] == row["day"]:
                    row.update({k: v for k, v in check.items() if k != "day"})
    if args.csv:
        write_csv(args.csv, per_day)
    plots = plot(comparison, args.plot) if args.plot else []
    if args.report:
        from optimiser.web.report import write_report

        write_report(args.report, comparison.to_json_dict(), per_day, _weeks(comparison))
    if args.json:
        json.dump(comparison.to_json_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return OK
    _print(comparison, site)
    if args.csv:
        print(f"per-day CSV written to {args.csv}")
    for path in plots:
        print(f"plot written to {path}")
    if args.report:
        print(f"report written to {args.report}")
    return OK


def _frontier(
    args, tariff_keys, region, config, data, site, options, rules, margin_hours: float
) -> int:
    """``--budgets``: wattplan once per daily write budget, against the two references."""
    from dataclasses import replace

    from optimiser.config import DOCUMENTED_LIMITS
    from simulations.replay import ReplayError, period_prices, tariff_for
    from simulations.replay.frontier import (
        frontier_json,
        frontier_point,
        frontier_table,
        parse_budgets,
        plot_frontier,
    )
    from simulations.replay.parallel import Job, run_jobs

    try:
        budgets = parse_budgets(args.budgets)
    except ValueError as exc:
        raise ReplayError(str(exc)) from exc
    minutes = config.planner.slot_minutes
    out: dict[str, list] = {}
    tables: list[str] = []
    plots = []
    for key in tariff_keys:
        tariff = tariff_for(key, region, config, data.start, data.end)
        prices = period_prices(
            tariff, data.start, data.end, minutes, margin_hours, *_events(args.events)
        )
        monthly = DOCUMENTED_LIMITS.tariff_changes_per_month
        sites = [
            replace(
                site,
                capabilities=replace(
                    site.capabilities,
                    commands_per_day=b,
                    tariff_changes_per_month=None if b is None else monthly,
                ),
            )
            for b in budgets
        ]
        jobs = [
            Job(s, data, prices, site, options, rules) for s in ("no-battery", "perfect-foresight")
        ]
        jobs += [Job("wattplan", data, prices, s, options, rules) for s in sites]
        runs = run_jobs(jobs, workers=args.workers)
        points = [
            frontier_point(r, runs[0], runs[1], b) for r, b in zip(runs[2:], budgets, strict=True)
        ]
        out[key] = frontier_json(points)
        tables.append(f"{key}:\n{frontier_table(points)}")
        if args.plot:
            plots.append(plot_frontier(points, args.plot / key, key))
    if args.json:
        json.dump({"frontier": out}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return OK
    print("\n\n".join(tables))
    for path in plots:
        print(f"plot written to {path}")
    return OK


def _weeks(comparison) -> dict:
    """Per tariff, the data's middle week: prices and each strategy's stored energy."""
    weeks = {}
    for key in dict.fromkeys(k for k, _ in comparison.runs):
        runs = {s: r for (k, s), r in comparison.runs.items() if k == key}
        sample = next(iter(runs.values()))
        length = int(7 * 24 / sample.dt_h)
        start = max(len(sample.epoch_s) // 2 - length // 2, 0)
        window = slice(start, start + length)
        weeks[key] = {
            "epoch_s": sample.epoch_s[window],
            "import_price": sample.import_price[window],
            "export_price": sample.export_price[window],
            **{f"soe_kwh:{s}": r.soe_kwh[window] for s, r in runs.items() if s != "no-battery"},
        }
    return weeks


def _archive(path: Path):
    """The archive of issued forecasts at ``path``; a bad file is a replay error naming it."""
    from optimiser.forecast.weather import ForecastArchive, WeatherUnavailable
    from simulations.replay import ReplayError

    try:
        return ForecastArchive.load(path.expanduser())
    except (OSError, ValueError, WeatherUnavailable) as exc:
        raise ReplayError(f"cannot read the forecast archive {path}: {exc}") from exc


def _events(path: Path | None) -> tuple[tuple, tuple]:
    """(events, dispatches) to replay from an events file: its saving sessions and
    power-ups, and its completed dispatches (a replay knows which happened; planned ones may
    have been cancelled)."""
    if path is None:
        return (), ()
    from tariffs.events import DispatchStatus
    from tariffs.events_file import load_events_file

    events, dispatches = load_events_file(path)
    return events, tuple(d for d in dispatches if d.status is DispatchStatus.COMPLETED)


class _progress:
    """A rich progress bar on stderr (a no-op when stderr is not a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar = None

    def __enter__(self) -> _progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(stderr=True), transient=True)
            self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def add(self, label: str):
        return None if self._bar is None else self._bar.add_task(label, total=None)

    def update(self, task, done: int, total: int) -> None:
        if self._bar is not None and task is not None:
            self._bar.update(task, completed=done, total=total)


def _print(comparison, site) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 120)
    data = comparison.data
    console.print(
        f"[bold]Replay[/bold] {data.source}: {data.start:%Y-%m-%d %H:%M} → "
        f"{data.end:%Y-%m-%d %H:%M} UTC, step {data.step_s / 60:g} min; battery "
        f"{site.capacity_kwh:g} kWh / {site.spec.max_charge_kw:g} kW, reserve "
        f"{site.policy.reserve_floor_app_percent:g}% (app), control: {site.capabilities.name}"
    )
    if data.quality_lines:
        console.print("data quality:")
        for line in data.quality_lines:
            console.print(f"  {line}")
    rows = comparison.summary()
    for key, prices in comparison.prices.items():
        table = Table(title=f"{prices.name} — prices: {prices.basis}", title_justify="left")
        for name in ("strategy", "cost £", "import kWh", "export kWh", "throughput kWh"):
            table.add_column(name, justify="left" if name == "strategy" else "right")
        for name in ("cycles", "savings £", "capture", "left kWh"):
            table.add_column(name, justify="right")
        for row in rows:
            if row["tariff"] != key:
                continue
            table.add_row(
                row["strategy"],
                f"{row['cost_gbp']:.2f}",
                f"{row['import_kwh']:.0f}",
                f"{row['export_kwh']:.0f}",
                f"{row['throughput_kwh']:.0f}",
                f"{row['cycles']:.1f}",
                "—" if row["savings_gbp"] is None else f"{row['savings_gbp']:.2f}",
                "—" if row["capture_ratio"] is None else f"{100 * row['capture_ratio']:.0f}%",
                f"{row['stored_change_kwh']:+.1f}",
            )
        console.print(table)
        standing = next((r["standing_gbp"] for r in rows if r["tariff"] == key), 0.0)
        console.print(
            f"  costs include £{standing:.2f} standing charges; 'left kWh' is the change in "
            "stored energy over the period, not counted in the costs"
        )
        for (k, strategy), run in comparison.runs.items():
            for note in run.notes if k == key else ():
                console.print(f"  {strategy}: {note}")
            commands = run.stats.get("commands") if k == key else None
            if commands:
                budget = commands.get("per_day_budget")
                console.print(
                    f"  {strategy}: Fleet commands {commands['mean_per_day']:.1f}/day "
                    f"(max {commands['max_per_day']}"
                    + ("" if budget is None else f", budget {budget}")
                    + f"), {commands['skipped_total']} skipped, "
                    f"{commands['forced_refused']} forced states refused for the budget"
                )
        checks = comparison.validation.get(key)
        if checks:
            table = Table(title=f"{prices.name} — recorded battery vs wattplan, per day")
            for name in ("day", "actual £", "wattplan £", "Δ £", "actual out", "wattplan out"):
                table.add_column(name, justify="right")
            table.add_column("recorded modes")
            for check in checks:
                table.add_row(
                    check["day"],
                    f"{check['actual_cost_gbp']:.2f}",
                    f"{check['wattplan_cost_gbp']:.2f}",
                    f"{check['difference_gbp']:+.2f}",
                    f"{check['actual_discharged_kwh']:.1f}",
                    f"{check['wattplan_discharged_kwh']:.1f}",
                    check["actual_modes"],
                )
            console.print(table)
