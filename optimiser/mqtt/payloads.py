"""What wattplan publishes, as plain JSON documents (pure builders).

Units follow the glossary, with Home Assistant's conventions on top: powers in W (grid > 0
importing, battery > 0 discharging), state of charge on the Tesla app's scale (one decimal),
stored energy in kWh, prices in p/kWh and GBP/kWh, money in GBP.

- :func:`state_payload`: every poll;
- :func:`plan_payload`: every re-plan, cut to fit Home Assistant's attribute limit
  (:data:`PLAN_MAX_BYTES`) by shortening the horizon, never the JSON;
- :func:`decision_payload`: every decision, what and why, what was sent and read back;
- :func:`event_payload`: events, with repeats dropped by :class:`EventFilter`;
- :func:`home_payload`: what the home has set (:mod:`optimiser.service.home`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from optimiser.control.settings_json import settings_to_json
from optimiser.gateway.models import SiteState
from optimiser.planning import PlanResult
from optimiser.service.home import HomeInputs
from optimiser.service.observers import EventKind, ServiceEvent
from optimiser.service.records import CommandCount, DecisionRecord

PLAN_MAX_BYTES = 16_000
"""Home Assistant keeps at most 16 384 bytes of an entity's attributes. [bytes]"""
ACTION_SAFE = "safe"
"""The action when no plan span is followed (safe settings, no plan yet)."""
RULE_FIRED = "rule_fired"
EVENT_TYPES = (*(k.value for k in EventKind), RULE_FIRED)
SHORT_MAX = 250
"""Home Assistant keeps at most 255 characters of a state."""


def encode(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def prices_now(result: PlanResult | None, at: datetime) -> tuple[float | None, float | None]:
    """(import, export) price of the slot containing ``at`` in the last plan's request.
    [p/kWh]"""
    if result is None:
        return None, None
    grid = result.request.grid
    if not grid.start <= at < grid.end:
        return None, None
    t = grid.index_of(at)
    return float(result.request.import_price[t]), float(result.request.export_price[t])


def decision_action(record: DecisionRecord | None) -> str:
    """The action being followed (``safe`` without a plan span)."""
    if record is None or record.applied is None or record.applied.span is None:
        return ACTION_SAFE
    return record.applied.span.action.value


def state_payload(
    state: SiteState,
    at: datetime,
    *,
    plan: PlanResult | None,
    decision: DecisionRecord | None,
    home: HomeInputs | None,
    commands: CommandCount | None,
) -> dict[str, Any]:
    """The site now, what wattplan is doing and what it costs now."""
    buy, sell = prices_now(plan, at)
    action = decision_action(decision)
    target = decision.applied.target if decision is not None and decision.applied else None
    error = None
    if decision is not None:
        errors = decision.applied.report.errors if decision.applied is not None else ()
        error = decision.error or ("; ".join(errors) if errors else None)
    held = action == "hold" or (home is not None and home.held())
    return {
        "time": at.isoformat(),
        "read_at": state.time.isoformat(),
        "grid_power_w": round(state.site_kw * 1000.0),
        "battery_power_w": round(state.battery_kw * 1000.0),
        "solar_power_w": round(state.solar_kw * 1000.0),
        "load_power_w": round(state.load_kw * 1000.0),
        "battery_percent": round(state.app_percent, 1),
        "stored_energy_kwh": round(state.soe_kwh, 3),
        "capacity_kwh": round(state.capacity_kwh, 3),
        "grid_status": state.grid_status,
        "grid_up": state.grid_up,
        "operation_mode": state.mode.value,
        "backup_reserve_percent": round(state.app_reserve_percent, 1),
        "action": action,
        "held": held,
        "asked": settings_to_json(target) if target is not None else None,
        "asked_summary": target.describe() if target is not None else None,
        "import_price_p_per_kwh": _r(buy, 2),
        "export_price_p_per_kwh": _r(sell, 2),
        "import_price_gbp_per_kwh": _r(None if buy is None else buy / 100.0, 4),
        "export_price_gbp_per_kwh": _r(None if sell is None else sell / 100.0, 4),
        "commands_used_today": commands.used if commands is not None else None,
        "commands_left_today": commands.left if commands is not None else None,
        "last_error": error,
        "override": home.to_json_dict()["override"] if home is not None else None,
        "control": home.control_on if home is not None else True,
        "energy": {
            "grid_imported_kwh": round(state.site_imported_kwh, 3),
            "grid_exported_kwh": round(state.site_exported_kwh, 3),
            "battery_charged_kwh": round(state.battery_charged_kwh, 3),
            "battery_discharged_kwh": round(state.battery_discharged_kwh, 3),
            "solar_kwh": round(state.solar_exported_kwh, 3),
            "load_kwh": round(state.load_imported_kwh, 3),
        },
    }


def plan_slots(result: PlanResult) -> list[dict[str, Any]]:
    """One compact row per slot: start, prices [p/kWh], energies [kWh], action."""
    plan = result.outcome.plan
    if plan is None:
        return []
    grid_kwh = np.asarray(plan.import_kwh) - np.asarray(plan.export_kwh)
    battery_kwh = np.asarray(plan.discharge_kwh) - np.asarray(plan.charge_kwh)
    return [
        {
            "start": start.isoformat(),
            "import_p": round(float(plan.import_price[t]), 2),
            "export_p": round(float(plan.export_price[t]), 2),
            "load_kwh": round(float(plan.load_kwh[t]), 3),
            "solar_kwh": round(float(plan.solar_kwh[t]), 3),
            "grid_kwh": round(float(grid_kwh[t]), 3),
            "battery_kwh": round(float(battery_kwh[t]), 3),
            "action": plan.actions[t].value,
            "soe_kwh": round(float(plan.soe_kwh[t]), 3),
        }
        for t, start in enumerate(plan.grid.starts)
    ]


def rules_firing(result: PlanResult, at: datetime) -> tuple[str, ...]:
    """Rules that fire in the slot containing ``at``."""
    if result.rules is None:
        return ()
    grid = result.request.grid
    if not grid.start <= at < grid.end:
        return ()
    t = grid.index_of(at)
    return tuple(name for name, slots in result.rules.effects.fired.items() if t in slots)


def plan_payload(
    result: PlanResult, made_at: datetime, *, max_bytes: int = PLAN_MAX_BYTES
) -> dict[str, Any]:
    """The plan with its costs; the horizon is cut (whole slots from the end) to fit
    ``max_bytes`` of JSON."""
    plan = result.outcome.plan
    plan_gbp = plan.cost_gbp if plan is not None else None
    no_battery, self_powered = result.no_battery_gbp, result.self_powered_gbp
    fired = {}
    if result.rules is not None:
        starts = result.request.grid.starts
        fired = {
            name: starts[slots[0]].isoformat()
            for name, slots in result.rules.effects.fired.items()
            if slots
        }
    document: dict[str, Any] = {
        "made_at": made_at.isoformat(),
        "status": str(result.outcome.status),
        "plan_gbp": _r(plan_gbp, 2),
        "no_battery_gbp": _r(no_battery, 2),
        "self_powered_gbp": _r(self_powered, 2),
        "saving_vs_no_battery_gbp": _r(None if plan_gbp is None else no_battery - plan_gbp, 2),
        "saving_vs_self_powered_gbp": _r(None if plan_gbp is None else self_powered - plan_gbp, 2),
        "rules_now": list(rules_firing(result, made_at)),
        "rules_first_fire": fired,
        "slots_total": 0,
        "slots_shown": 0,
        "slots": [],
    }
    slots = plan_slots(result)
    document["slots_total"] = len(slots)
    low, high = 0, len(slots)  # the most slots that fit: binary search on whole documents
    while low < high:
        mid = (low + high + 1) // 2
        if len(encode({**document, "slots_shown": mid, "slots": slots[:mid]})) <= max_bytes:
            low = mid
        else:
            high = mid - 1
    document["slots_shown"] = low
    document["slots"] = slots[:low]
    return document


def decision_payload(record: DecisionRecord) -> dict[str, Any]:
    """What was decided and why, what was sent and what the device read back."""
    applied = record.applied
    action = decision_action(record)
    document: dict[str, Any] = {
        "time": record.time.isoformat(),
        "why": record.why,
        "action": action,
        "short": f"{action}: {record.why}"[:SHORT_MAX],
        "summary": record.line(),
        "plan_gbp": _r(record.plan_gbp, 2),
        "error": record.error,
        "commands_used_today": record.commands.used if record.commands is not None else None,
        "commands_left_today": record.commands.left if record.commands is not None else None,
    }
    if applied is not None:
        details = applied.to_json_dict()
        after = applied.report.after
        document.update(
            {
                "failure": details["failure"],
                "span": details["span"],
                "target": details["target"],
                "lease": details["lease"],
                "dry_run": details["dry_run"],
                "ok": details["ok"],
                "sent": details["sent"],
                "not_taken": details["not_taken"],
                "skipped": details["skipped"],
                "errors": details["errors"],
                "read_back": settings_to_json(after) if after is not None else None,
                "notes": details["notes"],
            }
        )
    return document


def event_payload(kind: str, time: datetime, detail: str) -> dict[str, Any]:
    """An event as Home Assistant's MQTT event entity reads it (``event_type``)."""
    return {"event_type": kind, "time": time.isoformat(), "detail": detail}


def home_payload(home: HomeInputs | None) -> dict[str, Any]:
    """What the home has set (defaults before the service took any message)."""
    return (home or HomeInputs()).to_json_dict()


@dataclass
class EventFilter:
    """Drops an event identical (kind and detail) to one passed within ``window``."""

    window: timedelta = timedelta(hours=1)
    _seen: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def passes(self, kind: str, time: datetime, detail: str) -> bool:
        key = (kind, detail)
        last = self._seen.get(key)
        if last is not None and timedelta(0) <= time - last < self.window:
            return False
        self._seen[key] = time
        for old, when in list(self._seen.items()):  # forget what is out of the window
            if time - when >= self.window:
                del self._seen[old]
        return True


def service_event(event: ServiceEvent) -> dict[str, Any]:
    """:func:`event_payload` of a service event."""
    return event_payload(event.kind.value, event.time, event.detail)
