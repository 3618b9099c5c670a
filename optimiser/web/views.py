"""What the dashboard and the API show, as plain JSON documents (pure).

Every page and every ``/api/*`` answer is built from these documents, so what a person sees
and what a script reads cannot drift apart. Units are in the field names: ``_kw`` [kW],
``_kwh`` [kWh], ``_percent`` (Tesla app scale) [%], ``_p_per_kwh`` [p/kWh], ``_gbp`` [£];
times are ISO 8601 in UTC. Signs: ``battery_kw`` > 0 discharging, ``grid_kw`` > 0 importing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from optimiser.domain.actions import Action
from optimiser.domain.units import raw_to_app
from optimiser.gateway.models import SiteState
from optimiser.planning import PlanResult
from optimiser.recorder import Sample
from optimiser.service.observers import ServiceEvent
from optimiser.service.records import DecisionRecord

Json = dict[str, Any]

ACTION_WORDS: dict[str, str] = {
    Action.CHARGE_FROM_GRID: "Charging from the grid",
    Action.CHARGE_FROM_SOLAR: "Charging from solar",
    Action.HOLD: "Holding its charge",
    Action.SELF_POWER: "Powering the house",
    Action.EXPORT: "Exporting to the grid",
    Action.IDLE: "Idle",
}
"""What each :class:`~optimiser.domain.actions.Action` means to a homeowner."""


def iso(when: datetime) -> str:
    """UTC ISO 8601 with a ``Z``."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """Inverse of :func:`iso` (any offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def state_view(state: SiteState) -> Json:
    """A live reading of the site."""
    return {
        "time": iso(state.time),
        "load_kw": round(state.load_kw, 3),
        "solar_kw": round(max(state.solar_kw, 0.0), 3),
        "battery_kw": round(state.battery_kw, 3),
        "grid_kw": round(state.site_kw, 3),
        "soe_kwh": round(state.soe_kwh, 3),
        "capacity_kwh": round(state.capacity_kwh, 3),
        "soc_percent": round(state.app_percent, 1),
        "reserve_percent": round(state.app_reserve_percent, 1),
        "grid_status": state.grid_status,
        "grid_up": state.grid_up,
        "mode": state.mode.value,
    }


def sample_view(sample: Sample) -> Json:
    """A recorded sample in the same shape as :func:`state_view` (unknowns are None)."""
    soc = None
    if sample.soe_kwh is not None and sample.capacity_kwh:
        soc = round(100.0 * sample.soe_kwh / sample.capacity_kwh, 1)
    reserve = sample.backup_reserve_percent
    return {
        "time": iso(sample.time),
        "load_kw": _round(sample.load_kw),
        "solar_kw": None if sample.solar_kw is None else round(max(sample.solar_kw, 0.0), 3),
        "battery_kw": _round(sample.battery_kw),
        "grid_kw": _round(sample.site_kw),
        "soe_kwh": _round(sample.soe_kwh),
        "capacity_kwh": _round(sample.capacity_kwh),
        "soc_percent": soc,
        "reserve_percent": None if reserve is None else round(raw_to_app(reserve), 1),
        "grid_status": sample.grid_status,
        "grid_up": None if sample.grid_status is None else sample.grid_status == _CONNECTED,
        "mode": sample.mode,
    }


_CONNECTED = "SystemGridConnected"


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def plan_view(result: PlanResult, made_at: datetime) -> Json:
    """The plan's JSON (the same document as ``wattplan plan --json``) with when it was made,
    the battery's capacity and reserve floor, and the rule windows as time spans."""
    out = result.to_json_dict()
    out["made_at"] = iso(made_at)
    battery = result.inputs.battery
    out["capacity_kwh"] = round(battery.capacity_kwh, 3)
    floor = result.inputs.reserve_floor_kwh
    out["reserve_floor_kwh"] = round(float(floor[0]), 3) if len(floor) else 0.0
    out["rule_windows"] = rule_windows(out)
    return out


def rule_windows(plan: Mapping[str, Any]) -> list[Json]:
    """Contiguous spans of slots where each rule fired: ``[{rule, start, end}]``."""
    slots = plan.get("slots", [])
    end_of = {slot["start"]: slot["end"] for slot in slots}
    fired = plan.get("rules", {}).get("fired", {}) if plan.get("rules") else {}
    windows: list[Json] = []
    for name, starts in fired.items():
        current: Json | None = None
        for start in sorted(parse_iso(s) for s in starts):
            key = iso(start)
            end = end_of.get(key)
            if end is None:
                continue
            if current is not None and current["end"] == key:
                current["end"] = end
            else:
                current = {"rule": name, "start": key, "end": end}
                windows.append(current)
    return windows


def decision_view(record: DecisionRecord) -> Json:
    """One decision: when, why, what was applied, commands sent, the read-back and the
    commands left today after it (None: the backend has no daily budget)."""
    applied = record.applied.to_json_dict() if record.applied is not None else None
    commands = record.commands
    out: Json = {
        "time": iso(record.time),
        "why": record.why,
        "line": record.line(),
        "plan_gbp": None if record.plan_gbp is None else round(record.plan_gbp, 4),
        "error": record.error,
        "applied": applied,
        "commands_used_today": None if commands is None else commands.used,
        "commands_left_today": None if commands is None else commands.left,
    }
    if applied is None:
        out |= {"action": None, "target": None, "sent": [], "readback": "nothing applied"}
        return out
    span = applied["span"]
    out["action"] = span["action"] if span is not None else None
    out["until"] = span["end"] if span is not None else None
    out["target"] = applied["target"]
    out["sent"] = applied["sent"]
    out["readback"] = _readback(applied)
    return out


def _readback(applied: Mapping[str, Any]) -> str:
    problems = []
    for key, label in (
        ("not_taken", "did not take"),
        ("skipped", "skipped (budget)"),
        ("errors", "errors"),
    ):
        if applied[key]:
            problems.append(f"{label}: {', '.join(applied[key])}")
    if problems:
        return "; ".join(problems)
    if applied["dry_run"]:
        return "dry run: nothing sent"
    return "confirmed" if applied["sent"] else "already in place"


def event_view(event: ServiceEvent) -> Json:
    """One service event."""
    return {"time": iso(event.time), "kind": event.kind.value, "detail": event.detail}


def current_slot(plan: Mapping[str, Any], now: datetime) -> int | None:
    """Index of the plan's slot containing ``now`` (None: outside the plan)."""
    for index, slot in enumerate(plan.get("slots", [])):
        if parse_iso(slot["start"]) <= now < parse_iso(slot["end"]):
            return index
    return None


def next_change(plan: Mapping[str, Any], index: int) -> Json | None:
    """The first slot after ``index`` whose action differs: ``{time, action, words}``."""
    slots = plan.get("slots", [])
    action = slots[index]["action"]
    for slot in slots[index + 1 :]:
        if slot["action"] != action:
            return {
                "time": slot["start"],
                "action": slot["action"],
                "words": ACTION_WORDS.get(slot["action"], slot["action"]),
            }
    return None


def explain(plan: Mapping[str, Any], index: int) -> str:
    """Why the plan does what it does in slot ``index``, in one sentence of prices."""
    slots: Sequence[Mapping[str, Any]] = plan.get("slots", [])
    slot = slots[index]
    action = slot["action"]
    buy, sell = slot["import_price"], slot["export_price"]
    later = slots[index + 1 :]
    if action == "charge_from_grid":
        dearer = max(later, key=lambda s: s["import_price"], default=None)
        if dearer is not None and dearer["import_price"] > buy:
            return (
                f"Grid energy costs {buy:.1f}p/kWh now; it rises to "
                f"{dearer['import_price']:.1f}p/kWh later, so the battery stores it now."
            )
        return f"Grid energy costs {buy:.1f}p/kWh now, the cheapest in the plan."
    if action == "export":
        return f"Export pays {sell:.1f}p/kWh now, more than the stored energy is worth later."
    if action == "hold":
        dearer = max(later, key=lambda s: s["import_price"], default=None)
        if dearer is not None and dearer["import_price"] > buy:
            return (
                f"Grid energy costs {buy:.1f}p/kWh now; the battery keeps its charge for later, "
                f"when it costs up to {dearer['import_price']:.1f}p/kWh."
            )
        return f"Grid energy costs {buy:.1f}p/kWh now; the battery keeps its charge."
    if action == "self_power":
        return f"The battery covers the house instead of buying at {buy:.1f}p/kWh."
    if action == "charge_from_solar":
        return f"Spare solar goes into the battery rather than out at {sell:.1f}p/kWh export."
    return "Nothing to gain from the battery right now."


def now_view(
    state: Json | None,
    plan: Json | None,
    decisions: Sequence[Json],
    now: datetime,
) -> Json:
    """The Now page: the reading, what the battery is doing and why, and the next change."""
    index = current_slot(plan, now) if plan is not None else None
    last = decisions[-1] if decisions else None
    action = None
    if index is not None and plan is not None:
        slot = plan["slots"][index]
        action = {
            "action": slot["action"],
            "words": ACTION_WORDS.get(slot["action"], slot["action"]),
            "why": explain(plan, index),
            "import_price_p_per_kwh": slot["import_price"],
            "export_price_p_per_kwh": slot["export_price"],
        }
    if action is not None and state is not None and state["grid_up"] is False:
        action = action | {
            "action": "outage",
            "words": "Keeping the house powered",
            "why": "The grid is down: the plan waits, the battery runs the house and the reserve "
            "is never lowered until the grid is back.",
        }
    device = None
    if last is not None:
        applied = last["applied"]
        failure = applied["failure"] if applied is not None else None
        device = {
            "time": last["time"],
            "why": last["why"],
            "target": last["target"],
            "failure": failure,
            "error": last["error"],
            "readback": last["readback"],
            "commands_left_today": last.get("commands_left_today"),
        }
    return {
        "now": iso(now),
        "state": state,
        "action": action,
        "device": device,
        "next_change": next_change(plan, index) if index is not None and plan else None,
    }
