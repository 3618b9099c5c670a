"""``wattplan sweep``: many households × tariffs × strategies × batteries × budgets on Dask."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import date
from pathlib import Path

from optimiser.cli.argtypes import float_in, non_negative_int, positive_float, positive_int
from optimiser.cli.errors import FAILED, OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand."""
    p = subparsers.add_parser(
        "sweep",
        help="replay many households under many tariffs and battery sizes, on Dask",
        description="Replay every household (recordings, or a generated population) under "
        "every tariff × region × strategy × battery × budget, through the replay engine of "
        "`wattplan simulate` (a cell is the same to the penny as simulate on that household "
        "alone). One Dask task per household, on a local cluster (default) or the scheduler "
        "given; results are written per household as they complete, so an interrupted sweep "
        "resumes where it stopped. no-battery and perfect-foresight always run as the "
        "references for savings and capture.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--data",
        type=Path,
        action="append",
        metavar="PATH",
        help="a recording (SQLite or CSV) or a folder of them (repeatable)",
    )
    source.add_argument(
        "--list", type=Path, metavar="FILE", help="a file listing recordings, one a line"
    )
    source.add_argument(
        "--population", type=positive_int, metavar="N", help="generate N households"
    )
    p.add_argument("--seed", type=int, default=0, help="the population's seed (default 0)")
    p.add_argument(
        "--tariff",
        action="append",
        default=[],
        metavar="PRODUCT|FILE.yaml",
        help="tariff to compare (repeatable; default: the config's)",
    )
    p.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="R",
        help="Octopus region letter (repeatable; default: the config's)",
    )
    p.add_argument(
        "--strategy",
        action="append",
        default=[],
        metavar="NAME",
        help="wattplan, self-powered, time-based (repeatable; default: wattplan); "
        "no-battery and perfect-foresight always run",
    )
    p.add_argument(
        "--battery",
        action="append",
        default=[],
        metavar="KWH/KW",
        help="battery capacity [kWh] / power [kW], e.g. 13.5/5 or 27/10 (repeatable; "
        "default 13.5/5)",
    )
    p.add_argument(
        "--budget",
        action="append",
        default=[],
        metavar="LIMITS",
        help="the closed loop's Fleet write budget: documented (5 a day), observed (20), a "
        "number a day or unlimited (repeatable; default: the config's)",
    )
    p.add_argument("--days", type=positive_int, metavar="N", help="replay N days (default: all)")
    p.add_argument(
        "--start",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="first day (default: each recording's first; a population's 2025-01-01)",
    )
    p.add_argument(
        "--step-minutes",
        type=positive_float,
        help="resample the data to this step (default: recordings their own, a population 5)",
    )
    p.add_argument(
        "--horizon-hours",
        type=float_in(0, 168, "hours"),
        help="planning horizon per decision [h] (default: as `wattplan run`)",
    )
    p.add_argument(
        "--decision-minutes", type=int, help="minutes between decisions (default: every slot)"
    )
    p.add_argument(
        "--refit-minutes",
        type=float,
        help="re-fit the forecaster only this often [min] (default: at every plan)",
    )
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:8786",
        help="a running Dask scheduler (default: a local cluster on loopback)",
    )
    p.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="local cluster: worker processes (default: one per CPU)",
    )
    p.add_argument(
        "--retries",
        type=non_negative_int,
        default=2,
        metavar="N",
        help="times Dask retries a household's task after an error (default 2)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("sweep-results"),
        metavar="DIR",
        help="results folder (default: sweep-results); an existing one resumes",
    )
    p.add_argument(
        "--plot", action="store_true", help="write savings box plots into the results folder"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Sweep, write the table and print the summary."""
    from optimiser.config import load_config
    from optimiser.planning import Horizon, Refit
    from simulations.replay import ClosedLoopOptions
    from simulations.sweep import (
        Axes,
        ResultStore,
        SweepSpec,
        Window,
        dask_client,
        plot_savings,
        population,
        recordings,
        run_sweep,
        summarise,
    )

    if not args.verbose:  # Dask's scheduler and nanny log every start and stop at INFO
        logging.getLogger("distributed").setLevel(logging.WARNING)
    config = load_config(args.config)
    axes = Axes.parse(
        tariffs=args.tariff or [config.tariff.product],
        regions=args.region or [config.tariff.region],
        strategies=args.strategy,
        batteries=args.battery,
        budgets=args.budget,
    )
    _check_tariffs(axes, live=config.tariff.live)
    if args.population is not None:
        households = population(args.population, args.seed)
    else:
        households = recordings(args.data or [], args.list)
    window = Window(args.start, args.days, args.step_minutes)
    options = ClosedLoopOptions(
        horizon=Horizon(hours=args.horizon_hours),
        refit=Refit(args.refit_minutes),
        decision_minutes=args.decision_minutes,
    )
    spec = SweepSpec(axes=axes, window=window, config=config, options=options)
    store = ResultStore(args.out)
    store.open(  # what the results depend on; a larger population with the same seed resumes
        {
            "axes": axes,
            "window": window,
            "options": options,
            "config": config.model_dump(mode="json"),
            "households": "recordings" if args.population is None else f"seed {args.seed}",
        }
    )
    print(
        f"sweep: {len(households)} households × {axes.cells_per_household} cells → {args.out}",
        file=sys.stderr,
    )
    started = time.perf_counter()
    with dask_client(args.scheduler, args.workers) as client:
        workers = len(client.scheduler_info(n_workers=-1)["workers"])
        print(f"sweep: Dask {client.scheduler.address}, {workers} workers", file=sys.stderr)
        outcome = run_sweep(
            client, households, spec, store, retries=args.retries, progress=_progress(started)
        )
    table = store.combine(h.key for h in households)
    failures = store.write_failures(outcome.failures)
    wall = time.perf_counter() - started
    _print_summary(summarise(table))
    print(
        f"{len(outcome.replayed)} households replayed, {len(outcome.skipped)} already done, "
        f"{len(outcome.failures)} failed; {wall:.1f} s wall, {outcome.task_seconds:.1f} s in "
        f"tasks ({outcome.task_cpu_seconds:.1f} s CPU)"
    )
    for failure in outcome.failures:
        print(f"  failed: {failure.source}: {failure.error}")
    print(f"cells: {args.out / 'cells.parquet'}, {args.out / 'cells.csv'} ({table.num_rows} rows)")
    if failures is not None:
        print(f"failures: {failures}")
    if args.plot:
        print(f"plot written to {plot_savings(table, args.out)}")
    return OK if table.num_rows or not households else FAILED


def _check_tariffs(axes, *, live: bool) -> None:
    """Fail before submitting anything when a tariff file is bad or, offline, a product or
    region is unknown (live, Octopus may know products that are not built in)."""
    from tariffs import builtin_tariff, load_custom_tariff

    for key, region in axes.priced():
        if region is None:
            load_custom_tariff(Path(key).expanduser())
        elif not live:
            builtin_tariff(key, region)


def _progress(started: float):
    """Completed households on stderr: a line each on a terminal, every 5 % otherwise."""
    tty = sys.stderr.isatty()

    def report(result, done: int, total: int) -> None:
        step = max(1, total // 20)
        if not tty and done % step and done != total and result.error is None:
            return
        state = "failed" if result.error else "done"
        print(
            f"sweep: {done}/{total} households ({result.key} {state}, "
            f"{time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
        )

    return report


def _print_summary(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 120)
    for (strategy, budget), group in summary.groupby(["strategy", "budget"], sort=False):
        title = strategy if budget in ("—", "config") else f"{strategy}, budget {budget}"
        table = Table(title=f"{title} — savings against no battery, per household")
        for name in ("tariff", "battery", "homes", "median £", "p10 £", "p90 £"):
            table.add_column(name, justify="left" if name in ("tariff", "battery") else "right")
        for name in ("capture", "best tariff", "median cost £"):
            table.add_column(name, justify="right")
        for row in group.itertuples():
            table.add_row(
                row.tariff,
                row.battery,
                str(row.households),
                f"{row.median_savings_gbp:.2f}",
                f"{row.p10_savings_gbp:.2f}",
                f"{row.p90_savings_gbp:.2f}",
                "—" if row.median_capture != row.median_capture else f"{row.median_capture:.0%}",
                f"{row.best_share:.0%}",
                f"{row.median_cost_gbp:.2f}",
            )
        console.print(table)
