"""The value-per-command frontier: wattplan's cost and capture under each daily write budget.

``capture`` = (no-battery cost − cost) / (no-battery cost − perfect-foresight cost), the same
definition as :mod:`simulations.replay.report`. Each point is one closed-loop replay of the
same data and prices with the Fleet backend's daily budget set to ``writes_per_day`` (None:
unlimited); ``max_per_day`` and ``tariff_uploads`` come from the replay's command ledger.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from simulations.replay.ledger import StrategyRun

UNLIMITED = "unlimited"


def parse_budgets(text: str) -> list[int | None]:
    """``"2,5,10,20,unlimited"`` → ``[2, 5, 10, 20, None]``; raises ValueError otherwise."""
    budgets: list[int | None] = []
    for part in (p.strip() for p in text.split(",")):
        if part == UNLIMITED:
            budgets.append(None)
            continue
        try:
            value = int(part)
        except ValueError:
            value = 0
        if value < 1:
            raise ValueError(
                f"--budgets: expected whole numbers ≥ 1 or {UNLIMITED!r}, comma-separated; got "
                f"{part!r} in {text!r}"
            )
        budgets.append(value)
    return list(dict.fromkeys(budgets))


@dataclass(frozen=True)
class FrontierPoint:
    """One budget's result."""

    writes_per_day: int | None
    safety_commands: int | None
    cost_gbp: float
    capture_ratio: float | None
    max_per_day: int
    tariff_uploads: int
    commands_total: int


def frontier_point(
    run: StrategyRun, no_battery: StrategyRun, perfect: StrategyRun, writes: int | None
) -> FrontierPoint:
    """The frontier point of ``run``, a wattplan replay with ``writes`` a day."""
    best = no_battery.cost_gbp - perfect.cost_gbp
    capture = (no_battery.cost_gbp - run.cost_gbp) / best if abs(best) > 1e-9 else None
    commands = run.stats.get("commands") or {}
    return FrontierPoint(
        writes_per_day=writes,
        safety_commands=commands.get("safety_commands"),
        cost_gbp=round(run.cost_gbp, 2),
        capture_ratio=None if capture is None else round(capture, 3),
        max_per_day=int(commands.get("max_per_day", 0)),
        tariff_uploads=int(commands.get("by_command", {}).get("time_of_use_settings", 0)),
        commands_total=int(commands.get("total", 0)),
    )


def frontier_json(points: list[FrontierPoint]) -> list[dict[str, object]]:
    """The points as plain JSON objects."""
    return [asdict(p) for p in points]


def frontier_table(points: list[FrontierPoint]) -> str:
    """A Markdown table: budget (kept for safety), cost, capture, max writes a day, uploads."""
    lines = [
        "| writes a day (kept for safety) | cost | capture | max writes a day | tariff uploads |",
        "|---|---|---|---|---|",
    ]
    for p in points:
        budget = (
            UNLIMITED if p.writes_per_day is None else f"{p.writes_per_day} ({p.safety_commands})"
        )
        capture = "—" if p.capture_ratio is None else f"{p.capture_ratio:.3f}"
        lines.append(
            f"| {budget} | £{p.cost_gbp:.2f} | {capture} | {p.max_per_day} | {p.tariff_uploads} |"
        )
    return "\n".join(lines)


def plot_frontier(points: list[FrontierPoint], directory: Path, tariff: str) -> Path:
    """Capture against daily writes (unlimited drawn at the right); returns the file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    finite = [p.writes_per_day for p in points if p.writes_per_day is not None]
    edge = 2 * max(finite, default=10)
    xs = [edge if p.writes_per_day is None else p.writes_per_day for p in points]
    ys = [p.capture_ratio if p.capture_ratio is not None else float("nan") for p in points]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(xs, ys, marker="o")
    ax.set_xscale("log")
    ax.set_xticks(xs)
    ax.minorticks_off()
    ax.set_xticklabels(
        [UNLIMITED if p.writes_per_day is None else str(x) for p, x in zip(points, xs, strict=True)]
    )
    ax.set_xlabel("settings writes a day")
    ax.set_ylabel("capture of perfect-foresight savings")
    ax.set_title(f"Value per command — {tariff}")
    ax.grid(alpha=0.3)
    path = directory / "frontier.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
