"""``wattplan sweep`` from the command line: a small population on a running Dask scheduler
(``--scheduler``, a local cluster's on loopback), the summary and files, resuming, and user
mistakes caught before any cluster is reached."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from distributed import LocalCluster

from optimiser.cli import main
from optimiser.cli.errors import USER_ERROR

SMALL = [
    "sweep",
    "--population",
    "2",
    "--seed",
    "4",
    "--start",
    "2025-07-01",
    "--days",
    "1",
    "--step-minutes",
    "30",
    "--horizon-hours",
    "12",
    "--tariff",
    "flux",
    "--tariff",
    "agile",
]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WATTPLAN_STATE_DIR", str(tmp_path_factory.mktemp("state")))
        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster:
            yield ["--scheduler", cluster.scheduler_address]


def test_a_small_population_end_to_end_then_resumed(env, capsys, scheduler):
    out = env / "out"
    assert main([*SMALL, *scheduler, "--out", str(out), "--plot"]) == 0
    printed = capsys.readouterr()
    assert "wattplan — savings against no battery" in printed.out
    assert "2 households replayed, 0 already done, 0 failed" in printed.out
    assert "sweep: 2/2 households" in printed.err
    assert "2 workers" in printed.err
    cells = pq.read_table(out / "cells.parquet").to_pandas()
    assert len(cells) == 2 * 2 * 3  # households × tariffs × (wattplan, references)
    assert set(cells["tariff"]) == {"flux", "agile"}
    assert cells["peak_export_kw"].ge(0).all()
    assert (out / "cells.csv").exists() and (out / "savings-wattplan.png").exists()

    assert main([*SMALL, *scheduler, "--out", str(out)]) == 0
    assert "0 households replayed, 2 already done" in capsys.readouterr().out
    assert main([*SMALL, *scheduler, "--days", "2", "--out", str(out)]) == USER_ERROR
    assert "found another's" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--battery", "13.5"], "CAPACITY_KWH/POWER_KW"),
        (["--tariff", "nonesuch"], "nonesuch"),
        (["--budget", "lots"], "--budget: expected"),
    ],
)
def test_mistakes_are_told_before_any_cluster_is_reached(env, capsys, extra, message):
    code = main([*SMALL, "--scheduler", "tcp://127.0.0.1:9", "--out", str(env / "out"), *extra])
    assert code == USER_ERROR
    assert message in capsys.readouterr().err
    assert not (env / "out").exists()
