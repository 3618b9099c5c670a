"""Validate against what happened: the battery's recorded behaviour as a strategy run.

Where a recording has battery power (and, ideally, stored energy and mode), the recorded
battery becomes the ``actual`` run — its grid flow is ``load − solar − battery`` at each step,
priced like every other strategy — and :func:`compare_days` sets it beside wattplan day by day.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np

from simulations.replay.data import ReplayData
from simulations.replay.ledger import Ledger, StrategyRun, local_days
from simulations.replay.prices import PeriodPrices
from simulations.replay.site import SiteModel

ACTUAL = "actual"


def actual_run(data: ReplayData, prices: PeriodPrices, site: SiteModel) -> StrategyRun | None:
    """What the recorded battery did, priced; None without recorded battery power."""
    actual = data.actual
    if actual is None or actual.battery_kw is None:
        return None
    trace = data.trace
    battery = np.nan_to_num(actual.battery_kw, nan=0.0)
    ledger = Ledger(trace.epoch_s, data.step_s / 3600.0)
    ledger.battery_kw[:] = battery
    ledger.load_kw[:] = np.maximum(trace.load_kw, 0.0)
    ledger.solar_kw[:] = np.maximum(trace.solar_kw, 0.0)
    ledger.grid_kw[:] = ledger.load_kw - ledger.solar_kw - battery
    cap = site.capacity_kwh
    if actual.soe_percent is not None:
        soe = np.asarray(actual.soe_percent, dtype=float) / 100.0 * cap
        ledger.soe_kwh[:] = np.where(np.isfinite(soe), soe, np.nan)
    else:
        ledger.soe_kwh[:] = np.nan
    first = float(ledger.soe_kwh[0]) if np.isfinite(ledger.soe_kwh[0]) else site.initial_soe_kwh
    return StrategyRun.from_ledger(
        ledger,
        strategy=ACTUAL,
        prices=prices,
        initial_soe_kwh=first,
        capacity_kwh=cap,
        tz=ZoneInfo(site.config.site.timezone),
    )


def compare_days(
    actual: StrategyRun, wattplan: StrategyRun, data: ReplayData, tz: ZoneInfo
) -> list[dict]:
    """Per local day: the recorded battery against wattplan (cost, flows, modes)."""
    a_days = actual.per_day(tz)
    w_days = wattplan.per_day(tz)
    modes: dict[date, Counter] = {}
    if data.actual is not None and data.actual.mode is not None:
        for day, mode in zip(local_days(data.trace.epoch_s, tz), data.actual.mode, strict=True):
            modes.setdefault(day, Counter())[mode or "unknown"] += 1
    rows = []
    for day, a in a_days.items():
        w = w_days.get(day)
        if w is None:
            continue
        counts = modes.get(day, Counter())
        total = sum(counts.values()) or 1
        mode_text = " ".join(f"{m}:{100 * c / total:.0f}%" for m, c in counts.most_common())
        rows.append(
            {
                "day": day.isoformat(),
                "actual_cost_gbp": round(a["cost_gbp"], 4),
                "wattplan_cost_gbp": round(w["cost_gbp"], 4),
                "difference_gbp": round(w["cost_gbp"] - a["cost_gbp"], 4),
                "actual_import_kwh": round(a["import_kwh"], 3),
                "wattplan_import_kwh": round(w["import_kwh"], 3),
                "actual_export_kwh": round(a["export_kwh"], 3),
                "wattplan_export_kwh": round(w["export_kwh"], 3),
                "actual_discharged_kwh": round(a["throughput_kwh"], 3),
                "wattplan_discharged_kwh": round(w["throughput_kwh"], 3),
                "actual_soe_end_kwh": None
                if not np.isfinite(a["soe_end_kwh"])
                else round(a["soe_end_kwh"], 3),
                "wattplan_soe_end_kwh": round(w["soe_end_kwh"], 3),
                "actual_modes": mode_text,
            }
        )
    return rows
