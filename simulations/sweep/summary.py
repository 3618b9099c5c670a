"""A sweep's summary: per strategy and budget, per tariff × battery, how much households save
and how often each tariff is the cheapest for them.

Definitions: ``savings`` are the no-battery cost under the same tariff less the cell's cost
[£]; ``best share`` is the share of households for which the tariff gives the lowest cost of
all tariffs swept, with the same battery, strategy and budget (ties go to the first tariff
given); ``capture`` is the median capture ratio (savings / perfect-foresight savings).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

GROUP = ["strategy", "budget", "battery"]


def option_names(cells: pd.DataFrame) -> pd.Series:
    """Each row's tariff, with its region when more than one region was swept."""
    regions = cells["region"].dropna().unique()
    if len(regions) <= 1:
        return cells["tariff"]
    return cells["tariff"] + cells["region"].map(lambda r: "" if pd.isna(r) else f" ({r})")


def summarise(table: pa.Table) -> pd.DataFrame:
    """One row per strategy × budget × battery × tariff (see the module docstring): households,
    median, p10 and p90 savings [£], median capture, best share, and median cost [£]."""
    cells = table.to_pandas()
    columns = [
        *GROUP,
        "tariff",
        "households",
        "median_savings_gbp",
        "p10_savings_gbp",
        "p90_savings_gbp",
        "median_capture",
        "best_share",
        "median_cost_gbp",
    ]
    if cells.empty:
        return pd.DataFrame(columns=columns)
    cells = cells.assign(option=option_names(cells), budget=cells["budget"].fillna("—"))
    order = list(dict.fromkeys(cells["option"]))
    cheapest = cells.loc[
        cells.sort_values("option", key=lambda s: s.map(order.index), kind="stable")
        .groupby([*GROUP, "household"], sort=False)["cost_gbp"]
        .idxmin()
    ]
    wins = cheapest.groupby([*GROUP, "option"]).size()
    rows = []
    for (strategy, budget, battery, option), group in cells.groupby([*GROUP, "option"], sort=False):
        savings = group["savings_gbp"]
        rows.append(
            {
                "strategy": strategy,
                "budget": budget,
                "battery": battery,
                "tariff": option,
                "households": int(group["household"].nunique()),
                "median_savings_gbp": float(savings.median()),
                "p10_savings_gbp": float(savings.quantile(0.1)),
                "p90_savings_gbp": float(savings.quantile(0.9)),
                "median_capture": float(group["capture_ratio"].median()),
                "best_share": float(
                    wins.get((strategy, budget, battery, option), 0) / group["household"].nunique()
                ),
                "median_cost_gbp": float(group["cost_gbp"].median()),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def plot_savings(table: pa.Table, directory: Path, strategy: str = "wattplan") -> Path:
    """Box plots of ``strategy``'s savings per tariff × battery; returns the PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = table.to_pandas()
    cells = cells[cells["strategy"] == strategy].assign(option=option_names(cells))
    labels, values = [], []
    for (option, battery, budget), group in cells.groupby(
        ["option", "battery", cells["budget"].fillna("—")], sort=False
    ):
        labels.append(f"{option}\n{battery}" + ("" if budget == "config" else f"\n{budget}"))
        values.append(group["savings_gbp"].to_numpy())
    directory.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(labels)), 4.5))
    if values:
        ax.boxplot(values, whis=(10, 90), showfliers=False)
        ax.set_xticks(range(1, len(labels) + 1), labels)
    ax.set_ylabel("savings against no battery [£]")
    ax.set_title(f"{strategy}: savings per household (whiskers p10–p90)")
    ax.grid(alpha=0.3, axis="y")
    path = directory / f"savings-{strategy}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
