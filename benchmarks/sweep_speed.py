"""How fast a sweep runs on Dask, how it scales with workers, and whether memory stays flat.

Run: ``python benchmarks/sweep_speed.py [--households N] [--days D] [--memory-households M]
[--memory-days E] [--skip-memory]`` from the repository root. Each household is one of a
generated population (:func:`simulations.sweep.population`) replayed under Flux (region C)
with a 13.5 kWh / 5 kW battery: wattplan and the two references, production's horizon and
refit (what ``wattplan sweep`` does by default).

1. **Direct**: one household through :func:`simulations.sweep.run_household` in this process.
2. **Per-task overhead**: the same household as a Dask task on a one-worker local cluster
   (submit → result, less the task's own time), and the round trip of 200 empty tasks.
3. **Scaling**: ``N`` households of ``D`` days on local clusters of 1 and 2 workers:
   household-years per minute (replayed days / 365 per wall minute) and the efficiency
   ``wall(1) / (2 × wall(2))``.
4. **Memory**: ``M`` households of ``E`` days on 2 workers; each worker's RSS after every
   completed household and its peak RSS (``ru_maxrss``) at the end.

The machine's load average is printed with the figures: on a shared machine, wall times and
scaling include other people's work.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser.config import Config
from simulations.sweep import (
    Axes,
    ResultStore,
    SweepSpec,
    Window,
    dask_client,
    population,
    run_household,
    run_sweep,
)

START = date(2025, 3, 1)


def _spec(days: int) -> SweepSpec:
    axes = Axes.parse(tariffs=["flux"], regions=["C"], strategies=[], batteries=[], budgets=[])
    return SweepSpec(axes=axes, window=Window(START, days), config=Config())


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _noop() -> None:
    return None


def _sweep(workers: int, households, spec: SweepSpec):
    with tempfile.TemporaryDirectory() as out, dask_client(workers=workers) as client:
        store = ResultStore(Path(out))
        store.open({})
        started = time.perf_counter()
        outcome = run_sweep(client, households, spec, store)
        wall = time.perf_counter() - started
    assert not outcome.failures, outcome.failures
    return wall, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=8, help="for the scaling runs")
    parser.add_argument("--days", type=int, default=7, help="days per household (scaling)")
    parser.add_argument("--memory-households", type=int, default=50)
    parser.add_argument("--memory-days", type=int, default=2, help="days per household (memory)")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    spec = _spec(args.days)
    homes = population(args.households, seed=2026)
    print(f"{_load()}; {os.cpu_count()} CPUs")

    started, cpu = time.perf_counter(), time.process_time()
    direct = run_household(homes[0], spec)
    direct_s = time.perf_counter() - started
    print(
        f"direct: one household, {args.days} days, {len(direct.rows)} cells: {direct_s:.1f} s "
        f"wall, {time.process_time() - cpu:.1f} s CPU"
    )

    with dask_client(workers=1) as client:
        started = time.perf_counter()
        result = client.submit(run_household, homes[0], spec, pure=False).result()
        round_trip = time.perf_counter() - started
        noops = 200
        started = time.perf_counter()
        client.gather([client.submit(_noop, pure=False) for _ in range(noops)])
        empty = (time.perf_counter() - started) / noops
    assert [r["cost_gbp"] for r in result.rows] == [r["cost_gbp"] for r in direct.rows]
    print(
        f"dask, 1 worker: submit → result {round_trip:.2f} s for a task of {result.seconds:.2f} s "
        f"(overhead {round_trip - result.seconds:.3f} s, same cells as direct); empty task "
        f"round trip {1000 * empty:.1f} ms each over {noops}"
    )

    years = args.households * args.days / 365
    walls = {}
    for workers in (1, 2):
        print(f"{_load()} before {workers} worker(s)")
        wall, outcome = _sweep(workers, homes, spec)
        walls[workers] = wall
        print(
            f"{workers} worker(s): {args.households} households × {args.days} days in {wall:.1f} s "
            f"wall ({outcome.task_seconds:.1f} s in tasks, {outcome.task_cpu_seconds:.1f} s CPU): "
            f"{years / (wall / 60):.3f} household-years per minute; "
            f"{years / (outcome.task_cpu_seconds / 60):.3f} per CPU-minute of the tasks"
        )
    print(f"scaling efficiency 1 → 2 workers: {walls[1] / (2 * walls[2]):.0%}")

    if args.skip_memory:
        return
    many = population(args.memory_households, seed=7)
    samples: dict[str, list[float]] = {}
    clients = []

    def sample(result, done, total) -> None:
        for worker, mb in clients[0].run(_rss_mb).items():
            samples.setdefault(worker, []).append(mb)

    with tempfile.TemporaryDirectory() as out, dask_client(workers=2) as client:
        clients.append(client)
        store = ResultStore(Path(out))
        store.open({})
        started = time.perf_counter()
        outcome = run_sweep(client, many, _spec(args.memory_days), store, progress=sample)
        wall = time.perf_counter() - started
        peaks = client.run(_peak_mb)
    assert not outcome.failures, outcome.failures
    print(
        f"memory: {args.memory_households} households × {args.memory_days} days on 2 workers in "
        f"{wall:.1f} s ({_load()})"
    )
    for i, (worker, rss) in enumerate(sorted(samples.items())):
        tenth = max(1, len(rss) // 10)
        print(
            f"  worker {i}: RSS first 10 % of samples {max(rss[:tenth]):.0f} MB, last 10 % "
            f"{max(rss[-tenth:]):.0f} MB, max sampled {max(rss):.0f} MB, peak RSS "
            f"{peaks[worker]:.0f} MB"
        )


if __name__ == "__main__":
    main()
