"""``wattplan simulate --report FILE.html``: one self-contained HTML file of a replay.

The tariff × strategy comparison, the monthly savings, the capture ratio, a typical week
plotted and the data-quality report, with uPlot and every number inlined: the file opens with
no network and can be mailed to a friend who asks whether Flux is worth it with a battery.

Pure but for the write: it reads only plain documents the ``simulate`` command already has
(the ``--json`` document, the per-day rows and a week of series), never the replay itself.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from optimiser.web.views import Json

MAX_WEEK_POINTS = 7 * 48  # half-hourly over a week


def monthly_savings(per_day: Sequence[Mapping[str, Any]]) -> list[Json]:
    """Per month, tariff and strategy: energy cost and the saving against no battery. [£]

    Standing charges are the same with or without a battery, so energy costs are compared.
    """
    cost: dict[tuple[str, str, str], float] = defaultdict(float)
    for row in per_day:
        cost[(row["day"][:7], row["tariff"], row["strategy"])] += row["cost_gbp"]
    rows = []
    for (month, tariff, strategy), value in sorted(cost.items()):
        if strategy == "no-battery":
            continue
        base = cost.get((month, tariff, "no-battery"))
        rows.append(
            {
                "month": month,
                "tariff": tariff,
                "strategy": strategy,
                "cost_gbp": round(value, 2),
                "saving_gbp": None if base is None else round(base - value, 2),
            }
        )
    return rows


def thin(series: Mapping[str, Sequence[float]], limit: int = MAX_WEEK_POINTS) -> Json:
    """Every n-th point of each series so that at most ``limit`` remain."""
    length = len(series["epoch_s"])
    step = max(1, -(-length // limit))
    return {name: [round(float(v), 3) for v in values[::step]] for name, values in series.items()}


def render_report(
    document: Mapping[str, Any],
    per_day: Sequence[Mapping[str, Any]],
    weeks: Mapping[str, Mapping[str, Sequence[float]]],
) -> str:
    """The report's HTML.

    ``document`` is ``simulate --json``'s; ``per_day`` the ``--csv`` rows; ``weeks`` maps a
    tariff to a typical week's series (``epoch_s``, ``import_price``, ``export_price`` [p/kWh]
    and ``soe_kwh:<strategy>`` [kWh]).
    """
    env = Environment(
        loader=PackageLoader("optimiser.web", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    static = files("optimiser.web") / "static"
    results = document["results"]
    tariffs = list(dict.fromkeys(row["tariff"] for row in results))
    months = monthly_savings(per_day)
    charts = {
        "weeks": {key: thin(series) for key, series in weeks.items()},
        "months": months,
    }
    return env.get_template("report.html").render(
        document=document,
        results=results,
        tariffs=tariffs,
        months=months,
        month_names=sorted({m["month"] for m in months}),
        strategies=list(dict.fromkeys(r["strategy"] for r in results)),
        best=_best(results),
        charts_json=json.dumps(charts, separators=(",", ":")).replace("</", "<\\/"),
        uplot_js=(static / "uPlot.iife.min.js").read_text(encoding="utf-8"),
        uplot_css=(static / "uPlot.min.css").read_text(encoding="utf-8"),
        report_js=(static / "report.js").read_text(encoding="utf-8"),
        licence=(static / "LICENSE-uPlot").read_text(encoding="utf-8"),
    )


def _best(results: Sequence[Mapping[str, Any]]) -> Json | None:
    """The cheapest wattplan run across tariffs (the headline)."""
    runs = [r for r in results if r["strategy"] == "wattplan"]
    return min(runs, key=lambda r: r["cost_gbp"], default=None)


def write_report(
    path: Path,
    document: Mapping[str, Any],
    per_day: Sequence[Mapping[str, Any]],
    weeks: Mapping[str, Mapping[str, Sequence[float]]],
) -> Path:
    """Write the report to ``path`` (folders created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(document, per_day, weeks), encoding="utf-8")
    return path
