"""What the plan asks the device to hold now, before the safety rule. Pure but for the tariff.

1. the plan's spans as the device follows them (:func:`device_spans`: merged, flip
   hysteresis against what the device follows now);
2. the span due now: the one in force ``control.settle_minutes`` ahead, because a Powerwall
   takes minutes to act on a change (:func:`~optimiser.control.spans.span_due`);
3. its settings for the backend, by ``control.policy`` (:func:`~optimiser.control.scarce.
   control_style`): *follow* (:func:`~optimiser.control.translate.settings_for`, with the
   tariff kept uploaded when the span exports or may fast-charge) or *scarce*
   (:func:`~optimiser.control.scarce.scarce_settings`: time-based control under the month's
   tariff, uploaded when :func:`~optimiser.control.scarce.tariff_value_gbp` says it is worth
   it), and a rule's forced mode on top;
4. a :class:`~optimiser.control.safety.Lease` for a forced state, and the budget outlook (the
   span's value and the later spans' claims on the day's commands).

The production apply path (:mod:`optimiser.control.apply_now`) and the replay both call
:func:`decide_plan_settings`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from optimiser.config import Config
from optimiser.control.capabilities import Capabilities
from optimiser.control.plan_check import plan_problems
from optimiser.control.policy import ControlPolicy
from optimiser.control.safety import Failure, Lease, is_forced
from optimiser.control.scarce import (
    ControlStyle,
    control_style,
    entry_step,
    in_scarce_family,
    month_tariff_for,
    scarce_settings,
)
from optimiser.control.scarce_value import (
    TARIFF_VALUE_MIN_GBP,
    tariff_value_gbp,
    write_schedule,
)
from optimiser.control.spans import ActionSpan, span_due, spans_from_plan
from optimiser.control.tariff_upload import uploaded_tariff_for
from optimiser.control.translate import action_held, settings_for
from optimiser.control.value import Outlook, budget_outlook
from optimiser.domain.actions import Action
from optimiser.domain.device import OperationMode, Settings, UploadedTariff
from optimiser.domain.slots import require_aware
from optimiser.planner.result import Plan
from tariffs import Tariff

if TYPE_CHECKING:  # planning imports control (capabilities, limits): type only, no cycle
    from optimiser.planning import PlanResult

UploadedFor = Callable[[date], tuple[UploadedTariff | None, str | None]]
"""The tariff kept uploaded on a local day, or None and why not."""


@dataclass(frozen=True)
class Decision:
    """The settings the plan asks for now, before the safety rule (pure result).

    Attributes
    ----------
    span : ActionSpan or None
        The span due now (None: no usable plan, or now is outside it).
    settings : Settings or None
        What the span asks of the device.
    lease : Lease or None
        The lease of a forced ``settings``.
    failure : Failure or None
        Why the plan cannot be followed (solver failed, invalid plan, or the caller's).
    valid_until : datetime or None
        When the plan stops being trusted.
    notes : tuple of str
        Why.
    outlook : Outlook or None
        The span's value and the later spans' claims on the command budget (the scarce
        policy: the day's candidate writes, :class:`~optimiser.control.scarce_value.
        WriteSchedule`).
    """

    span: ActionSpan | None
    settings: Settings | None
    lease: Lease | None
    failure: Failure | None
    valid_until: datetime | None
    notes: tuple[str, ...] = ()
    outlook: Outlook | None = None


def device_spans(
    plan: Plan, capacity_kwh: float, policy: ControlPolicy, current: Settings | None = None
) -> list[ActionSpan]:
    """The plan as the device will follow it: merged spans and the flip hysteresis against
    what the device (``current``) follows now."""
    return spans_from_plan(
        plan,
        capacity_kwh=capacity_kwh,
        before=action_held(current, policy),
        flip_value_gbp=policy.flip_value_gbp,
    )


def uploaded_for_tariff(tariff: Tariff | None, timezone: str) -> UploadedFor:
    """:func:`~optimiser.control.tariff_upload.uploaded_tariff_for` for each day asked, once."""
    cache: dict[date, tuple[UploadedTariff | None, str | None]] = {}

    def uploaded_for(day: date) -> tuple[UploadedTariff | None, str | None]:
        if day not in cache:
            cache[day] = uploaded_tariff_for(tariff, day, timezone)
        return cache[day]

    return uploaded_for


def plan_settings_now(
    config: Config,
    result: PlanResult | None,
    now: datetime,
    *,
    capabilities: Capabilities,
    tariff: Tariff | None = None,
    failure: Failure | None = None,
    valid_until: datetime | None = None,
    current: Settings | None = None,
    uploaded_for: UploadedFor | None = None,
) -> Decision:
    """What the plan in ``result`` asks the device to hold at ``now``.

    ``valid_until`` caps the plan's validity (default: the end of its horizon). ``current``
    (what the device holds) lets a hold keep a reserve within the hold tolerance, and tells
    the flip hysteresis what the device follows now. ``uploaded_for(day)`` gives the tariff
    kept uploaded on a local day (default: :func:`uploaded_for_tariff` of ``tariff``; the
    replay passes its cache).
    """
    now = require_aware(now, "now")
    policy = ControlPolicy.from_config(config, capabilities)
    notes: list[str] = []
    outcome = result.outcome if result is not None else None
    plan = outcome.plan if outcome is not None else None
    if failure is None and outcome is not None and (plan is None or not outcome.status.is_ok):
        failure = Failure.SOLVER_FAILED
        notes.append(f"planner: {outcome.status.value} {outcome.message or ''}".strip())
    if failure is not None or plan is None or result is None:
        return Decision(None, None, None, failure, None, tuple(notes))
    battery = result.inputs.battery
    problems = plan_problems(plan, battery.capacity_kwh)
    if problems:
        notes += [f"invalid plan: {p}" for p in problems[:3]]
        return Decision(None, None, None, Failure.INVALID_PLAN, None, tuple(notes))
    end = plan.grid.end if valid_until is None else min(plan.grid.end, valid_until)
    settle = float(config.control.settle_minutes)
    spans = device_spans(plan, battery.capacity_kwh, policy, current)
    span = span_due(spans, now, settle)
    if span is None:
        return Decision(None, None, None, None, end, ("now is outside the plan's horizon",))
    at = now + timedelta(minutes=settle)
    when = at if span.covers(at) else now
    tz = ZoneInfo(config.site.timezone)
    if uploaded_for is None:
        uploaded_for = uploaded_for_tariff(tariff, config.site.timezone)
    style = control_style(config, capabilities)
    uploaded = None
    if style is ControlStyle.SCARCE:
        uploaded_for = month_tariff_for(uploaded_for)
        uploaded, why = _month_tariff(
            config,
            result,
            plan,
            policy,
            uploaded_for(when.astimezone(tz).date()),
            current,
            capabilities,
        )
        notes += [why] if why else []
        settings = scarce_settings(
            span,
            soe_now_kwh=battery.soe_kwh,
            policy=policy,
            capabilities=capabilities,
            uploaded=uploaded,
            now=when,
            current=current,
            charge_efficiency=battery.charge_efficiency,
        )
        if current is not None and not in_scarce_family(current) and in_scarce_family(settings):
            settings = entry_step(current, settings)
    else:
        wants_tariff = (span.action is Action.EXPORT and capabilities.can_export) or (
            span.action is Action.CHARGE_FROM_GRID
            and capabilities.can_fast_charge
            and tariff is not None
        )
        if wants_tariff:
            uploaded, why = uploaded_for(when.astimezone(tz).date())
            if why:
                notes.append(why)
        settings = settings_for(
            span,
            soe_now_kwh=battery.soe_kwh,
            policy=policy,
            capabilities=capabilities,
            uploaded=uploaded,
            now=when,
            current=current,
            charge_efficiency=battery.charge_efficiency,
        )
    notes += list(settings.notes)
    slot = plan.grid.index_of(when)
    forced_mode = result.force_mode[slot] if slot < len(result.force_mode) else None
    if forced_mode is not None:
        mode = OperationMode(forced_mode.value)
        if mode is not settings.mode:
            note = f"a rule forces {mode.value} mode at {when:%H:%M} UTC"
            notes.append(note)
            settings = replace(settings, mode=mode, notes=(*settings.notes, note))
    lease = None
    if is_forced(settings, policy):
        lease = Lease.grant(
            settings,
            now,
            policy,
            until=span.end,
            reason=f"{span.action.value} {span.start:%H:%M}–{span.end:%H:%M} UTC",
        )
    outlook: Outlook | None = None
    if (
        style is ControlStyle.SCARCE
        and capabilities.commands_per_day is not None
        and uploaded is not None
        and current is not None
        and in_scarce_family(current)
    ):
        outlook = write_schedule(
            plan,
            spans,
            span,
            now,
            device=current,
            target=settings,
            battery=battery,
            policy=policy,
            capabilities=capabilities,
            uploaded=uploaded,
            export_limit_kw=config.site.export_limit_kw,
        )
    elif capabilities.commands_per_day is not None:
        outlook = budget_outlook(
            plan,
            spans,
            span,
            now,
            policy=policy,
            capabilities=capabilities,
            uploaded_for=(
                (lambda t: uploaded)
                if style is ControlStyle.SCARCE
                else (lambda t: uploaded_for(t.astimezone(tz).date())[0])
            ),
            charge_efficiency=battery.charge_efficiency,
            style=style,
            current=current,
        )
    return Decision(span, settings, lease, None, end, tuple(notes), outlook)


def _month_tariff(
    config: Config,
    result: PlanResult,
    plan: Plan,
    policy: ControlPolicy,
    designed: tuple[UploadedTariff | None, str | None],
    current: Settings | None,
    capabilities: Capabilities,
) -> tuple[UploadedTariff | None, str | None]:
    """(The tariff the scarce policy runs under now, why not the month's design): the design
    when the device holds it or uploading it is worth :data:`TARIFF_VALUE_MIN_GBP` over the
    plan's horizon (:func:`tariff_value_gbp`), else the tariff the device holds."""
    design, why = designed
    held = current.tariff if current is not None else None
    if design is None:
        return held, why
    if held is None or held == design:
        return design, None
    value = tariff_value_gbp(
        plan,
        result.inputs.battery,
        design,
        held,
        policy=policy,
        capabilities=capabilities,
        export_limit_kw=config.site.export_limit_kw,
    )
    if value >= TARIFF_VALUE_MIN_GBP:
        return design, None
    return (
        held,
        f"the month's tariff is worth £{value:.2f} over the plan's horizon: kept the device's",
    )


def decide_plan_settings(
    config: Config,
    result: PlanResult | None,
    now: datetime,
    *,
    capabilities: Capabilities,
    read: Callable[[], Settings],
    tariff: Tariff | None = None,
    failure: Failure | None = None,
    valid_until: datetime | None = None,
    uploaded_for: UploadedFor | None = None,
) -> Decision:
    """:func:`plan_settings_now` as the apply path and the replay use it.

    A first decision without the device; when its span holds or self-powers, or under the
    scarce policy (which nudges what the device holds), the hold tolerance and the flip
    hysteresis compare with what the device holds, so ``read()`` it (a read, no command) and
    decide again.
    """
    if uploaded_for is None:
        uploaded_for = uploaded_for_tariff(tariff, config.site.timezone)
    decision = plan_settings_now(
        config,
        result,
        now,
        capabilities=capabilities,
        tariff=tariff,
        failure=failure,
        valid_until=valid_until,
        uploaded_for=uploaded_for,
    )
    scarce = control_style(config, capabilities) is ControlStyle.SCARCE
    if decision.span is not None and (
        scarce or decision.span.action in (Action.HOLD, Action.SELF_POWER)
    ):
        decision = plan_settings_now(
            config,
            result,
            now,
            capabilities=capabilities,
            tariff=tariff,
            failure=failure,
            valid_until=valid_until,
            current=read(),
            uploaded_for=uploaded_for,
        )
    return decision
