"""Where a sweep's results go: one Parquet file per household as it completes, combined at the
end into one table (Parquet and CSV).

Layout of the output folder::

    sweep.json              what was swept (axes, period, population); a resumed sweep must match
    households/KEY.parquet  one household's cells, written atomically when its task completes
    failures.csv            households that could not be replayed: key, source, reason
    cells.parquet, cells.csv  every household's cells, one row per cell

A sweep interrupted at any point resumes from the files in ``households/``: a household whose
file exists is not replayed again (failed ones are retried).
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from simulations.replay.errors import ReplayError
from simulations.sweep.task import HouseholdResult

SCHEMA = pa.schema(
    [
        ("household", pa.string()),
        ("source", pa.string()),
        ("occupancy", pa.string()),
        ("heating", pa.string()),
        ("annual_kwh", pa.float64()),
        ("kwp", pa.float64()),
        ("days", pa.float64()),
        ("tariff", pa.string()),
        ("tariff_name", pa.string()),
        ("region", pa.string()),
        ("strategy", pa.string()),
        ("battery", pa.string()),
        ("capacity_kwh", pa.float64()),
        ("power_kw", pa.float64()),
        ("budget", pa.string()),
        ("cost_gbp", pa.float64()),
        ("energy_gbp", pa.float64()),
        ("standing_gbp", pa.float64()),
        ("savings_gbp", pa.float64()),
        ("capture_ratio", pa.float64()),
        ("commands", pa.int64()),
        ("commands_max_per_day", pa.int64()),
        ("cycles", pa.float64()),
        ("throughput_kwh", pa.float64()),
        ("import_kwh", pa.float64()),
        ("export_kwh", pa.float64()),
        ("peak_export_kw", pa.float64()),
        ("peak_import_kw", pa.float64()),
        ("stored_change_kwh", pa.float64()),
    ]
)


class ResultStore:
    """A sweep's output folder (see the module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.households = root / "households"

    def open(self, description: dict) -> None:
        """Create the folder, or check that the sweep it holds is ``description``'s.

        Raises :class:`ReplayError` when the folder holds results of a different sweep.
        """
        self.households.mkdir(parents=True, exist_ok=True)
        marker = self.root / "sweep.json"
        text = json.dumps(description, indent=2, sort_keys=True, default=str)
        if marker.exists():
            held = marker.read_text(encoding="utf-8")
            if json.loads(held) != json.loads(text):
                raise ReplayError(
                    f"--out {self.root}: expected the results of this sweep, found another's "
                    f"({marker}); choose another folder to start afresh"
                )
            return
        marker.write_text(text + "\n", encoding="utf-8")

    def path(self, key: str) -> Path:
        """The household's result file."""
        return self.households / f"{key}.parquet"

    def done(self, key: str) -> bool:
        """Whether the household's cells are already written."""
        return self.path(key).exists()

    def write(self, result: HouseholdResult) -> Path:
        """Write a household's rows (atomically: a crash leaves no half-written file)."""
        path = self.path(result.key)
        table = pa.Table.from_pylist(list(result.rows), schema=SCHEMA)
        partial = path.with_suffix(".parquet.partial")
        pq.write_table(table, partial)
        os.replace(partial, path)
        return path

    def write_failures(self, failures: Iterable[HouseholdResult]) -> Path | None:
        """``failures.csv`` (removed when nothing failed); returns it or None."""
        path = self.root / "failures.csv"
        failures = list(failures)
        if not failures:
            path.unlink(missing_ok=True)
            return None
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["household", "source", "reason"])
            for f in failures:
                writer.writerow([f.key, f.source, f.error])
        return path

    def combine(self, keys: Iterable[str]) -> pa.Table:
        """The done households among ``keys``, as one table, written to ``cells.parquet`` and
        ``cells.csv``."""
        parts = [pq.read_table(self.path(k)) for k in keys if self.done(k)]
        table = pa.concat_tables(parts) if parts else SCHEMA.empty_table()
        pq.write_table(table, self.root / "cells.parquet")
        table.to_pandas().to_csv(self.root / "cells.csv", index=False)
        return table
