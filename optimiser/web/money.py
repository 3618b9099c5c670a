"""What the battery earned: recorded energy costs against no battery and Tesla self-powered.

Everything is energy cost at the tariff's unit rates (the standing charge is the same with or
without a battery, so it is left out). [£] The baselines are the planner's own
(:mod:`optimiser.planner.baselines`) run on the recorded load and solar, so the Money page and
the plan's summary measure the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.config import Config
from optimiser.domain.slots import SlotGrid, floor_to_slot
from optimiser.domain.units import app_percent_to_kwh
from optimiser.planner import Battery, PlanInputs
from optimiser.planner.baselines import no_battery_flows, self_powered_flows
from optimiser.recorder import Sample
from optimiser.web.history import slot_energies
from optimiser.web.views import Json, parse_iso

DEFAULT_EFFICIENCY = 0.90  # round trip when neither the config nor the gateway says [-]
POWERWALL_KWH = 13.5  # one Powerwall 2's capacity, to count units [kWh]
POWERWALL_KW = 5.0  # one Powerwall 2's power [kW]


@dataclass(frozen=True)
class Periods:
    """Local period starts for ``now``: today, this week (Monday), this month."""

    today: datetime
    week: datetime
    month: datetime

    @classmethod
    def at(cls, now: datetime, tz: ZoneInfo) -> Periods:
        local = now.astimezone(tz).date()
        return cls(
            _midnight(local, tz),
            _midnight(local - timedelta(days=local.weekday()), tz),
            _midnight(local.replace(day=1), tz),
        )


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz)


def battery_for(config: Config, capacity_kwh: float, soe_kwh: float) -> Battery:
    """The battery for the self-powered baseline: the config's overrides, else one Powerwall 2
    per 13.5 kWh of recorded capacity."""
    over = config.battery
    capacity = over.capacity_kwh or capacity_kwh
    units = max(1, round(capacity / POWERWALL_KWH))
    efficiency = over.round_trip_efficiency or DEFAULT_EFFICIENCY
    return Battery(
        capacity_kwh=capacity,
        soe_kwh=min(max(soe_kwh, 0.0), capacity),
        max_charge_kw=over.max_charge_kw or POWERWALL_KW * units,
        max_discharge_kw=over.max_discharge_kw or POWERWALL_KW * units,
        charge_efficiency=efficiency**0.5,
        discharge_efficiency=efficiency**0.5,
    )


def money_view(
    samples: Sequence[Sample], tariff: Any, config: Config, now: datetime, plan: Json | None
) -> Json:
    """Costs to date today, this week and this month (actual, no battery, self-powered, and
    the saving), per day of the month, and the plan's expected saving for tomorrow. [£]"""
    tz = ZoneInfo(config.site.timezone)
    periods = Periods.at(now, tz)
    first = min(periods.week, periods.month)
    minutes = config.planner.slot_minutes
    out: Json = {
        "now": now.isoformat(),
        "periods": [],
        "days": [],
        "tomorrow": tomorrow_view(plan, now, tz, config),
        "note": "energy at the tariff's unit rates; standing charges left out (the same "
        "with or without a battery)",
    }
    end = floor_to_slot(now, minutes) + timedelta(minutes=minutes)
    grid = SlotGrid.covering(first, end, minutes)
    in_range = [s for s in samples if first <= s.time < end]
    known = [s for s in in_range if s.capacity_kwh and s.soe_kwh is not None]
    if not in_range or not known:
        return out
    energies = slot_energies(in_range, grid, until=now)
    prices = tariff.prices(grid)
    buy = np.asarray(prices.import_price, dtype=float)
    sell = np.asarray(prices.export_price, dtype=float)
    h = grid.minutes / 60.0
    battery = battery_for(config, float(known[0].capacity_kwh), float(known[0].soe_kwh))
    floor = app_percent_to_kwh(config.battery.reserve_percent, battery.capacity_kwh)
    inputs = PlanInputs.build(
        grid,
        import_price=buy,
        export_price=sell,
        load_kw=energies.load_kwh / h,
        solar_kw=energies.solar_kwh / h,
        battery=battery,
        reserve_floor_kwh=floor,
        import_limit_kw=config.site.import_limit_kw,
        export_limit_kw=config.site.export_limit_kw,
    )
    actual_p = energies.import_kwh * buy - energies.export_kwh * sell
    no_battery_import, no_battery_export = no_battery_flows(inputs)
    no_battery_p = no_battery_import * buy - no_battery_export * sell
    sp_import, sp_export, _ = self_powered_flows(inputs)
    self_powered_p = sp_import * buy - sp_export * sell
    covered = energies.covered
    starts = np.array([s.timestamp() for s in grid.starts])

    def totals(since: datetime, until: datetime) -> Json:
        mask = covered & (starts >= since.timestamp()) & (starts < until.timestamp())
        actual = float(actual_p[mask].sum()) / 100.0
        none = float(no_battery_p[mask].sum()) / 100.0
        self_powered = float(self_powered_p[mask].sum()) / 100.0
        return {
            "actual_gbp": round(actual, 2),
            "no_battery_gbp": round(none, 2),
            "self_powered_gbp": round(self_powered, 2),
            "saving_gbp": round(none - actual, 2),
            "saving_vs_self_powered_gbp": round(self_powered - actual, 2),
            "hours_recorded": round(float(mask.sum()) * h, 1),
        }

    out["periods"] = [
        {"period": name, "since": since.isoformat(), **totals(since, end)}
        for name, since in (
            ("today", periods.today),
            ("this week", periods.week),
            ("this month", periods.month),
        )
    ]
    day = periods.month
    while day < end:
        following = _midnight(day.date() + timedelta(days=1), tz)
        row = totals(day, following)
        if row["hours_recorded"] > 0:
            out["days"].append({"day": day.date().isoformat(), **row})
        day = following
    return out


def tomorrow_view(
    plan: Mapping[str, Any] | None, now: datetime, tz: ZoneInfo, config: Config
) -> Json | None:
    """The plan's expected cost for tomorrow (local) against no battery on the same forecast.
    [£]"""
    if plan is None or not plan.get("slots"):
        return None
    day = now.astimezone(tz).date() + timedelta(days=1)
    since, until = _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
    slots = [s for s in plan["slots"] if since <= parse_iso(s["start"]) < until]
    if not slots:
        return None
    minutes = config.planner.slot_minutes
    grid = SlotGrid(parse_iso(slots[0]["start"]), minutes, len(slots))
    h = minutes / 60.0
    buy = np.array([s["import_price"] for s in slots])
    sell = np.array([s["export_price"] for s in slots])
    inputs = PlanInputs.build(
        grid,
        import_price=buy,
        export_price=sell,
        load_kw=np.array([s["load_kwh"] for s in slots]) / h,
        solar_kw=np.array([s["solar_kwh"] for s in slots]) / h,
        battery=battery_for(config, float(plan.get("capacity_kwh") or POWERWALL_KWH), 0.0),
        export_limit_kw=config.site.export_limit_kw,
    )
    no_import, no_export = no_battery_flows(inputs)
    planned_p = sum(
        s["import_kwh"] * s["import_price"] - s["export_kwh"] * s["export_price"] for s in slots
    )
    none_p = float(np.dot(no_import, buy) - np.dot(no_export, sell))
    return {
        "day": day.isoformat(),
        "plan_gbp": round(planned_p / 100.0, 2),
        "no_battery_gbp": round(none_p / 100.0, 2),
        "saving_gbp": round((none_p - planned_p) / 100.0, 2),
        "hours_planned": round(len(slots) * h, 1),
    }
