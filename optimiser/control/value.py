"""What each of the plan's intent spans is worth, and how many commands to keep for later.

Pure. The Fleet API's daily command budget is short on busy days; these estimates let the
controller spend commands where they save most across the UTC day (the budget's day).

**Span value** (:func:`span_value_gbp`) — the plan's saving from following a span instead of
leaving the device as it is, estimated from the plan's arrays and prices alone: the energy the
span moves [kWh] × a price spread [p/kWh] between the span and the next ``lookahead`` slots
(default :data:`LOOKAHEAD_SLOTS`, 12 hours of half-hour slots), in £, never negative:

=====================  ================================  =====================================
intent                 energy moved                      spread
=====================  ================================  =====================================
``CHARGE_FROM_GRID``   grid → battery                    mean import price after − mean import
                                                         price in the span (charge-weighted)
``EXPORT``             battery → grid (min of discharge  mean export price in the span − lowest
                       and export)                       import price after (the refill price)
``HOLD``               grid import in the span (what a   highest import price after − mean
                       self-powered battery would have   import price in the span
                       covered instead)
``SELF_POWER``/other   battery discharge                 mean import price in the span −
                                                         lowest import price after
=====================  ================================  =====================================

A span at the end of the horizon has no "after": the span's own prices stand in (spread 0
for the ``after`` terms that need them), so it is worth little — the plan's far end is also the
least certain.

**Commands a span needs** (:func:`span_commands`): the differences (:func:`differences`) between
canonical settings of the span before and the span itself: self-power = self-consumption at the
floor; hold = self-consumption at a raised reserve (above 80 % of the capacity on Fleet:
reserve 100 and grid charging off); charge = a raised reserve, or autonomous time-based
control when the backend can fast-charge; export = autonomous, raised reserve, ``battery_ok``.
Tariff uploads are not counted (the uploaded tariff serves every day).

**Look-ahead** (:func:`commands_to_keep`): the later spans of the same UTC day compete with the
change due now for the commands left. Greedy by value per command: every later span worth more
per command than the change due now keeps its commands, as long as they fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from optimiser.control.intents import Intent, IntentSpan
from optimiser.control.translate import FLEET_RESERVE_MAX_BELOW_FULL, Capabilities, DeviceSettings
from optimiser.domain.device import ExportRule, OperationMode

LOOKAHEAD_SLOTS = 24
"""Slots after a span whose prices value its energy (12 h of half-hour slots). [slots]"""


@dataclass(frozen=True, slots=True)
class SpanDemand:
    """One later span's claim on the budget: value [£] and commands it needs [-]."""

    start: datetime
    intent: Intent
    value_gbp: float
    commands: int


def span_value_gbp(
    intent: Intent,
    first: int,
    end: int,
    *,
    charge_from_grid_kwh: Sequence[float] | np.ndarray,
    discharge_kwh: Sequence[float] | np.ndarray,
    export_kwh: Sequence[float] | np.ndarray,
    import_kwh: Sequence[float] | np.ndarray,
    import_price: Sequence[float] | np.ndarray,
    export_price: Sequence[float] | np.ndarray,
    lookahead: int = LOOKAHEAD_SLOTS,
) -> float:
    """What following slots ``[first, end)`` with ``intent`` saves, in £ (module docstring)."""
    n = len(import_price)
    first, end = max(first, 0), min(end, n)
    if end <= first:
        return 0.0
    imp = np.asarray(import_price, dtype=float)
    exp = np.asarray(export_price, dtype=float)
    inside = slice(first, end)
    after = slice(end, min(end + lookahead, n))
    imp_after = imp[after] if end < n else imp[inside]
    if intent is Intent.CHARGE_FROM_GRID:
        energy = np.asarray(charge_from_grid_kwh[first:end], dtype=float)
        total = float(energy.sum())
        paid = float(np.average(imp[inside], weights=energy)) if total > 0 else 0.0
        spread = float(imp_after.mean()) - paid
    elif intent is Intent.EXPORT:
        moved = np.minimum(
            np.asarray(discharge_kwh[first:end], dtype=float),
            np.asarray(export_kwh[first:end], dtype=float),
        )
        total = float(moved.sum())
        spread = float(exp[inside].mean()) - float(imp_after.min())
    elif intent is Intent.HOLD:
        total = float(np.sum(np.asarray(import_kwh[first:end], dtype=float)))
        spread = float(imp_after.max()) - float(imp[inside].mean())
    else:
        total = float(np.sum(np.asarray(discharge_kwh[first:end], dtype=float)))
        spread = float(imp[inside].mean()) - float(imp_after.min())
    return max(total * spread / 100.0, 0.0)


def plan_span_value_gbp(plan: Any, intent: Intent, first: int, end: int, lookahead: int) -> float:
    """:func:`span_value_gbp` for slots ``[first, end)`` of a planner ``Plan``. [£]"""
    return span_value_gbp(
        intent,
        first,
        end,
        charge_from_grid_kwh=plan.charge_from_grid_kwh,
        discharge_kwh=plan.discharge_kwh,
        export_kwh=plan.export_kwh,
        import_kwh=plan.import_kwh,
        import_price=plan.import_price,
        export_price=plan.export_price,
        lookahead=lookahead,
    )


def canonical_settings(
    intent: Intent,
    *,
    soe_start_kwh: float,
    capacity_kwh: float,
    floor_app_percent: float,
    capabilities: Capabilities,
) -> DeviceSettings:
    """The shape of settings a span of ``intent`` needs (for counting commands only)."""
    floor = floor_app_percent
    raised = min(max(floor + 10.0, 100.0 * soe_start_kwh / capacity_kwh), 100.0)
    if intent is Intent.HOLD:
        if capabilities.fleet_reserve_rule and raised > FLEET_RESERVE_MAX_BELOW_FULL:
            return DeviceSettings(OperationMode.SELF_CONSUMPTION, 100.0, grid_charging=False)
        return DeviceSettings(OperationMode.SELF_CONSUMPTION, raised)
    if intent is Intent.CHARGE_FROM_GRID:
        if capabilities.can_fast_charge:
            return DeviceSettings(OperationMode.AUTONOMOUS, floor)
        return DeviceSettings(OperationMode.SELF_CONSUMPTION, min(raised, 80.0))
    if intent is Intent.EXPORT:
        return DeviceSettings(
            OperationMode.AUTONOMOUS, floor + 1.0, export_rule=ExportRule.BATTERY_OK
        )
    return DeviceSettings(OperationMode.SELF_CONSUMPTION, floor)


def span_commands(before: DeviceSettings, after: DeviceSettings, capabilities: Capabilities) -> int:
    """Commands to go from ``before`` to ``after`` (settings differences; tariff not counted)."""
    from optimiser.control.backends import differences

    changes, _ = differences(before, after, capabilities)
    return len(changes)


def later_demands(
    plan: Any,
    spans: Sequence[IntentSpan],
    due: IntentSpan,
    *,
    day_end: datetime,
    floor_app_percent: float,
    capabilities: Capabilities,
    lookahead: int = LOOKAHEAD_SLOTS,
) -> list[SpanDemand]:
    """The spans after ``due`` that start before ``day_end`` (the budget's day), each with its
    value and the commands it needs from the span before it. Pure (``plan``: grid + arrays)."""
    origin = plan.grid.start
    step: timedelta = plan.grid.step
    soe = np.asarray(plan.soe_kwh, dtype=float)
    start_soe = float(getattr(plan, "start_soe_kwh", soe[0]))
    out: list[SpanDemand] = []
    previous: DeviceSettings | None = None
    for span in spans:
        if span.start < due.start:
            continue
        first = round((span.start - origin) / step)
        end = round((span.end - origin) / step)
        soe_start = start_soe if first <= 0 else float(soe[first - 1])
        shape = canonical_settings(
            span.intent,
            soe_start_kwh=soe_start,
            capacity_kwh=span.capacity_kwh,
            floor_app_percent=floor_app_percent,
            capabilities=capabilities,
        )
        if span is not due and previous is not None and span.start < day_end:
            value = plan_span_value_gbp(plan, span.intent, first, end, lookahead)
            commands = span_commands(previous, shape, capabilities)
            if commands:
                out.append(SpanDemand(span.start, span.intent, value, commands))
        if span.start >= day_end:
            break
        previous = shape
    return out


def commands_to_keep(
    value_gbp: float, commands: int, later: Sequence[SpanDemand], left: int
) -> int:
    """Commands of ``left`` to keep for later spans worth more per command than the change due
    now (``value_gbp`` for ``commands``). Greedy by value per command, best first; a span that
    does not fit in what is left is passed over. Pure."""
    if commands <= 0:
        return 0
    own = value_gbp / commands
    keep = 0
    for demand in sorted(later, key=lambda d: -d.value_gbp / d.commands):
        if demand.value_gbp / demand.commands <= own:
            break
        if keep + demand.commands <= left:
            keep += demand.commands
    return keep


@dataclass(frozen=True, slots=True)
class BudgetOutlook:
    """The change due now's value and what the rest of the budget's day asks for."""

    value_gbp: float
    later: tuple[SpanDemand, ...] = ()

    def keep(self, commands: int, left: int) -> int:
        """Commands of ``left`` to keep for later when the change due now needs ``commands``."""
        return commands_to_keep(self.value_gbp, commands, self.later, left)


def budget_outlook(
    plan: Any,
    spans: Sequence[IntentSpan],
    due: IntentSpan,
    now: datetime,
    *,
    floor_app_percent: float,
    capabilities: Capabilities,
    lookahead: int = LOOKAHEAD_SLOTS,
) -> BudgetOutlook:
    """The value of ``due`` and the demands of the later spans of ``now``'s UTC day. Pure."""
    origin, step = plan.grid.start, plan.grid.step
    first = round((due.start - origin) / step)
    end = round((due.end - origin) / step)
    value = plan_span_value_gbp(plan, due.intent, first, end, lookahead)
    day_end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    later = later_demands(
        plan,
        spans,
        due,
        day_end=day_end,
        floor_app_percent=floor_app_percent,
        capabilities=capabilities,
        lookahead=lookahead,
    )
    return BudgetOutlook(value, tuple(later))
