"""Human-readable views of a plan: a terminal table, a summary and a PNG plot.

These read the plan's JSON form (``Plan.to_json_dict()``), the same document ``--json``
prints, so what a person sees and what a script reads cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from optimiser.domain.actions import Action
from optimiser.domain.units import kwh_to_app_percent

ACTION_STYLE = {
    Action.CHARGE_FROM_GRID: "bold cyan",
    Action.CHARGE_FROM_SOLAR: "green",
    Action.HOLD: "yellow",
    Action.SELF_POWER: "white",
    Action.EXPORT: "bold magenta",
    Action.IDLE: "dim",
}


#: Narrowest terminal the per-slot plan table is printed on [columns].
TABLE_MIN_WIDTH = 110


def _local(iso: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(iso).astimezone(tz)


def plan_table(plan: Mapping[str, Any], tz: ZoneInfo, capacity_kwh: float | None = None) -> Table:
    """One row per slot: local time, prices, flows, action and stored energy, and — only when
    control deviates from some slot's action on purpose — why."""
    table = Table(title="Plan", show_lines=False, header_style="bold")
    for column, justify, wide in (
        ("local time", "left", 16),
        ("import p", "right", 0),
        ("export p", "right", 0),
        ("load kWh", "right", 0),
        ("solar kWh", "right", 0),
        ("grid kWh", "right", 0),
        ("battery kWh", "right", 0),
        ("action", "left", 17),
        ("stored kWh", "right", 13),
    ):
        table.add_column(column, justify=justify, no_wrap=bool(wide), min_width=wide or None)  # type: ignore[arg-type]
    show_why = any(slot.get("why") for slot in plan["slots"])
    if show_why:
        table.add_column("why", justify="left", overflow="fold", ratio=1)
    previous_day = None
    for slot in plan["slots"]:
        start = _local(slot["start"], tz)
        day = start.strftime("%a %d %b")
        label = f"{day} {start:%H:%M}" if day != previous_day else f"{'':10} {start:%H:%M}"
        previous_day = day
        grid = slot["import_kwh"] - slot["export_kwh"]
        battery = slot["charge_kwh"] - slot["discharge_kwh"]
        stored = f"{slot['soe_kwh']:.2f}"
        if capacity_kwh:
            stored += f" ({kwh_to_app_percent(slot['soe_kwh'], capacity_kwh):3.0f}%)"
        action = Action(slot["action"])
        table.add_row(
            label,
            f"{slot['import_price']:.2f}",
            f"{slot['export_price']:.2f}",
            f"{slot['load_kwh']:.2f}",
            f"{slot['solar_kwh']:.2f}",
            f"{grid:+.2f}",
            f"{battery:+.2f}",
            f"[{ACTION_STYLE[action]}]{action.label}[/]",
            stored,
            *([slot.get("why") or ""] if show_why else []),
        )
    return table


#: Actions the compact summary names (the rest is the battery looking after the house).
_NAMED = (Action.CHARGE_FROM_GRID, Action.CHARGE_FROM_SOLAR, Action.HOLD, Action.EXPORT)


def compact_summary(
    plan: Mapping[str, Any], tz: ZoneInfo, capacity_kwh: float | None = None
) -> str:
    """One line for any terminal: each run of a named action as a local window, charging with
    the Tesla-app percentage it reaches — ``charge from grid 02:00–05:00 to 100%, export
    16:30–19:00``; ``self-power throughout`` when nothing else happens."""
    runs: list[tuple[Action, datetime, datetime, float]] = []
    for slot in plan["slots"]:
        action = Action(slot["action"])
        start, end = _local(slot["start"], tz), _local(slot["end"], tz)
        if runs and runs[-1][0] is action and runs[-1][2] == start:
            runs[-1] = (action, runs[-1][1], end, slot["soe_kwh"])
        else:
            runs.append((action, start, end, slot["soe_kwh"]))
    parts = []
    for action, start, end, soe in runs:
        if action not in _NAMED:
            continue
        text = f"{action.label} {start:%H:%M}–{end:%H:%M}"
        if capacity_kwh and action in (Action.CHARGE_FROM_GRID, Action.CHARGE_FROM_SOLAR):
            text += f" to {kwh_to_app_percent(soe, capacity_kwh):.0f}%"
        parts.append(text)
    return ", ".join(parts) or "self-power throughout"


def summary_lines(plan: Mapping[str, Any]) -> list[str]:
    """Expected cost against the baselines, in pounds."""
    costs = plan["costs"]
    planned = costs["plan_gbp"]
    lines = [f"status: {plan['status']}", f"expected cost with this plan: £{planned:.2f}"]
    for key, label in (("no_battery_gbp", "no battery"), ("self_powered_gbp", "self-powered")):
        if costs.get(key) is not None:
            saving = costs[key] - planned
            verdict = f"saves £{saving:.2f}" if saving >= 0 else f"costs £{-saving:.2f} more"
            lines.append(f"  vs {label}: £{costs[key]:.2f} ({verdict})")
    timings = plan.get("timings_ms", {})
    if timings:
        lines.append("solved in " + ", ".join(f"{k} {v:.1f} ms" for k, v in timings.items()))
    return lines


def print_plan(
    plan: Mapping[str, Any],
    tz: ZoneInfo,
    capacity_kwh: float | None = None,
    console: Console | None = None,
    extra: Sequence[str] = (),
) -> None:
    """Print the compact summary, the table (when the terminal is wide enough for it) and the
    cost summary."""
    if console is None:
        console = Console()
        if not console.is_terminal:  # piped or logged: don't squeeze the table to 80 columns
            console = Console(width=150)
    console.print(f"plan: {compact_summary(plan, tz, capacity_kwh)}", highlight=False)
    if console.width >= TABLE_MIN_WIDTH:
        console.print(plan_table(plan, tz, capacity_kwh))
    else:
        console.print(
            f"(the per-slot table needs {TABLE_MIN_WIDTH} columns; widen the terminal, or use "
            "--json)",
            highlight=False,
        )
    for line in (*summary_lines(plan), *extra):
        console.print(line, highlight=False)


def plot_plan(plan: Mapping[str, Any], tz: ZoneInfo, path: Path) -> Path:
    """Draw prices, flows and stored energy to a PNG file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    slots = plan["slots"]
    starts = [_local(s["start"], tz) for s in slots]
    hours = [
        (datetime.fromisoformat(s["end"]) - datetime.fromisoformat(s["start"])).total_seconds()
        / 3600
        for s in slots
    ]
    width = [h / 24 for h in hours]

    def kw(key: str) -> list[float]:
        return [s[key] / h for s, h in zip(slots, hours, strict=True)]

    fig, (ax_price, ax_flow, ax_soe) = plt.subplots(
        3, 1, figsize=(12, 8), sharex=True, height_ratios=[1, 1.4, 1]
    )
    ax_price.step(starts, [s["import_price"] for s in slots], where="post", label="import")
    ax_price.step(starts, [s["export_price"] for s in slots], where="post", label="export")
    ax_price.set_ylabel("p/kWh")
    ax_price.legend(loc="upper left")
    ax_price.set_title("wattplan: prices, flows and stored energy")

    ax_flow.bar(starts, kw("load_kwh"), width, align="edge", color="0.6", label="load")
    ax_flow.bar(
        starts, kw("solar_kwh"), width, align="edge", color="gold", alpha=0.7, label="solar"
    )
    net_grid = [i - e for i, e in zip(kw("import_kwh"), kw("export_kwh"), strict=True)]
    net_batt = [c - d for c, d in zip(kw("charge_kwh"), kw("discharge_kwh"), strict=True)]
    ax_flow.step(starts, net_grid, where="post", color="tab:red", label="grid (+import)")
    ax_flow.step(starts, net_batt, where="post", color="tab:blue", label="battery (+charge)")
    ax_flow.axhline(0, color="black", linewidth=0.5)
    ax_flow.set_ylabel("kW")
    ax_flow.legend(loc="upper left", ncol=4)

    ends = [_local(s["end"], tz) for s in slots]
    ax_soe.plot(ends, [s["soe_kwh"] for s in slots], color="tab:green")
    ax_soe.set_ylabel("stored kWh")
    ax_soe.set_ylim(bottom=0)
    ax_soe.xaxis.set_major_formatter(mdates.DateFormatter("%a %H:%M", tz=tz))
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
