"""What each of the plan's spans is worth, and how many commands to keep for later.

Pure. The Fleet API's daily command budget is short on busy days; these estimates let the
controller spend commands where they save most across the UTC day (the budget's day).

**Span value** (:func:`span_value_gbp`) — the plan's saving from following a span instead of
leaving the device as it is, estimated from the plan's arrays and prices alone: the energy the
span moves [kWh] × a price spread [p/kWh] between the span and the next ``lookahead`` slots
(default :data:`LOOKAHEAD_SLOTS`, 12 hours of half-hour slots), in £, never negative:

=====================  ================================  =====================================
action                 energy moved                      spread
=====================  ================================  =====================================
``charge_from_grid``   grid → battery                    mean import price after − mean import
                                                         price in the span (charge-weighted)
``export``             battery → grid (min of discharge  mean export price in the span − lowest
                       and export)                       import price after (the refill price)
``hold``               grid import in the span (what a   highest import price after − mean
                       self-powered battery would have   import price in the span
                       covered instead)
``self_power``/other   battery discharge                 mean import price in the span −
                                                         lowest import price after
=====================  ================================  =====================================

A span at the end of the horizon has no "after": the span's own prices stand in (spread 0
for the ``after`` terms that need them), so it is worth little — the plan's far end is also the
least certain.

**Commands a span needs** (:func:`span_commands`): the differences
(:func:`~optimiser.control.commands.differences`) between the settings of the span before and
the span itself, both from the one translation (:func:`~optimiser.control.translate.settings_for`
at the span's start, with the plan's stored energy then). Tariff uploads are not counted (the
uploaded tariff serves every day).

**Look-ahead** (:func:`commands_to_keep`): the later spans of the same UTC day compete with the
change due now for the commands left. Greedy by value per command: every later span worth more
per command than the change due now keeps its commands, as long as they fit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

import numpy as np

from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import differences
from optimiser.control.policy import ControlPolicy
from optimiser.control.scarce import ControlStyle, scarce_settings
from optimiser.control.spans import ActionSpan
from optimiser.control.translate import settings_for
from optimiser.domain.actions import Action
from optimiser.domain.device import Settings, UploadedTariff
from optimiser.planner.result import Plan

LOOKAHEAD_SLOTS = 24
"""Slots after a span whose prices value its energy (12 h of half-hour slots). [slots]"""


@dataclass(frozen=True, slots=True)
class SpanDemand:
    """One later span's claim on the budget: value [£] and commands it needs [-]."""

    start: datetime
    action: Action
    value_gbp: float
    commands: int


def span_value_gbp(
    action: Action,
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
    """What following slots ``[first, end)`` with ``action`` saves, in £ (module docstring)."""
    n = len(import_price)
    first, end = max(first, 0), min(end, n)
    if end <= first:
        return 0.0
    imp = np.asarray(import_price, dtype=float)
    exp = np.asarray(export_price, dtype=float)
    inside = slice(first, end)
    after = slice(end, min(end + lookahead, n))
    imp_after = imp[after] if end < n else imp[inside]
    if action is Action.CHARGE_FROM_GRID:
        energy = np.asarray(charge_from_grid_kwh[first:end], dtype=float)
        total = float(energy.sum())
        paid = float(np.average(imp[inside], weights=energy)) if total > 0 else 0.0
        spread = float(imp_after.mean()) - paid
    elif action is Action.EXPORT:
        moved = np.minimum(
            np.asarray(discharge_kwh[first:end], dtype=float),
            np.asarray(export_kwh[first:end], dtype=float),
        )
        total = float(moved.sum())
        spread = float(exp[inside].mean()) - float(imp_after.min())
    elif action is Action.HOLD:
        total = float(np.sum(np.asarray(import_kwh[first:end], dtype=float)))
        spread = float(imp_after.max()) - float(imp[inside].mean())
    else:
        total = float(np.sum(np.asarray(discharge_kwh[first:end], dtype=float)))
        spread = float(imp[inside].mean()) - float(imp_after.min())
    return max(total * spread / 100.0, 0.0)


def plan_span_value_gbp(plan: Plan, action: Action, first: int, end: int, lookahead: int) -> float:
    """:func:`span_value_gbp` for slots ``[first, end)`` of ``plan``. [£]"""
    return span_value_gbp(
        action,
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


def span_commands(before: Settings, after: Settings, capabilities: Capabilities) -> int:
    """Commands to go from ``before`` to ``after`` (settings differences; tariff not counted)."""
    changes, _ = differences(
        replace(before, tariff=None), replace(after, tariff=None), capabilities
    )
    return len(changes)


def later_demands(
    plan: Plan,
    spans: Sequence[ActionSpan],
    due: ActionSpan,
    *,
    day_end: datetime,
    policy: ControlPolicy,
    capabilities: Capabilities,
    uploaded_for: Callable[[datetime], UploadedTariff | None],
    charge_efficiency: float = 0.95,
    lookahead: int = LOOKAHEAD_SLOTS,
    style: ControlStyle = ControlStyle.FOLLOW,
    current: Settings | None = None,
) -> list[SpanDemand]:
    """The spans after ``due`` that start before ``day_end`` (the budget's day), each with its
    value and the commands it needs from the span before it: the differences between their
    settings (the ``style``'s translation, :func:`~optimiser.control.translate.settings_for` or
    :func:`~optimiser.control.scarce.scarce_settings`, at the span's start, stored energy from
    the plan; ``uploaded_for(when)`` is the tariff kept uploaded then; ``current`` is what the
    device holds, for the scarce policy's kept settings). Pure."""
    grid = plan.grid
    soe = plan.soe_kwh
    out: list[SpanDemand] = []
    previous: Settings | None = None
    scarce = style is ControlStyle.SCARCE
    for span in spans:
        if span.start < due.start:
            continue
        first = round((span.start - grid.start) / grid.step)
        end = round((span.end - grid.start) / grid.step)
        soe_start = plan.start_soe_kwh if first <= 0 else float(soe[first - 1])
        translate = scarce_settings if scarce else settings_for
        shape = translate(
            span,
            soe_now_kwh=soe_start,
            policy=policy,
            capabilities=capabilities,
            uploaded=uploaded_for(span.start),
            now=span.start,
            current=previous if previous is not None or not scarce else current,
            charge_efficiency=charge_efficiency,
        )
        if span is not due and previous is not None and span.start < day_end:
            value = plan_span_value_gbp(plan, span.action, first, end, lookahead)
            commands = span_commands(previous, shape, capabilities)
            if commands:
                out.append(SpanDemand(span.start, span.action, value, commands))
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


class Outlook(Protocol):
    """The change due now's value and how many of the commands left to keep for later."""

    @property
    def value_gbp(self) -> float:
        """What the change due now is worth. [£]"""
        ...

    def keep(self, commands: int, left: int) -> int:
        """Commands of ``left`` to keep for later when the change due now needs ``commands``."""
        ...


@dataclass(frozen=True, slots=True)
class BudgetOutlook:
    """The change due now's value and what the rest of the budget's day asks for."""

    value_gbp: float
    later: tuple[SpanDemand, ...] = ()

    def keep(self, commands: int, left: int) -> int:
        """Commands of ``left`` to keep for later when the change due now needs ``commands``."""
        return commands_to_keep(self.value_gbp, commands, self.later, left)


def budget_outlook(
    plan: Plan,
    spans: Sequence[ActionSpan],
    due: ActionSpan,
    now: datetime,
    *,
    policy: ControlPolicy,
    capabilities: Capabilities,
    uploaded_for: Callable[[datetime], UploadedTariff | None],
    charge_efficiency: float = 0.95,
    lookahead: int = LOOKAHEAD_SLOTS,
    style: ControlStyle = ControlStyle.FOLLOW,
    current: Settings | None = None,
) -> BudgetOutlook:
    """The value of ``due`` and the demands of the later spans of ``now``'s UTC day
    (translated by ``style``, from what the device holds: ``current``). Pure."""
    grid = plan.grid
    first = round((due.start - grid.start) / grid.step)
    end = round((due.end - grid.start) / grid.step)
    value = plan_span_value_gbp(plan, due.action, first, end, lookahead)
    day_end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    later = later_demands(
        plan,
        spans,
        due,
        day_end=day_end,
        policy=policy,
        capabilities=capabilities,
        uploaded_for=uploaded_for,
        charge_efficiency=charge_efficiency,
        lookahead=lookahead,
        style=style,
        current=current,
    )
    return BudgetOutlook(value, tuple(later))
