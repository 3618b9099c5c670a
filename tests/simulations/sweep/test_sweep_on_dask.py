"""Sweeps on a real local Dask cluster (2 worker processes on loopback): end to end, the same
to the penny as ``wattplan simulate``, a bad recording reported while the rest completes,
resuming, and a worker killed mid-sweep."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import UTC, date, datetime

import pytest

from optimiser.cli import main
from optimiser.config import Config
from optimiser.planning import Horizon
from simulations.datasets import write_recorded_csv
from simulations.datasets.realistic import household_trace
from simulations.replay import ClosedLoopOptions
from simulations.sweep import (
    Axes,
    ResultStore,
    SweepSpec,
    Window,
    dask_client,
    population,
    recordings,
    run_sweep,
)

HORIZON_HOURS = 12.0  # short plans keep the replays quick
DAY = date(2025, 3, 2)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WATTPLAN_STATE_DIR", str(tmp_path_factory.mktemp("state")))
        mp.delenv("WATTPLAN_CONFIG", raising=False)
        with dask_client(workers=2) as client:
            yield client


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Two households' recordings (3 days at 5 minutes) and a file that is not one."""
    root = tmp_path_factory.mktemp("recordings")
    for home in population(2, seed=11):
        trace = household_trace(
            home.home, datetime(2025, 2, 28, tzinfo=UTC), datetime(2025, 3, 3, tzinfo=UTC)
        )
        write_recorded_csv(trace, root / f"{home.key}.csv", noise=0.02, seed=1)
    (root / "broken.csv").write_text("timestamp,load_w\nyesterday,lots\n")
    return root


def _spec(axes: Axes, window: Window) -> SweepSpec:
    options = ClosedLoopOptions(horizon=Horizon(hours=HORIZON_HOURS))
    return SweepSpec(axes=axes, window=window, config=Config(), options=options)


FLUX = Axes.parse(tariffs=["flux"], regions=["C"], strategies=[], batteries=[], budgets=[])


def test_a_sweep_matches_simulate_reports_bad_data_and_resumes(client, folder, tmp_path, capsys):
    households = recordings([folder])
    spec = _spec(FLUX, Window(DAY, 1))
    store = ResultStore(tmp_path / "out")
    store.open({"test": 1})
    seen = []
    outcome = run_sweep(client, households, spec, store, progress=lambda r, d, n: seen.append(d))
    assert sorted(outcome.replayed) == ["s11-00000", "s11-00001"]
    assert seen == [1, 2, 3]
    [failure] = outcome.failures
    assert failure.key == "broken" and failure.source == str(folder / "broken.csv")
    assert "broken.csv" in failure.error

    table = store.combine(h.key for h in households).to_pylist()
    assert len(table) == 2 * 3  # wattplan, no-battery, perfect-foresight per household
    mine = {r["strategy"]: r for r in table if r["household"] == "s11-00001"}

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))
        code = main(
            [
                "simulate",
                "--data",
                str(folder / "s11-00001.csv"),
                "--start",
                DAY.isoformat(),
                "--days",
                "1",
                "--tariff",
                "flux",
                "--region",
                "C",
                "--strategy",
                "wattplan",
                "--capacity-kwh",
                "13.5",
                "--power-kw",
                "5",
                "--horizon-hours",
                str(HORIZON_HOURS),
                "--json",
            ]
        )
    assert code == 0
    alone = {r["strategy"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert set(alone) == set(mine)
    for strategy, row in alone.items():
        cell = mine[strategy]
        assert round(cell["cost_gbp"], 2) == row["cost_gbp"], strategy
        assert round(cell["savings_gbp"], 2) == row["savings_gbp"], strategy
        assert round(cell["import_kwh"], 1) == row["import_kwh"], strategy
        assert round(cell["export_kwh"], 1) == row["export_kwh"], strategy
        assert round(cell["cycles"], 1) == row["cycles"], strategy
    assert round(mine["wattplan"]["capture_ratio"], 3) == alone["wattplan"]["capture_ratio"]
    assert mine["wattplan"]["commands"] > 0

    again = run_sweep(client, households, spec, store)
    assert sorted(again.skipped) == ["s11-00000", "s11-00001"]
    assert again.replayed == [] and [f.key for f in again.failures] == ["broken"]


def test_a_worker_killed_mid_sweep_does_not_stop_the_sweep(client, tmp_path):
    households = population(4, seed=5)
    spec = _spec(FLUX, Window(DAY, 1, 30))
    store = ResultStore(tmp_path / "out")
    store.open({"test": 2})
    killed = []

    def kill_a_busy_worker(result, done, total):
        if killed:
            return
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.05)

    outcome = run_sweep(client, households, spec, store, progress=kill_a_busy_worker)
    assert killed, "no task was in flight to kill"
    assert outcome.failures == []
    assert sorted(outcome.replayed) == sorted(h.key for h in households)
    assert store.combine(h.key for h in households).num_rows == 4 * 3
    client.wait_for_workers(2, timeout=60)
