"""``wattplan sweep`` from the command line: a small population on a local cluster, the
summary and files, resuming, and user mistakes caught before any cluster starts."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

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
    "--workers",
    "2",
]


def test_a_small_population_end_to_end_then_resumed(env, capsys):
    out = env / "out"
    assert main([*SMALL, "--out", str(out), "--plot"]) == 0
    printed = capsys.readouterr()
    assert "wattplan — savings against no battery" in printed.out
    assert "2 households replayed, 0 already done, 0 failed" in printed.out
    assert "sweep: 2/2 households" in printed.err
    cells = pq.read_table(out / "cells.parquet").to_pandas()
    assert len(cells) == 2 * 2 * 3  # households × tariffs × (wattplan, references)
    assert set(cells["tariff"]) == {"flux", "agile"}
    assert cells["peak_export_kw"].ge(0).all()
    assert (out / "cells.csv").exists() and (out / "savings-wattplan.png").exists()

    assert main([*SMALL, "--out", str(out)]) == 0
    assert "0 households replayed, 2 already done" in capsys.readouterr().out
    assert main([*SMALL[:-2], "--workers", "2", "--days", "2", "--out", str(out)]) == USER_ERROR
    assert "found another's" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--battery", "13.5"], "CAPACITY_KWH/POWER_KW"),
        (["--tariff", "nonesuch"], "nonesuch"),
        (["--budget", "lots"], "--budget: expected"),
    ],
)
def test_mistakes_are_told_before_any_cluster_starts(env, capsys, extra, message):
    code = main([*SMALL, "--out", str(env / "out"), *extra])
    assert code == USER_ERROR
    assert message in capsys.readouterr().err
    assert not (env / "out").exists()
