"""From a plan's per-slot energy flows to the few intents a Powerwall can be told.

Pure. Each slot gets one :class:`Intent`; adjacent slots with the same intent merge into an
:class:`IntentSpan`, so the device sees as few changes as possible. Flows below ``tol_kwh``
(default 0.05 kWh) are treated as zero: an LP leaves dust on variables.

Classification of one slot (first match wins):

========================  =================================================================
``CHARGE_FROM_GRID``      ``charge_from_grid_kwh > tol``; target = end-of-slot ``soe_kwh``
``EXPORT``                ``discharge_kwh > tol`` and ``export_kwh > tol`` (the battery feeds
                          the grid); target = end-of-slot ``soe_kwh`` (stop exporting there)
``SELF_POWER``            the battery discharges for the house, or charges from surplus solar
``HOLD``                  no battery flow while the grid is used, battery not full: do not
                          discharge now (the plan keeps the energy for later); target = the
                          energy to keep
``IDLE``                  nothing flows through the battery and nothing needs holding
========================  =================================================================

Merging: runs of equal intents merge; a ``CHARGE_FROM_GRID`` span's target is the highest
target in it (its end), an ``EXPORT`` span's the lowest, a ``HOLD`` span's the first. ``IDLE``
spans then join a neighbouring ``SELF_POWER`` or ``HOLD`` span (the one before first), because
those settings also leave an idle battery idle; an ``IDLE`` span between forced states becomes
``SELF_POWER`` (never extend a forced charge or export). The result is merged again.

**Flip hysteresis** (:func:`suppress_flips`): the LP is indifferent between discharging in one
slot or another at the same price, so a plan often flips ``HOLD → SELF_POWER → HOLD`` (or the
reverse) for a slot or two, and every flip costs Fleet commands (reserve up, reserve down). A
``SELF_POWER`` or ``HOLD`` span of at most :data:`FLIP_MAX_SLOTS` slots between two spans of
the other intent (the first span's "before" is what the device follows now, when known) takes
its neighbours' intent when what it moves is worth less than ``flip_value_gbp`` (default
:data:`FLIP_VALUE_GBP`): value = energy moved × price spread, where the energy is the span's
discharge (``SELF_POWER`` → ``HOLD`` keeps it stored) or its grid import (``HOLD`` →
``SELF_POWER`` lets the battery cover it), and the spread is the largest difference between a
price in the span and the neighbouring slots' prices (the energy's use just before or after).
Charge and export spans are never touched, nor are spans next to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import numpy as np

from optimiser.domain.slots import require_aware

TOL_KWH = 0.05
FLIP_VALUE_GBP = 0.02
"""A short SELF_POWER/HOLD flip worth less than this is not worth its commands. [£]"""
FLIP_MAX_SLOTS = 2
"""Only spans this short count as flips (longer ones are real decisions). [slots]"""


class Intent(StrEnum):
    """What the battery should do during a span."""

    CHARGE_FROM_GRID = "charge_from_grid"
    HOLD = "hold"
    SELF_POWER = "self_power"
    EXPORT = "export"
    IDLE = "idle"


@dataclass(frozen=True, slots=True)
class IntentSpan:
    """One intent over ``[start, end)``.

    Attributes
    ----------
    start, end : datetime
        Span bounds, UTC, on the plan's slot grid.
    intent : Intent
        What the battery should do.
    target_soe_kwh : float or None
        Stored energy to charge to (charge), stop at (export) or keep (hold); None otherwise.
        [kWh]
    capacity_kwh : float
        Usable capacity the target refers to. [kWh]
    """

    start: datetime
    end: datetime
    intent: Intent
    target_soe_kwh: float | None
    capacity_kwh: float

    def covers(self, when: datetime) -> bool:
        """Whether ``when`` falls in ``[start, end)``."""
        return self.start <= require_aware(when, "time") < self.end


def classify_slot(
    *,
    charge_from_grid_kwh: float,
    charge_kwh: float,
    discharge_kwh: float,
    export_kwh: float,
    import_kwh: float,
    soe_kwh: float,
    soe_start_kwh: float,
    capacity_kwh: float,
    tol_kwh: float = TOL_KWH,
) -> tuple[Intent, float | None]:
    """The intent and target of one slot (see the module docstring's table)."""
    if charge_from_grid_kwh > tol_kwh:
        return Intent.CHARGE_FROM_GRID, soe_kwh
    if discharge_kwh > tol_kwh and export_kwh > tol_kwh:
        return Intent.EXPORT, soe_kwh
    if discharge_kwh > tol_kwh or charge_kwh > tol_kwh:
        return Intent.SELF_POWER, None
    full = soe_start_kwh >= capacity_kwh - tol_kwh
    empty = soe_start_kwh <= tol_kwh
    if (import_kwh > tol_kwh or export_kwh > tol_kwh) and not full and not empty:
        return Intent.HOLD, soe_start_kwh
    return Intent.IDLE, None


def intents_from_arrays(
    starts: Sequence[datetime],
    slot: timedelta,
    *,
    charge_from_grid_kwh: Sequence[float] | np.ndarray,
    charge_kwh: Sequence[float] | np.ndarray,
    discharge_kwh: Sequence[float] | np.ndarray,
    export_kwh: Sequence[float] | np.ndarray,
    import_kwh: Sequence[float] | np.ndarray,
    soe_kwh: Sequence[float] | np.ndarray,
    capacity_kwh: float,
    initial_soe_kwh: float | None = None,
    tol_kwh: float = TOL_KWH,
    import_price: Sequence[float] | np.ndarray | None = None,
    before: Intent | None = None,
    flip_value_gbp: float = FLIP_VALUE_GBP,
) -> list[IntentSpan]:
    """Merged intent spans from per-slot plan arrays.

    Parameters
    ----------
    starts : sequence of datetime
        Slot start times (aware), consecutive, ``slot`` apart.
    slot : timedelta
        Slot length.
    charge_from_grid_kwh, charge_kwh, discharge_kwh, export_kwh, import_kwh : array
        Per-slot energies, all ≥ 0. [kWh]
    soe_kwh : array
        Stored energy at the end of each slot. [kWh]
    capacity_kwh : float
        Usable capacity. [kWh]
    initial_soe_kwh : float, optional
        Stored energy at the start of the first slot; default: inferred from the first slot's
        flows is not possible, so the first slot's end value is used. [kWh]
    import_price : array, optional
        Per-slot import price, for the flip hysteresis (None: no hysteresis). [p/kWh]
    before : Intent, optional
        What the device follows now (the first span's "before" for the hysteresis).
    flip_value_gbp : float
        Flips worth less than this are suppressed (0: never). [£]
    """
    n = len(starts)
    arrays = {
        "charge_from_grid_kwh": charge_from_grid_kwh,
        "charge_kwh": charge_kwh,
        "discharge_kwh": discharge_kwh,
        "export_kwh": export_kwh,
        "import_kwh": import_kwh,
        "soe_kwh": soe_kwh,
    }
    for name, values in arrays.items():
        if len(values) != n:
            raise ValueError(f"{name} has {len(values)} values, expected {n} (one per slot)")
    if capacity_kwh <= 0:
        raise ValueError(f"capacity_kwh must be > 0, got {capacity_kwh}")
    starts_utc = [require_aware(s, f"slot start {i}") for i, s in enumerate(starts)]
    for i in range(1, n):
        if starts_utc[i] - starts_utc[i - 1] != slot:
            raise ValueError(
                f"slot starts must be {slot} apart; slot {i} starts at "
                f"{starts_utc[i].isoformat()} after {starts_utc[i - 1].isoformat()}"
            )
    per_slot: list[IntentSpan] = []
    previous_soe = float(soe_kwh[0]) if initial_soe_kwh is None else float(initial_soe_kwh)
    for i in range(n):
        intent, target = classify_slot(
            charge_from_grid_kwh=float(charge_from_grid_kwh[i]),
            charge_kwh=float(charge_kwh[i]),
            discharge_kwh=float(discharge_kwh[i]),
            export_kwh=float(export_kwh[i]),
            import_kwh=float(import_kwh[i]),
            soe_kwh=float(soe_kwh[i]),
            soe_start_kwh=previous_soe,
            capacity_kwh=capacity_kwh,
            tol_kwh=tol_kwh,
        )
        per_slot.append(
            IntentSpan(starts_utc[i], starts_utc[i] + slot, intent, target, capacity_kwh)
        )
        previous_soe = float(soe_kwh[i])
    spans = merge_spans(_absorb_idle(merge_spans(per_slot)))
    if import_price is None:
        return spans
    if len(import_price) != n:
        raise ValueError(f"import_price has {len(import_price)} values, expected {n}")
    if flip_value_gbp <= 0:
        return spans
    return suppress_flips(
        spans,
        starts_utc[0] if n else None,
        slot,
        discharge_kwh=discharge_kwh,
        import_kwh=import_kwh,
        import_price=import_price,
        before=before,
        flip_value_gbp=flip_value_gbp,
    )


def flip_worth_gbp(
    intent: Intent,
    first: int,
    end: int,
    *,
    discharge_kwh: Sequence[float] | np.ndarray,
    import_kwh: Sequence[float] | np.ndarray,
    import_price: Sequence[float] | np.ndarray,
) -> float:
    """What turning slots ``[first, end)`` of ``intent`` into the other of SELF_POWER/HOLD
    would move: energy [kWh] × the largest spread between a price in the span and the prices
    of the slots either side [p/kWh], in £ (see the module docstring)."""
    flows = discharge_kwh if intent is Intent.SELF_POWER else import_kwh
    energy = float(np.sum(np.asarray(flows[first:end], dtype=float)))
    inside = np.asarray(import_price[first:end], dtype=float)
    refs = [float(import_price[i]) for i in (first - 1, end) if 0 <= i < len(import_price)]
    if not refs or inside.size == 0:
        return float("inf")
    spread = max(float(np.max(np.abs(inside - ref))) for ref in refs)
    return energy * spread / 100.0


def suppress_flips(
    spans: Sequence[IntentSpan],
    origin: datetime | None,
    slot: timedelta,
    *,
    discharge_kwh: Sequence[float] | np.ndarray,
    import_kwh: Sequence[float] | np.ndarray,
    import_price: Sequence[float] | np.ndarray,
    before: Intent | None = None,
    flip_value_gbp: float = FLIP_VALUE_GBP,
    max_slots: int = FLIP_MAX_SLOTS,
) -> list[IntentSpan]:
    """Short SELF_POWER/HOLD flips worth less than ``flip_value_gbp`` take their neighbours'
    intent (module docstring); merged again. ``origin`` is the first slot's start. Pure."""
    out = list(spans)
    if origin is None:
        return out
    for i, span in enumerate(out):
        if span.intent not in _ABSORBERS:
            continue
        other = Intent.HOLD if span.intent is Intent.SELF_POWER else Intent.SELF_POWER
        prev = out[i - 1] if i > 0 else None
        nxt = out[i + 1] if i + 1 < len(out) else None
        prev_intent = prev.intent if prev is not None else before
        if prev_intent is not other or nxt is None or nxt.intent is not other:
            continue
        first = round((span.start - origin) / slot)
        end = round((span.end - origin) / slot)
        if end - first > max_slots:
            continue
        value = flip_worth_gbp(
            span.intent,
            first,
            end,
            discharge_kwh=discharge_kwh,
            import_kwh=import_kwh,
            import_price=import_price,
        )
        if value >= flip_value_gbp:
            continue
        source = prev if prev is not None and prev.intent is other else nxt
        out[i] = IntentSpan(span.start, span.end, other, source.target_soe_kwh, span.capacity_kwh)
    return merge_spans(out)


def intents_from_plan(
    plan: Any,
    *,
    capacity_kwh: float | None = None,
    initial_soe_kwh: float | None = None,
    before: Intent | None = None,
    flip_value_gbp: float = FLIP_VALUE_GBP,
) -> list[IntentSpan]:
    """Merged intent spans from a planner ``Plan`` (duck-typed: ``grid`` and per-slot arrays).

    The capacity is ``capacity_kwh``, else ``plan.capacity_kwh``, else
    ``plan.battery.capacity_kwh``. [kWh] The flip hysteresis uses ``plan.import_price``
    (when the plan has it), ``before`` and ``flip_value_gbp``.
    """
    capacity = capacity_kwh
    if capacity is None:
        capacity = getattr(plan, "capacity_kwh", None)
    if capacity is None:
        capacity = plan.battery.capacity_kwh
    return intents_from_arrays(
        plan.grid.starts,
        plan.grid.step,
        charge_from_grid_kwh=plan.charge_from_grid_kwh,
        charge_kwh=plan.charge_kwh,
        discharge_kwh=plan.discharge_kwh,
        export_kwh=plan.export_kwh,
        import_kwh=plan.import_kwh,
        soe_kwh=plan.soe_kwh,
        capacity_kwh=float(capacity),
        initial_soe_kwh=initial_soe_kwh,
        import_price=getattr(plan, "import_price", None),
        before=before,
        flip_value_gbp=flip_value_gbp,
    )


def merge_spans(spans: Sequence[IntentSpan]) -> list[IntentSpan]:
    """Merge adjacent spans with the same intent (targets combined as the docstring says)."""
    merged: list[IntentSpan] = []
    for span in spans:
        if merged and merged[-1].intent is span.intent and merged[-1].end == span.start:
            last = merged[-1]
            merged[-1] = IntentSpan(
                last.start,
                span.end,
                last.intent,
                _combine_target(last.intent, last.target_soe_kwh, span.target_soe_kwh),
                last.capacity_kwh,
            )
        else:
            merged.append(span)
    return merged


def span_at(spans: Sequence[IntentSpan], when: datetime) -> IntentSpan | None:
    """The span in force at ``when``, or None when ``when`` is outside every span."""
    for span in spans:
        if span.covers(when):
            return span
    return None


def span_due(
    spans: Sequence[IntentSpan], now: datetime, settle_minutes: float
) -> IntentSpan | None:
    """The span whose settings should be in place at ``now``: the one in force
    ``settle_minutes`` from now, because a Powerwall takes minutes to act on a change."""
    return span_at(spans, require_aware(now, "now") + timedelta(minutes=settle_minutes)) or (
        span_at(spans, now)
    )


def _combine_target(intent: Intent, first: float | None, second: float | None) -> float | None:
    if first is None or second is None:
        return first if second is None else second
    if intent is Intent.CHARGE_FROM_GRID:
        return max(first, second)
    if intent is Intent.EXPORT:
        return min(first, second)
    return first


def _absorb_idle(spans: list[IntentSpan]) -> list[IntentSpan]:
    """IDLE spans join a neighbouring SELF_POWER or HOLD span, else become SELF_POWER."""
    out = list(spans)
    for i, span in enumerate(out):
        if span.intent is not Intent.IDLE:
            continue
        before = out[i - 1] if i > 0 else None
        after = out[i + 1] if i + 1 < len(out) else None
        if before is not None and before.intent in _ABSORBERS:
            out[i] = IntentSpan(
                span.start, span.end, before.intent, before.target_soe_kwh, span.capacity_kwh
            )
        elif after is not None and after.intent in _ABSORBERS:
            out[i] = IntentSpan(
                span.start, span.end, after.intent, after.target_soe_kwh, span.capacity_kwh
            )
        else:
            out[i] = IntentSpan(span.start, span.end, Intent.SELF_POWER, None, span.capacity_kwh)
    return out


_ABSORBERS = (Intent.SELF_POWER, Intent.HOLD)
