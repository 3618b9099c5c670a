"""Parallel-in-time replay: chunks of the period in parallel processes, then an exact fix-up.

The closed loop is sequential by nature: each decision starts from the battery's stored energy
and the previous plan (the stability penalty) that the decision before left. To use several
cores without changing a single number:

1. **split** the decisions into ``K`` chunks of at least :data:`MIN_CHUNK_DAYS` days, each
   starting at a decision where the sequential replay (re-)fits its forecaster (with
   production's refit at every plan: any decision), so a chunk's forecasts are exactly the
   sequential ones;
2. **guess**: every chunk runs in its own process (fork; nothing is pickled on the way in),
   chunk 0 from the true initial state, chunk ``k > 0`` from a guess (the site's initial
   stored energy and no previous plan). Each records, before every decision, the carried state
   it decided from;
3. **fix up**, in order: chunk ``k > 0`` is re-run decision by decision from the true end
   state of chunk ``k − 1``. Before each decision the true carried state is compared with the
   guessed run's state at the same decision. Once they are equal the rest of the chunk is
   necessarily identical (the loop is deterministic in that state), and is spliced in from
   the guessed run. If they never meet, the re-run simply completes the chunk.

**Equality is exact**, never a tolerance, so the spliced ledger is bit-identical to the
sequential one: stored energy is compared as floats with ``==``; the previous plan through a
128-bit BLAKE2b digest of its exact bytes (grid, status, every per-slot array, start stored
energy, first-slot hours, actions, cost); the simulated device's settings exactly (the tariff
by content) and the command budget as the commands already spent on the decision's UTC day
(the budget resets each day, so equal spending on the same day means an equal future). Left
out are the plan's ``objective_p`` (it includes
the stability penalty against the plan *before* it, and nothing reads it afterwards) and its
timings. The lifetime charge/discharge counters never influence a decision and are
cumulative, so they are not compared: the spliced end state carries the true counters at the
meeting point plus the guessed run's increments after it.

Statistics (``stats["parallel"]``): workers, chunk first decisions, decisions re-run per chunk
(chunk 0: always 0), and whether each chunk converged. ``stats["seconds"]`` then adds CPU
seconds over all processes (including the re-runs), not wall time.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing as mp
import os
import queue as queue_mod
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, fields
from multiprocessing.queues import Queue

import numpy as np

from optimiser.control.budget import BudgetState
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallState
from optimiser.planner import Plan
from rules.schema import RulesFile
from simulations.replay.closed_loop import ClosedLoop, Progress, run_closed_loop
from simulations.replay.commands import CommandRecord
from simulations.replay.data import ReplayData
from simulations.replay.ledger import StrategyRun
from simulations.replay.options import ClosedLoopOptions, Strategy
from simulations.replay.prices import PeriodPrices
from simulations.replay.site import SiteModel
from simulations.replay.strategies import run_strategy

MIN_CHUNK_DAYS = 7.0  # shorter chunks are not worth a process and rarely converge [days]
LEDGER_ARRAYS = (
    "grid_kw",
    "battery_kw",
    "solar_kw",
    "load_kw",
    "curtailed_kw",
    "soe_kwh",
    "reserve_kwh",
)
JobProgress = Callable[[int, int, int], None]  # (job index, steps done, steps in total)


@dataclass(frozen=True, eq=False)
class Job:
    """One strategy to replay on one tariff's prices: the closed loop (``wattplan``) in
    chunks, anything else whole in one process."""

    strategy: Strategy
    data: ReplayData
    prices: PeriodPrices
    site: SiteModel
    options: ClosedLoopOptions = field(default_factory=ClosedLoopOptions)
    rules: RulesFile | None = None

    @property
    def chunked(self) -> bool:
        """Whether this job is the closed loop (the only strategy run in chunks)."""
        return self.strategy is Strategy.WATTPLAN


@dataclass(frozen=True, eq=False)
class ChunkRun:
    """A chunk replayed from a guessed (or, for chunk 0, the true) initial state.

    Per decision ``first ≤ d < last`` (index ``d − first``): ``soe_at`` [kWh] and
    ``counters_at`` (lifetime charged, discharged [kWh]) before it, ``digest_at`` of the
    previous plan it saw, ``device_at`` the simulated device's settings it saw, ``intents``
    acted on, ``budget_at`` the commands already spent on its UTC day and ``commands`` a backend
    would have sent (and skipped). ``rows`` are the ledger's arrays over the
    chunk's steps ``[step_first, step_end)``.
    """

    first: int
    last: int
    step_first: int
    step_end: int
    rows: dict[str, np.ndarray]
    soe_at: np.ndarray
    counters_at: np.ndarray
    digest_at: list[bytes]
    intents: list[str]
    device_at: list[Settings]
    budget_at: list[int]
    commands: list[CommandRecord]
    end_state: PowerwallState
    end_device: Settings
    end_budget: BudgetState
    end_plan: Plan | None
    fits: int
    seconds: dict[str, float]


def plan_digest(plan: Plan | None) -> bytes:
    """A 128-bit digest of everything in a plan a later decision could read (exact bytes)."""
    if plan is None:
        return b""
    h = hashlib.blake2b(digest_size=16)
    grid = plan.grid
    head = (
        grid.start.timestamp(),
        grid.minutes,
        grid.count,
        str(plan.status),
        float(plan.start_soe_kwh),
        plan.first_slot_hours,
        tuple(str(a) for a in plan.actions),
        float(plan.cost_gbp),
    )
    h.update(repr(head).encode())
    for f in fields(plan):
        value = getattr(plan, f.name)
        if isinstance(value, np.ndarray):
            array = np.ascontiguousarray(value)
            h.update(f"{f.name}:{array.dtype.str}:{array.shape}".encode())
            h.update(array.tobytes())
    return h.digest()


def chunk_spans(
    loop: ClosedLoop, workers: int, *, min_days: float = MIN_CHUNK_DAYS
) -> list[tuple[int, int]]:
    """Decision ranges ``[first, last)``: up to ``workers`` chunks of ≥ ``min_days`` each.

    Chunks start at forecaster fit points (see :meth:`ClosedLoop.fit_points`) nearest to an
    even split; one span (the whole period) when the period is too short to split.
    """
    min_decisions = max(1, int(np.ceil(min_days * 86400 / loop.decision_s)))
    k = min(workers, loop.count // min_decisions)
    if k < 2:
        return [(0, loop.count)]
    candidates = np.array([d for d in loop.fit_points() if d > 0], dtype=np.int64)
    cuts = [0]
    for i in range(1, k):
        if candidates.size == 0:
            break
        target = loop.count * i / k
        cut = int(candidates[np.argmin(np.abs(candidates - target))])
        if cut - cuts[-1] >= min_decisions and loop.count - cut >= min_decisions:
            cuts.append(cut)
    cuts.append(loop.count)
    return list(itertools.pairwise(cuts))


def run_chunk(
    job: Job, first: int, last: int, report: Callable[[int], None] | None = None
) -> ChunkRun:
    """Replay decisions ``[first, last)``; chunk 0 from the true state, others from a guess."""
    loop = ClosedLoop(job.data, job.prices, job.site, job.options, job.rules)
    ledger = loop.new_ledger()
    forecasting = loop.new_forecasting()
    state = PowerwallState(soe_kwh=job.site.initial_soe_kwh)
    previous = None
    n = last - first
    soe_at = np.empty(n)
    counters_at = np.empty((n, 2))
    digest_at: list[bytes] = []
    intents: list[str] = []
    device_at: list[Settings] = []
    budget_at: list[int] = []
    commands: list[CommandRecord] = []
    every = max(1, n // 50)
    for i, d in enumerate(range(first, last)):
        soe_at[i] = state.soe_kwh
        counters_at[i] = (state.charged_kwh, state.discharged_kwh)
        digest_at.append(plan_digest(previous))
        device_at.append(loop.device)
        budget_at.append(loop.budget_used(d))
        state, previous, intent = loop.decide(d, state, previous, forecasting, ledger)
        intents.append(intent)
        commands.append(loop.last_control)
        if report is not None and (i + 1) % every == 0:
            report(int(loop.bounds[d, 1] - loop.bounds[first, 0]))
    a, b = int(loop.bounds[first, 0]), int(loop.bounds[last - 1, 1])
    return ChunkRun(
        first=first,
        last=last,
        step_first=a,
        step_end=b,
        rows={name: array[a:b].copy() for name, array in ledger.arrays().items()},
        soe_at=soe_at,
        counters_at=counters_at,
        digest_at=digest_at,
        intents=intents,
        device_at=device_at,
        budget_at=budget_at,
        commands=commands,
        end_state=state,
        end_device=loop.device,
        end_budget=loop.budget_counted,
        end_plan=previous,
        fits=forecasting.fits,
        seconds=dict(loop.seconds),
    )


def assemble(
    job: Job, chunks: list[ChunkRun], *, workers: int, report: Callable[[int], None] | None = None
) -> StrategyRun:
    """Fix the chunks up in order against the true state and splice them (module docstring)."""
    loop = ClosedLoop(job.data, job.prices, job.site, job.options, job.rules)
    ledger = loop.new_ledger()
    intents: list[str] = []
    commands: list[CommandRecord] = []
    rerun: list[int] = []
    converged: list[bool] = []
    state = PowerwallState(soe_kwh=job.site.initial_soe_kwh)
    previous: Plan | None = None
    for k, chunk in enumerate(chunks):
        meet = chunk.first if k == 0 else None
        if k > 0:
            forecasting = loop.new_forecasting()
            digest = plan_digest(previous)
            for d in range(chunk.first, chunk.last):
                i = d - chunk.first
                if (
                    state.soe_kwh == chunk.soe_at[i]
                    and digest == chunk.digest_at[i]
                    and _same_device(loop.device, chunk.device_at[i])
                    and loop.budget_used(d) == chunk.budget_at[i]
                ):
                    meet = d
                    break
                state, previous, intent = loop.decide(d, state, previous, forecasting, ledger)
                intents.append(intent)
                commands.append(loop.last_control)
                digest = plan_digest(previous)
        rerun.append((chunk.last if meet is None else meet) - chunk.first)
        converged.append(meet is not None)
        if meet is not None:
            i = meet - chunk.first
            a = int(loop.bounds[meet, 0])
            offset = a - chunk.step_first
            for name, array in ledger.arrays().items():
                array[a : chunk.step_end] = chunk.rows[name][offset:]
            intents.extend(chunk.intents[i:])
            commands.extend(chunk.commands[i:])
            loop.device = chunk.end_device
            loop.budget_counted = chunk.end_budget
            end = chunk.end_state
            state = PowerwallState(
                soe_kwh=end.soe_kwh,
                charged_kwh=state.charged_kwh + (end.charged_kwh - chunk.counters_at[i, 0]),
                discharged_kwh=(
                    state.discharged_kwh + (end.discharged_kwh - chunk.counters_at[i, 1])
                ),
            )
            previous = chunk.end_plan
        if report is not None:
            report(chunk.step_end)
    for chunk in chunks:
        for name, seconds in chunk.seconds.items():
            loop.seconds[name] += seconds
    extra = {
        "parallel": {
            "workers": workers,
            "chunk_starts": [c.first for c in chunks],
            "chunk_decisions": [c.last - c.first for c in chunks],
            "rerun_decisions": rerun,
            "converged": converged,
        }
    }
    return loop.finish(
        ledger, intents, sum(c.fits for c in chunks), extra_stats=extra, commands=commands
    )


def _same_device(a: Settings, b: Settings) -> bool:
    """Exact equality of carried device settings (notes excluded; the tariff by content)."""
    return a == b and a.backup_reserve_app_percent == b.backup_reserve_app_percent


# -- processes ---------------------------------------------------------------------------

_JOBS: list[Job] = []  # inherited by forked workers: nothing is pickled on the way in
_QUEUE: Queue | None = None  # (job, chunk or None, steps done) from the workers


@dataclass(frozen=True)
class _Unit:
    """One process's work: job ``job`` whole, or its decisions ``span`` as chunk ``chunk``."""

    job: int
    span: tuple[int, int] | None = None
    chunk: int = 0


def _report(job: int, chunk: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        _QUEUE.put((job, chunk, done))

    return report


def _worker_init() -> None:
    if _QUEUE is not None:
        _QUEUE.cancel_join_thread()  # never block a worker's exit on unread progress


def _run_unit(unit: _Unit) -> ChunkRun | StrategyRun:
    j = unit.job
    job = _JOBS[j]
    total = len(job.data.trace.epoch_s)
    if unit.span is not None:
        return run_chunk(job, *unit.span, _report(j, unit.chunk))
    every = max(1, total // 50)
    last_sent = [-every]

    def progress(done: int, _total: int) -> None:
        if done - last_sent[0] >= every or done == _total:
            last_sent[0] = done
            _QUEUE.put((j, None, done))

    return _run_whole(job, progress)


def _run_whole(job: Job, progress: Progress | None) -> StrategyRun:
    return run_strategy(
        job.strategy,
        job.data,
        job.prices,
        job.site,
        options=job.options,
        rules=job.rules,
        progress=progress,
    )


def default_workers() -> int:
    """One worker per CPU. [-]"""
    return os.cpu_count() or 1


def run_closed_loop_parallel(
    data: ReplayData,
    prices: PeriodPrices,
    site: SiteModel,
    *,
    options: ClosedLoopOptions = ClosedLoopOptions(),  # noqa: B008 - frozen
    rules: RulesFile | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> StrategyRun:
    """:func:`~simulations.replay.closed_loop.run_closed_loop` in chunks over up to
    ``workers`` processes (None: one per CPU): exactly the sequential result."""
    job = Job(Strategy.WATTPLAN, data, prices, site, options, rules)
    report = None if progress is None else (lambda _job, done, total: progress(done, total))
    return run_jobs([job], workers=workers, progress=report)[0]


def run_jobs(
    jobs: list[Job], *, workers: int | None = None, progress: JobProgress | None = None
) -> list[StrategyRun]:
    """Replay every job, using up to ``workers`` processes (None: one per CPU); in job order.

    The closed-loop jobs are split into chunks (:func:`chunk_spans`) and fixed up in this
    process as soon as all their chunks are in; the other jobs run whole in a worker. With one
    worker, one unit of work, or no ``fork`` start method, everything runs here, in order.
    """
    workers = default_workers() if workers is None else max(1, workers)
    units: list[_Unit] = []
    spans: dict[int, list[tuple[int, int]]] = {}
    for j, job in enumerate(jobs):
        if job.chunked and workers > 1:
            loop = ClosedLoop(job.data, job.prices, job.site, job.options, job.rules)
            spans[j] = chunk_spans(loop, workers)
        if len(spans.get(j, ())) > 1:
            units.extend(_Unit(j, span, i) for i, span in enumerate(spans[j]))
        else:
            spans.pop(j, None)
            units.append(_Unit(j))
    if workers == 1 or len(units) < 2 or "fork" not in mp.get_all_start_methods():
        return [_run_here(j, job, progress) for j, job in enumerate(jobs)]
    return _run_pool(jobs, units, spans, workers, progress)


def _run_here(j: int, job: Job, progress: JobProgress | None) -> StrategyRun:
    report = None if progress is None else (lambda done, total: progress(j, done, total))
    if job.chunked:
        return run_closed_loop(
            job.data, job.prices, job.site, options=job.options, rules=job.rules, progress=report
        )
    return _run_whole(job, report)


def _run_pool(
    jobs: list[Job],
    units: list[_Unit],
    spans: dict[int, list[tuple[int, int]]],
    workers: int,
    progress: JobProgress | None,
) -> list[StrategyRun]:
    global _JOBS, _QUEUE
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    _JOBS, _QUEUE = list(jobs), queue
    results: dict[int, StrategyRun] = {}
    chunks: dict[int, dict[int, ChunkRun]] = {j: {} for j in spans}
    chunk_done: dict[tuple[int, int], int] = {}
    totals = {j: len(job.data.trace.epoch_s) for j, job in enumerate(jobs)}

    def drain() -> None:
        while True:
            try:
                j, chunk, done = queue.get_nowait()
            except queue_mod.Empty:
                return
            if progress is None:
                continue
            if chunk is not None:  # steps done over the job's chunks; the fix-up ends it
                chunk_done[(j, chunk)] = done
                done = sum(v for (jj, _), v in chunk_done.items() if jj == j)
                done = min(done, totals[j] - 1)
            progress(j, done, totals[j])

    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(units)), mp_context=ctx, initializer=_worker_init
        ) as pool:
            pending: dict[Future, _Unit] = {pool.submit(_run_unit, u): u for u in units}
            while pending:
                finished, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                drain()
                for future in finished:
                    unit = pending.pop(future)
                    j = unit.job
                    if unit.span is None:
                        results[j] = future.result()
                        if progress is not None:
                            progress(j, totals[j], totals[j])
                        continue
                    chunks[j][unit.span[0]] = future.result()
                    if len(chunks[j]) == len(spans[j]):
                        ordered = [chunks[j][a] for a, _ in spans[j]]
                        report = None
                        if progress is not None:

                            def report(done: int, j: int = j) -> None:
                                progress(j, done, totals[j])

                        results[j] = assemble(jobs[j], ordered, workers=workers, report=report)
            drain()
    finally:
        _JOBS, _QUEUE = [], None
    return [results[j] for j in range(len(jobs))]
