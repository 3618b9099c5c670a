"""The sweep on Dask: one task per household, results written as each completes.

The same code runs on a laptop (a :class:`distributed.LocalCluster` on loopback, the default)
and on any Dask deployment (``--scheduler tcp://HOST:8786``: ``dask scheduler`` and
``dask worker`` on a cluster, or SSH, Kubernetes, HPC job queues). Workers need wattplan
installed and, for recordings, the files at the same paths.

Each household is one task (:func:`simulations.sweep.task.run_household`) submitted with
``retries``: an exception other than a household's own bad data is retried on another worker,
and the scheduler reschedules the tasks of a worker that dies. The client writes each
household's rows (:class:`simulations.sweep.store.ResultStore`) as its task completes, so
the workers need no shared output folder and an interrupted sweep loses only tasks in flight.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from distributed import Client, LocalCluster, as_completed

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError
from simulations.sweep.households import Household
from simulations.sweep.store import ResultStore
from simulations.sweep.task import HouseholdResult, SweepSpec, run_household

DEFAULT_RETRIES = 2
Progress = Callable[[HouseholdResult, int, int], None]  # (result, completed, to run)


class SchedulerUnreachable(WattplanError):
    """No Dask scheduler answered at the address given; try again when it runs."""

    next_step = NextStep.GAP_AND_RETRY
    kind = ErrorKind.TEMPORARY


@dataclass
class SweepOutcome:
    """What a sweep did.

    Attributes
    ----------
    replayed : list of str
        Households replayed now.
    skipped : list of str
        Households already done in the output folder (resumed).
    failures : list of HouseholdResult
        Households that could not be replayed, with the reason.
    seconds : float
        Wall time of the tasks' submission to the last result. [s]
    task_seconds, task_cpu_seconds : float
        The tasks' own wall and CPU time, added up over workers. [s]
    """

    replayed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failures: list[HouseholdResult] = field(default_factory=list)
    seconds: float = 0.0
    task_seconds: float = 0.0
    task_cpu_seconds: float = 0.0


@contextmanager
def dask_client(
    scheduler: str | None = None, workers: int | None = None, *, connect_s: float = 30.0
) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler`` (``tcp://HOST:8786``; tried for
    ``connect_s`` [s]), or of a local cluster on loopback with ``workers`` single-threaded
    worker processes (default: one per CPU)."""
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=connect_s)
        except OSError as exc:
            raise SchedulerUnreachable(
                f"--scheduler: expected a Dask scheduler at {scheduler}, got: {exc}",
                hint="start one with `dask scheduler` (and workers with `dask worker "
                f"{scheduler}`)",
            ) from exc
        with client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run_sweep(
    client: Client,
    households: list[Household],
    spec: SweepSpec,
    store: ResultStore,
    *,
    retries: int = DEFAULT_RETRIES,
    progress: Progress | None = None,
) -> SweepOutcome:
    """Replay every household not yet in ``store`` on ``client``'s cluster (see the module
    docstring); ``progress`` is told of each completed household."""
    outcome = SweepOutcome()
    pending = []
    for household in households:
        if store.done(household.key):
            outcome.skipped.append(household.key)
        else:
            pending.append(household)
    started = time.perf_counter()
    futures = {
        client.submit(run_household, h, spec, retries=retries, pure=False): h for h in pending
    }
    completed = 0
    try:
        for future in as_completed(futures):
            household = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # the task failed after its retries: report, carry on
                result = HouseholdResult(
                    household.key, household.source, error=f"{type(exc).__name__}: {exc}"
                )
            future.release()
            completed += 1
            if result.error is None:
                store.write(result)
                outcome.replayed.append(result.key)
                outcome.task_seconds += result.seconds
                outcome.task_cpu_seconds += result.cpu_seconds
            else:
                outcome.failures.append(result)
            if progress is not None:
                progress(result, completed, len(pending))
    finally:
        client.cancel([f for f in futures if not f.done()])
    outcome.seconds = time.perf_counter() - started
    return outcome
