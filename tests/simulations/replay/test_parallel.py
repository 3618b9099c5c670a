"""Parallel-in-time replay gives exactly the sequential result (not approximately)."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest

from optimiser.domain.powerwall import PowerwallState
from optimiser.planning import Refit
from simulations.replay import (
    ClosedLoopOptions,
    ForecastMode,
    Strategy,
    run_closed_loop,
    run_closed_loop_parallel,
)
from simulations.replay.closed_loop import ClosedLoop
from simulations.replay.parallel import (
    LEDGER_ARRAYS,
    Job,
    assemble,
    chunk_spans,
    plan_digest,
    run_chunk,
    run_jobs,
)
from tests.simulations.replay.conftest import LONDON, period

OPTIONS = ClosedLoopOptions()  # production: history forecasts refitted every plan, settings
DAILY = ClosedLoopOptions(refit=Refit(1440.0))


@pytest.fixture(scope="module")
def fortnight(flux):
    return period(flux, date(2025, 3, 20), 15)  # spans the spring clock change


@pytest.fixture(scope="module")
def sequential(fortnight, site):
    data, prices = fortnight
    return run_closed_loop(data, prices, site, options=OPTIONS)


def assert_identical(a, b) -> None:
    for name in LEDGER_ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.cost_gbp == b.cost_gbp
    assert a.per_day(LONDON) == b.per_day(LONDON)
    for key in ("decisions", "plan_failures", "forecast_fits", "intents"):
        assert a.stats[key] == b.stats[key], key


def test_two_workers_give_exactly_the_sequential_ledger(fortnight, site, sequential):
    data, prices = fortnight
    seen = []
    parallel = run_closed_loop_parallel(
        data,
        prices,
        site,
        options=OPTIONS,
        workers=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert_identical(sequential, parallel)
    stats = parallel.stats["parallel"]
    assert len(stats["chunk_starts"]) == 2
    # The guessed chunk met the true state early: only its first decisions were re-run.
    assert stats["converged"] == [True, True]
    assert 0 < stats["rerun_decisions"][1] < stats["chunk_decisions"][1] // 2
    n = len(data.trace.epoch_s)
    assert seen[-1] == (n, n)
    assert all(0 <= done <= total == n for done, total in seen)
    assert "parallel" not in sequential.stats
    assert sequential.throughput_kwh > 10.0  # the battery really worked


def _chunked(data, prices, site, options, *, broken: bool = False):
    """The sequential run, and the run assembled from two chunks of ≥ 2 days (the second
    chunk's recorded states made unreachable when ``broken``)."""
    job = Job(Strategy.WATTPLAN, data, prices, site, options)
    spans = chunk_spans(ClosedLoop(data, prices, site, options), 2, min_days=2)
    assert len(spans) == 2
    chunks = [run_chunk(job, a, b) for a, b in spans]
    if broken:  # no decision can match a digest of b"never"
        chunks[1] = dataclasses.replace(chunks[1], digest_at=[b"never"] * len(chunks[1].digest_at))
    sequential = run_closed_loop(data, prices, site, options=options)
    return sequential, assemble(job, chunks, workers=2), spans


def test_a_chunk_that_never_converges_is_re_run_to_its_end(flux, site):
    data, prices = period(flux, date(2025, 3, 28), 5, step_minutes=30)
    sequential, run, spans = _chunked(data, prices, site, OPTIONS, broken=True)
    assert run.stats["parallel"]["converged"] == [True, False]
    assert run.stats["parallel"]["rerun_decisions"][1] == spans[1][1] - spans[1][0]
    assert_identical(sequential, run)


def test_a_short_period_runs_sequentially(flux, site):
    data, prices = period(flux, date(2025, 6, 2), 6, step_minutes=30)
    options = ClosedLoopOptions(forecasts=ForecastMode.PERFECT)
    loop = ClosedLoop(data, prices, site, options)
    assert chunk_spans(loop, 2) == [(0, loop.count)]
    assert len(chunk_spans(loop, 2, min_days=2)) == 2
    run = run_closed_loop_parallel(data, prices, site, options=options, workers=2)
    assert "parallel" not in run.stats
    assert run.stats["decisions"] == 6 * 48


def test_chunks_start_where_the_forecaster_refits(fortnight, site):
    data, prices = fortnight
    daily = ClosedLoop(data, prices, site, DAILY)
    fits = set(daily.fit_points())
    # Every 24 h (history read in between waits for the next fit).
    assert 14 <= len(fits) <= 15
    for first, _ in chunk_spans(daily, 3):
        assert first in fits
    every_plan = ClosedLoop(data, prices, site, OPTIONS)
    assert every_plan.fit_points() == list(range(every_plan.count))


def test_a_daily_refit_in_chunks_gives_exactly_the_sequential_ledger(flux, site):
    data, prices = period(flux, date(2025, 3, 28), 5, step_minutes=30)
    sequential, run, _ = _chunked(data, prices, site, DAILY)
    assert run.stats["parallel"]["converged"] == [True, True]
    assert_identical(sequential, run)
    assert run.stats["forecast_fits"] == sequential.stats["forecast_fits"] < run.stats["decisions"]


def test_plan_digest_sees_a_one_ulp_change(fortnight, site):
    data, prices = fortnight
    loop = ClosedLoop(data, prices, site, OPTIONS)
    _, plan, _ = loop.decide(
        0, PowerwallState(soe_kwh=5.0), None, loop.new_forecasting(), loop.new_ledger()
    )
    copy = dataclasses.replace(plan, objective_p=plan.objective_p + 1.0)
    assert plan_digest(copy) == plan_digest(plan)  # the objective is not carried
    charge = plan.charge_kwh.copy()
    charge[-1] = np.nextafter(charge[-1], np.inf)
    assert plan_digest(dataclasses.replace(plan, charge_kwh=charge)) != plan_digest(plan)
    assert plan_digest(None) == b""


def test_jobs_run_in_parallel_in_job_order(flux, site):
    data, prices = period(flux, date(2025, 6, 2), 2, step_minutes=30)
    names = (Strategy.NO_BATTERY, Strategy.SELF_POWERED)
    jobs = [Job(name, data, prices, site) for name in names]
    runs = run_jobs(jobs, workers=2)
    assert [r.strategy for r in runs] == list(names)
    here = run_jobs(jobs, workers=1)
    for a, b in zip(runs, here, strict=True):
        assert np.array_equal(a.grid_kw, b.grid_kw)
