"""Where control will not follow the plan's action on purpose, and why (``wattplan plan``).

Control follows the plan's actions (``Plan.actions``), except where it decides otherwise on
purpose; :func:`slot_deviations` says so per slot, from the same steps the controller takes:

- a short self-power/hold flip not worth its commands is followed as its neighbours
  (:func:`~optimiser.control.spans.suppress_flips`);
- an export the backend cannot make (no battery export, no tariff to upload) and a hold within
  the hold tolerance of the floor are followed as self-power
  (:func:`~optimiser.control.translate.followed_action`).

Idle and charge-from-solar slots never deviate: every setting that follows a span leaves an idle
battery idle and lets surplus solar charge it. A refused change (the command budget) is known
only when applying: :attr:`~optimiser.control.report.AppliedReport.why`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from optimiser.config import Config
from optimiser.control.capabilities import Capabilities
from optimiser.control.decision import device_spans, uploaded_for_tariff
from optimiser.control.policy import ControlPolicy
from optimiser.control.spans import followed_as
from optimiser.control.translate import followed_action
from optimiser.domain.actions import Action
from optimiser.domain.device import UploadedTariff
from optimiser.planner.result import Plan
from tariffs import Tariff

if TYPE_CHECKING:  # planning imports control (capabilities, limits): type only, no cycle
    from optimiser.planning import PlanResult


def slot_deviations(
    plan: Plan,
    *,
    capacity_kwh: float,
    policy: ControlPolicy,
    capabilities: Capabilities,
    uploaded_at: Callable[[datetime], UploadedTariff | None],
) -> tuple[str | None, ...]:
    """Per slot of ``plan``, why control does something else (None: it follows). Pure.

    ``policy`` is made for ``capabilities``; ``uploaded_at(when)`` is the tariff kept uploaded
    then (None: none).
    """
    grid = plan.grid
    whys: list[str | None] = [None] * grid.count
    for span in device_spans(plan, capacity_kwh, policy):
        first = round((span.start - grid.start) / grid.step)
        end = round((span.end - grid.start) / grid.step)
        soe_start = plan.start_soe_kwh if first <= 0 else float(plan.soe_kwh[first - 1])
        followed, why = followed_action(
            span,
            soe_now_kwh=soe_start,
            policy=policy,
            capabilities=capabilities,
            uploaded=uploaded_at(span.start) if span.action is Action.EXPORT else None,
        )
        for t in range(max(first, 0), min(end, grid.count)):
            action = plan.actions[t]
            if action in (Action.IDLE, Action.CHARGE_FROM_SOLAR):
                continue
            if followed_as(action) is followed:
                continue
            # The translation changed the span's action (``why``), or the spans did (a flip).
            whys[t] = why if followed is not span.action else span.why
    return tuple(whys)


def plan_deviations(
    result: PlanResult, config: Config, capabilities: Capabilities, tariff: Tariff | None
) -> tuple[str | None, ...]:
    """:func:`slot_deviations` for a planning cycle's plan (empty without a plan)."""
    plan = result.outcome.plan
    if plan is None:
        return ()
    tz = ZoneInfo(config.site.timezone)
    uploaded_for = uploaded_for_tariff(tariff, config.site.timezone)
    return slot_deviations(
        plan,
        capacity_kwh=result.inputs.battery.capacity_kwh,
        policy=ControlPolicy.from_config(config, capabilities),
        capabilities=capabilities,
        uploaded_at=lambda when: uploaded_for(when.astimezone(tz).date())[0],
    )
