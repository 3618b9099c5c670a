"""A replay's results: the summary per tariff × strategy, per-day rows, JSON, CSV and plots.

Definitions: ``cost_gbp`` is the bill (energy bought − energy sold + standing charges) [£];
``throughput_kwh`` the AC energy discharged [kWh]; ``cycles`` = throughput / capacity;
``savings_gbp`` = no-battery cost − cost [£]; ``capture_ratio`` = savings / perfect-foresight
savings under the same tariff (None when perfect foresight was not run or saves nothing).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from optimiser.domain.slots import LONDON
from simulations.replay.data import ReplayData
from simulations.replay.ledger import StrategyRun
from simulations.replay.options import Strategy
from simulations.replay.prices import PeriodPrices


@dataclass
class Comparison:
    """Every run of one replay, keyed by (tariff, strategy), with their prices and data."""

    data: ReplayData
    tz: ZoneInfo
    prices: dict[str, PeriodPrices] = field(default_factory=dict)
    runs: dict[tuple[str, str], StrategyRun] = field(default_factory=dict)
    validation: dict[str, list[dict]] = field(default_factory=dict)

    def add(self, tariff_key: str, run: StrategyRun) -> None:
        """Keep ``run`` under ``tariff_key`` (the name the user gave)."""
        self.runs[(tariff_key, run.strategy)] = run

    def summary(self) -> list[dict[str, Any]]:
        """One row per tariff × strategy (see the module docstring)."""
        rows = []
        for (key, strategy), run in self.runs.items():
            base = self.runs.get((key, Strategy.NO_BATTERY))
            best = self.runs.get((key, Strategy.PERFECT_FORESIGHT))
            savings = None if base is None else base.cost_gbp - run.cost_gbp
            capture = None
            if base is not None and best is not None:
                best_savings = base.cost_gbp - best.cost_gbp
                if best_savings > 1e-9:
                    capture = savings / best_savings
            rows.append(
                {
                    "tariff": key,
                    "strategy": strategy,
                    "cost_gbp": round(run.cost_gbp, 2),
                    "energy_gbp": round(run.energy_gbp, 2),
                    "standing_gbp": round(run.standing_gbp, 2),
                    "import_kwh": round(float(run.import_kwh.sum()), 1),
                    "export_kwh": round(float(run.export_kwh.sum()), 1),
                    "throughput_kwh": round(run.throughput_kwh, 1),
                    "cycles": round(run.cycles, 1),
                    "stored_change_kwh": round(run.stored_change_kwh, 2),
                    "savings_gbp": None if savings is None else round(savings, 2),
                    "capture_ratio": None if capture is None else round(capture, 3),
                }
            )
        return rows

    def per_day(self) -> list[dict[str, Any]]:
        """One row per local day × tariff × strategy."""
        rows = []
        for (key, strategy), run in self.runs.items():
            for day, values in run.per_day(self.tz).items():
                rows.append(
                    {
                        "day": day.isoformat(),
                        "tariff": key,
                        "strategy": strategy,
                        **{name: round(v, 4) for name, v in values.items()},
                    }
                )
        rows.sort(key=lambda r: (r["day"], r["tariff"], r["strategy"]))
        return rows

    def to_json_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        json_keys = (
            "tariff",
            "strategy",
            "cost_gbp",
            "import_kwh",
            "export_kwh",
            "throughput_kwh",
            "savings_gbp",
            "capture_ratio",
            "cycles",
            "energy_gbp",
            "standing_gbp",
            "stored_change_kwh",
        )
        data = self.data
        return {
            "results": [{k: row[k] for k in json_keys} for row in self.summary()],
            "data": {
                "source": data.source,
                "start": data.start.isoformat(),
                "end": data.end.isoformat(),
                "step_s": data.step_s,
                "quality": data.quality,
                "report": list(data.quality_lines),
            },
            "prices": {key: p.to_json_dict() for key, p in self.prices.items()},
            "validation": self.validation,
            "notes": {
                f"{k}/{s}": list(run.notes) for (k, s), run in self.runs.items() if run.notes
            },
            "stats": {f"{k}/{s}": run.stats for (k, s), run in self.runs.items() if run.stats},
        }


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """Rows as CSV with the union of their keys as the header (first-seen order)."""
    names: list[str] = []
    for row in rows:
        names += [k for k in row if k not in names]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
    return path


def plot(comparison: Comparison, directory: Path) -> list[Path]:
    """Cumulative cost by strategy (one file per tariff) and a sample week of stored energy
    and prices; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import numpy as np

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    tariffs = sorted({k for k, _ in comparison.runs})
    for key in tariffs:
        fig, ax = plt.subplots(figsize=(10, 5))
        for (k, strategy), run in comparison.runs.items():
            if k != key:
                continue
            times = run.epoch_s.astype("datetime64[s]")
            ax.plot(times, np.cumsum(run.cost_p) / 100.0, label=strategy)
        ax.set_title(f"Cumulative energy cost — {key}")
        ax.set_ylabel("£")
        ax.legend()
        ax.grid(alpha=0.3)
        fig.autofmt_xdate()
        path = directory / f"cumulative_cost_{_slug(key)}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(path)

        runs = {s: r for (k, s), r in comparison.runs.items() if k == key}
        sample = next(iter(runs.values()))
        week = int(7 * 24 / sample.dt_h)
        middle = max(len(sample.epoch_s) // 2 - week // 2, 0)
        window = slice(middle, middle + week)
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
        times = sample.epoch_s[window].astype("datetime64[s]")
        for strategy, run in runs.items():
            if strategy != Strategy.NO_BATTERY:
                top.plot(times, run.soe_kwh[window], label=strategy)
        top.set_ylabel("stored energy [kWh]")
        top.legend(fontsize=8)
        top.grid(alpha=0.3)
        bottom.step(times, sample.import_price[window], where="post", label="import")
        bottom.step(times, sample.export_price[window], where="post", label="export")
        bottom.set_ylabel("price [p/kWh]")
        bottom.legend(fontsize=8)
        bottom.grid(alpha=0.3)
        bottom.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b", tz=LONDON))
        fig.suptitle(f"A sample week — {key}")
        path = directory / f"sample_week_{_slug(key)}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_").lower()
