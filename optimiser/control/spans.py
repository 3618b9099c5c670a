"""From a plan's per-slot actions to the few spans a Powerwall is told to follow. Pure.

Each slot's :class:`~optimiser.domain.actions.Action` (``Plan.actions``, the one classifier)
becomes the action the device is set up for, and adjacent slots with the same one merge into an
:class:`ActionSpan`, so the device sees as few changes as possible:

1. ``charge_from_solar`` is followed as ``self_power`` (self-consumption charges from surplus
   solar); every other action as itself. Targets: a ``charge_from_grid`` or ``export`` slot's
   is its end-of-slot stored energy (charge to / stop exporting at), a ``hold`` slot's its
   start (the energy to keep).
2. Runs of equal actions merge: a ``charge_from_grid`` span's target is the highest in it (its
   end), an ``export`` span's the lowest, a ``hold`` span's the first.
3. ``idle`` spans join a neighbouring ``self_power`` or ``hold`` span (the one before first),
   because those settings also leave an idle battery idle; an ``idle`` span between forced
   states becomes ``self_power`` (never extend a forced charge or export). Merged again.

**Flip hysteresis** (:func:`suppress_flips`): the LP is indifferent between discharging in one
slot or another at the same price, so a plan often flips ``hold → self_power → hold`` (or the
reverse) for a slot or two, and every flip costs Fleet commands (reserve up, reserve down). A
``self_power`` or ``hold`` span of at most :data:`FLIP_MAX_SLOTS` slots between two spans of
the other action (the first span's "before" is what the device follows now, when known) takes
its neighbours' action when what it moves is worth less than ``flip_value_gbp`` (default
:data:`FLIP_VALUE_GBP`): value = energy moved × price spread, where the energy is the span's
discharge (``self_power`` → ``hold`` keeps it stored) or its grid import (``hold`` →
``self_power`` lets the battery cover it), and the spread is the largest difference between a
price in the span and the neighbouring slots' prices. Such a span says why in
:attr:`ActionSpan.why`. Charge and export spans are never touched, nor are spans next to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np

from optimiser.domain.actions import Action
from optimiser.domain.slots import SlotGrid, require_aware
from optimiser.planner.result import Plan

FLIP_VALUE_GBP = 0.02
"""A short self-power/hold flip worth less than this is not worth its commands. [£]"""
FLIP_MAX_SLOTS = 2
"""Only spans this short count as flips (longer ones are real decisions). [slots]"""

_ABSORBERS = (Action.SELF_POWER, Action.HOLD)


@dataclass(frozen=True, slots=True)
class ActionSpan:
    """One action the device follows over ``[start, end)``.

    Attributes
    ----------
    start, end : datetime
        Span bounds, UTC, on the plan's slot grid.
    action : Action
        What the device is set up for: ``charge_from_grid``, ``export``, ``self_power`` or
        ``hold`` (``idle`` only when nothing else is possible).
    target_soe_kwh : float or None
        Stored energy to charge to (charge), stop at (export) or keep (hold); None otherwise.
        [kWh]
    capacity_kwh : float
        Usable capacity the target refers to. [kWh]
    why : str or None
        Why the span's action differs from its slots' on purpose (a flip not worth its
        commands); not compared.
    """

    start: datetime
    end: datetime
    action: Action
    target_soe_kwh: float | None
    capacity_kwh: float
    why: str | None = field(default=None, compare=False)

    def covers(self, when: datetime) -> bool:
        """Whether ``when`` falls in ``[start, end)``."""
        return self.start <= require_aware(when, "time") < self.end


def followed_as(action: Action) -> Action:
    """The action the device is set up for to follow a slot's ``action`` (step 1 above)."""
    return Action.SELF_POWER if action is Action.CHARGE_FROM_SOLAR else action


def spans_from_actions(
    grid: SlotGrid,
    actions: Sequence[Action],
    *,
    soe_kwh: Sequence[float] | np.ndarray,
    start_soe_kwh: float,
    capacity_kwh: float,
) -> list[ActionSpan]:
    """Merged spans (steps 1–3 above) from per-slot actions and end-of-slot stored energy.

    Parameters
    ----------
    grid : SlotGrid
        The plan's slots.
    actions : sequence of Action
        One per slot.
    soe_kwh : array
        Stored energy at the end of each slot. [kWh]
    start_soe_kwh : float
        Stored energy at the first slot's start. [kWh]
    capacity_kwh : float
        Usable capacity. [kWh]
    """
    n = grid.count
    if len(actions) != n or len(soe_kwh) != n:
        raise ValueError(
            f"expected one action and one soe_kwh per slot ({n}), got {len(actions)} actions "
            f"and {len(soe_kwh)} soe_kwh values"
        )
    if capacity_kwh <= 0:
        raise ValueError(f"capacity_kwh must be > 0, got {capacity_kwh}")
    per_slot = []
    previous_soe = float(start_soe_kwh)
    for t, slot_action in enumerate(actions):
        action = followed_as(slot_action)
        end_soe = float(soe_kwh[t])
        target = None
        if action in (Action.CHARGE_FROM_GRID, Action.EXPORT):
            target = end_soe
        elif action is Action.HOLD:
            target = previous_soe
        start = grid.slot_start(t)
        per_slot.append(ActionSpan(start, start + grid.step, action, target, capacity_kwh))
        previous_soe = end_soe
    return merge_spans(_absorb_idle(merge_spans(per_slot)))


def spans_from_plan(
    plan: Plan,
    *,
    capacity_kwh: float,
    before: Action | None = None,
    flip_value_gbp: float = FLIP_VALUE_GBP,
) -> list[ActionSpan]:
    """The spans the device follows for ``plan``: merged, then the flip hysteresis.

    ``before`` is what the device follows now (the first span's "before" for the hysteresis);
    ``flip_value_gbp`` 0 follows every flip. [£]
    """
    spans = spans_from_actions(
        plan.grid,
        plan.actions,
        soe_kwh=plan.soe_kwh,
        start_soe_kwh=plan.start_soe_kwh,
        capacity_kwh=capacity_kwh,
    )
    if flip_value_gbp <= 0:
        return spans
    return suppress_flips(
        spans,
        plan.grid,
        discharge_kwh=plan.discharge_kwh,
        import_kwh=plan.import_kwh,
        import_price=plan.import_price,
        before=before,
        flip_value_gbp=flip_value_gbp,
    )


def flip_worth_gbp(
    action: Action,
    first: int,
    end: int,
    *,
    discharge_kwh: Sequence[float] | np.ndarray,
    import_kwh: Sequence[float] | np.ndarray,
    import_price: Sequence[float] | np.ndarray,
) -> float:
    """What turning slots ``[first, end)`` of ``action`` into the other of self-power/hold
    would move: energy [kWh] × the largest spread between a price in the span and the prices
    of the slots either side [p/kWh], in £ (see the module docstring)."""
    flows = discharge_kwh if action is Action.SELF_POWER else import_kwh
    energy = float(np.sum(np.asarray(flows[first:end], dtype=float)))
    inside = np.asarray(import_price[first:end], dtype=float)
    refs = [float(import_price[i]) for i in (first - 1, end) if 0 <= i < len(import_price)]
    if not refs or inside.size == 0:
        return float("inf")
    spread = max(float(np.max(np.abs(inside - ref))) for ref in refs)
    return energy * spread / 100.0


def suppress_flips(
    spans: Sequence[ActionSpan],
    grid: SlotGrid,
    *,
    discharge_kwh: Sequence[float] | np.ndarray,
    import_kwh: Sequence[float] | np.ndarray,
    import_price: Sequence[float] | np.ndarray,
    before: Action | None = None,
    flip_value_gbp: float = FLIP_VALUE_GBP,
    max_slots: int = FLIP_MAX_SLOTS,
) -> list[ActionSpan]:
    """Short self-power/hold flips worth less than ``flip_value_gbp`` take their neighbours'
    action (module docstring); merged again. The arrays are per slot of ``grid``. Pure."""
    out = list(spans)
    for i, span in enumerate(out):
        if span.action not in _ABSORBERS:
            continue
        other = Action.HOLD if span.action is Action.SELF_POWER else Action.SELF_POWER
        prev = out[i - 1] if i > 0 else None
        nxt = out[i + 1] if i + 1 < len(out) else None
        prev_action = prev.action if prev is not None else before
        if prev_action is not other or nxt is None or nxt.action is not other:
            continue
        first = round((span.start - grid.start) / grid.step)
        end = round((span.end - grid.start) / grid.step)
        if end - first > max_slots:
            continue
        value = flip_worth_gbp(
            span.action,
            first,
            end,
            discharge_kwh=discharge_kwh,
            import_kwh=import_kwh,
            import_price=import_price,
        )
        if value >= flip_value_gbp:
            continue
        source = prev if prev is not None and prev.action is other else nxt
        why = (
            f"followed as {other.label}: a {end - first}-slot flip worth £{value:.2f} "
            f"(< £{flip_value_gbp:g}) is not worth its commands"
        )
        out[i] = ActionSpan(
            span.start, span.end, other, source.target_soe_kwh, span.capacity_kwh, why
        )
    return merge_spans(out)


def merge_spans(spans: Sequence[ActionSpan]) -> list[ActionSpan]:
    """Adjacent spans with the same action become one (targets combined as the module says)."""
    merged: list[ActionSpan] = []
    for span in spans:
        if merged and merged[-1].action is span.action and merged[-1].end == span.start:
            last = merged[-1]
            merged[-1] = replace(
                last,
                end=span.end,
                target_soe_kwh=_combine_target(
                    last.action, last.target_soe_kwh, span.target_soe_kwh
                ),
                why=last.why or span.why,
            )
        else:
            merged.append(span)
    return merged


def span_at(spans: Sequence[ActionSpan], when: datetime) -> ActionSpan | None:
    """The span in force at ``when``, or None when ``when`` is outside every span."""
    for span in spans:
        if span.covers(when):
            return span
    return None


def span_due(
    spans: Sequence[ActionSpan], now: datetime, settle_minutes: float
) -> ActionSpan | None:
    """The span whose settings should be in place at ``now``: the one in force
    ``settle_minutes`` from now, because a Powerwall takes minutes to act on a change."""
    return span_at(spans, require_aware(now, "now") + timedelta(minutes=settle_minutes)) or (
        span_at(spans, now)
    )


def _combine_target(action: Action, first: float | None, second: float | None) -> float | None:
    if first is None or second is None:
        return first if second is None else second
    if action is Action.CHARGE_FROM_GRID:
        return max(first, second)
    if action is Action.EXPORT:
        return min(first, second)
    return first


def _absorb_idle(spans: list[ActionSpan]) -> list[ActionSpan]:
    """Idle spans join a neighbouring self-power or hold span, else become self-power."""
    out = list(spans)
    for i, span in enumerate(out):
        if span.action is not Action.IDLE:
            continue
        before = out[i - 1] if i > 0 else None
        after = out[i + 1] if i + 1 < len(out) else None
        if before is not None and before.action in _ABSORBERS:
            out[i] = replace(span, action=before.action, target_soe_kwh=before.target_soe_kwh)
        elif after is not None and after.action in _ABSORBERS:
            out[i] = replace(span, action=after.action, target_soe_kwh=after.target_soe_kwh)
        else:
            out[i] = replace(span, action=Action.SELF_POWER, target_soe_kwh=None)
    return out
