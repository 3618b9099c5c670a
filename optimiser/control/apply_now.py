"""Apply the plan's settings for now (``wattplan plan --apply`` and every decision of ``run``).

One function, :func:`apply_current_slot`, does the whole chain:

1. the plan's merged intents (:func:`~optimiser.control.intents.intents_from_plan`);
2. the span due now: the one in force ``control.settle_minutes`` ahead, because a Powerwall
   takes minutes to act on a change (:func:`~optimiser.control.intents.span_due`);
3. its settings for the backend (:func:`~optimiser.control.translate.settings_for`), with a
   tariff doctored for export when the span exports, and a rule's forced mode on top;
4. the safety rule (:func:`~optimiser.control.safety.decide`): a failed or invalid plan, an
   expired plan, a grid outage or a lapsed lease give safe settings instead;
5. a :class:`~optimiser.control.safety.Lease` for a forced state, persisted in the state
   directory so the next run (or the service) can revert it;
6. ``backend.apply`` (sends only differences, reads back, retries once). A dry-run backend
   sends nothing and says what it would send.

:func:`plan_problems` is the "invalid plan" check (pure).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.control.backends import ApplyReport, Backend, DryRunBackend, differences
from optimiser.control.intents import Intent, IntentSpan, intents_from_plan, span_due
from optimiser.control.lease_file import load_lease, save_lease, settings_to_json
from optimiser.control.safety import Failure, Lease, decide, is_forced
from optimiser.control.translate import (
    ControlPolicy,
    DeviceSettings,
    UploadedTariff,
    intent_held,
    settings_for,
)
from optimiser.control.value import BudgetOutlook, budget_outlook
from optimiser.domain.device import ExportRule, OperationMode
from optimiser.domain.slots import require_aware

log = logging.getLogger(__name__)

_SOE_SLACK_KWH = 0.01


@dataclass(frozen=True)
class AppliedReport:
    """What :func:`apply_current_slot` decided and what the backend did.

    Attributes
    ----------
    time : datetime
        Decision time, UTC.
    span : IntentSpan or None
        The plan's span due now (None: no usable plan).
    failure : Failure or None
        Why the plan's settings were not trusted, if they were not.
    target : DeviceSettings
        What was applied (or would have been, in a dry run).
    lease : Lease or None
        The lease of a forced target (None: nothing forced).
    report : ApplyReport
        The backend's account: sent, not taken, skipped, errors.
    notes : tuple of str
        Why (translation notes, rule overrides, safety notes).
    """

    time: datetime
    span: IntentSpan | None
    failure: Failure | None
    target: DeviceSettings
    lease: Lease | None
    report: ApplyReport
    notes: tuple[str, ...] = field(default=())

    @property
    def dry_run(self) -> bool:
        """Nothing was sent."""
        return self.report.dry_run

    @property
    def ok(self) -> bool:
        """Every wanted change is in place (a dry run is ok when nothing failed)."""
        return self.report.ok

    def to_json_dict(self) -> dict[str, Any]:
        """JSON form (the tariff content is summarised, never copied)."""
        span = None
        if self.span is not None:
            span = {
                "start": self.span.start.isoformat(),
                "end": self.span.end.isoformat(),
                "intent": self.span.intent.value,
                "target_soe_kwh": (
                    None if self.span.target_soe_kwh is None else round(self.span.target_soe_kwh, 3)
                ),
            }
        lease = None
        if self.lease is not None:
            lease = {
                "granted_at": self.lease.granted_at.isoformat(),
                "expires_at": self.lease.expires_at.isoformat(),
                "reason": self.lease.reason,
            }
        r = self.report
        return {
            "time": self.time.isoformat(),
            "span": span,
            "failure": None if self.failure is None else self.failure.value,
            "target": settings_to_json(self.target),
            "lease": lease,
            "dry_run": r.dry_run,
            "ok": r.ok,
            "sent": [str(c) for c in r.sent],
            "not_taken": [str(c) for c in r.not_taken],
            "skipped": [str(c) for c in r.skipped],
            "unsupported": list(r.unsupported),
            "errors": list(r.errors),
            "notes": list(self.notes),
        }

    def summary_lines(self) -> list[str]:
        """Lines for the ``plan --apply`` table's footer."""
        r = self.report
        verb = "would send" if r.dry_run else "sent"
        what = (
            f"{self.span.intent.value} until {self.span.end:%H:%M} UTC"
            if self.span is not None
            else "no plan"
        )
        lines = [
            f"apply ({what}): {self.target.describe()}",
            f"  {verb}: {', '.join(r.sent) if r.sent else 'nothing (already in place)'}",
        ]
        if self.lease is not None:
            lapse = "would lapse" if r.dry_run else "lapses"
            lines.append(f"  forced state {lapse} at {self.lease.expires_at:%Y-%m-%d %H:%M} UTC")
        for label, values in (
            ("did not take", r.not_taken),
            ("skipped (command budget)", r.skipped),
            ("cannot be set by this backend", r.unsupported),
            ("errors", r.errors),
        ):
            if values:
                lines.append(f"  {label}: {', '.join(values)}")
        lines += [f"  note: {note}" for note in self.notes]
        return lines


def plan_problems(plan: Any, capacity_kwh: float) -> list[str]:
    """Why ``plan`` cannot be followed (empty when it can). Pure.

    Checks that every per-slot array has one finite value per slot, flows are ≥ 0 and the
    stored energy stays within ``[0, capacity_kwh]``. [kWh]
    """
    problems: list[str] = []
    n = plan.grid.count
    for name in (
        "import_kwh",
        "export_kwh",
        "charge_kwh",
        "discharge_kwh",
        "charge_from_grid_kwh",
        "soe_kwh",
    ):
        values = np.asarray(getattr(plan, name, None), dtype=float)
        if values.shape != (n,):
            problems.append(f"{name} has shape {values.shape}, expected ({n},)")
            continue
        if not np.all(np.isfinite(values)):
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            problems.append(f"{name} is not finite at slot {plan.grid.slot_start(bad).isoformat()}")
            continue
        if name != "soe_kwh" and np.any(values < -_SOE_SLACK_KWH):
            bad = int(np.flatnonzero(values < -_SOE_SLACK_KWH)[0])
            problems.append(
                f"{name} is negative ({values[bad]:.3f}) at {plan.grid.slot_start(bad).isoformat()}"
            )
        if name == "soe_kwh":
            outside = (values < -_SOE_SLACK_KWH) | (values > capacity_kwh + _SOE_SLACK_KWH)
            if np.any(outside):
                bad = int(np.flatnonzero(outside)[0])
                problems.append(
                    f"soe_kwh {values[bad]:.3f} at {plan.grid.slot_start(bad).isoformat()} is "
                    f"outside [0, {capacity_kwh:g}]"
                )
    return problems


def _budget_short(
    backend: Backend, target: DeviceSettings, now: datetime, outlook: BudgetOutlook | None = None
) -> str | None:
    """Why the backend's command budget cannot pay for all of ``target`` now (None: it can)."""
    budget = getattr(backend, "budget", None)
    if budget is None or getattr(backend.capabilities, "commands_per_day", None) is None:
        return None
    return budget_shortfall(
        backend.read(), target, backend.capabilities, budget.remaining(now), outlook
    )


def budget_shortfall(
    current: DeviceSettings,
    target: DeviceSettings,
    capabilities: Any,
    left: int,
    outlook: BudgetOutlook | None = None,
) -> str | None:
    """Why ``left`` commands cannot pay for all of ``target`` from ``current`` (None: they
    can). Pure.

    With an ``outlook`` (the change's value and the later spans of the budget's day, see
    :mod:`optimiser.control.value`), commands the day's more valuable later spans need are
    kept back: the forced state must fit in what remains.
    """
    changes, _ = differences(current, target, capabilities)
    keep = 0 if outlook is None else outlook.keep(len(changes), left)
    if len(changes) <= left - keep:
        return None
    if keep:
        return (
            f"the forced state needs {len(changes)} command(s) ({', '.join(changes)}), worth "
            f"£{outlook.value_gbp:.2f}; of the {left} left today {keep} are kept for later "
            f"spans worth more per command"
        )
    return (
        f"the forced state needs {len(changes)} command(s) ({', '.join(changes)}) but only "
        f"{left} are left today outside the safety reserve"
    )


def afford_forced(
    target: DeviceSettings,
    now: datetime,
    *,
    policy: ControlPolicy,
    short: Callable[[DeviceSettings], str | None],
    current: DeviceSettings | None = None,
) -> tuple[DeviceSettings, bool, Failure | None]:
    """(settings to apply, whether they are forced, ``BUDGET_EXHAUSTED`` if they had to change).

    Pure decision shared by :func:`apply_current_slot` and the replay. A forced state is all or
    nothing: half of one (say autonomous without the export rule) is worse than none, and
    reverting it would cost commands too. ``short(target)`` says why the budget cannot pay for
    it (None: it can); then safe settings replace it (sent as a safety revert) — except when
    the device (``current``) holds energy through a raised reserve and the target is a hold or
    a reserve charge too (no battery export): then the device keeps its hold (forced, no
    command), because self-powering would spend the energy the plan keeps.
    """
    forced = is_forced(target, policy)
    why = short(target) if forced else None
    if why is None:
        return target, forced, None
    failure = Failure.BUDGET_EXHAUSTED
    if _keeps_hold(current, target, policy):
        # The device holds energy and the plan wants it held or charged (no battery export):
        # keeping what it holds costs no command, self-powering would spend the energy.
        note = f"keeping the device's hold at {current.backup_reserve_app_percent:g}%: {why}"
        return replace(current, notes=(*current.notes, note)), True, failure
    safe = decide(now, None, None, failure, policy=policy)
    return replace(safe, notes=(*safe.notes, why)), False, failure


def _keeps_hold(
    current: DeviceSettings | None, target: DeviceSettings, policy: ControlPolicy
) -> bool:
    """Whether a refused ``target`` can leave the device's hold in place instead."""
    return (
        current is not None
        and intent_held(current, policy) is Intent.HOLD
        and target.mode is OperationMode.SELF_CONSUMPTION
        and target.export_rule is not ExportRule.BATTERY_OK
    )


def export_tariff_for(tariff: Any, day: Any) -> tuple[dict | None, str | None]:
    """(``tariff_content_v2`` doctored for export on local ``day``, or None and why not)."""
    if tariff is None:
        return None, "no tariff given to doctor for export"
    from tariffs.errors import TariffError
    from tariffs.tesla import to_tesla_tariff

    try:
        return dict(to_tesla_tariff(tariff, day, doctor_for_export=True).content), None
    except (TariffError, ValueError) as exc:
        return None, f"cannot doctor the tariff for export: {exc}"


def uploaded_tariff_for(tariff: Any, day: Any, tz: str) -> tuple[UploadedTariff | None, str | None]:
    """(the tariff kept uploaded on local ``day``, or None and why not).

    It is the one doctored for export: true buy prices (so its cheapest period is the true one,
    where time-based control charges at full power) and peak sell = peak buy (so it exports at
    peak). One document serves both; see :mod:`optimiser.control.translate`.
    """
    content, why = export_tariff_for(tariff, day)
    if content is None:
        return None, why
    from tariffs.errors import TariffError
    from tariffs.tesla import tou_schedule_from_content

    try:
        return UploadedTariff(content, tou_schedule_from_content(content, tz)), None
    except (TariffError, ValueError) as exc:
        return None, f"cannot read the doctored tariff back: {exc}"


@dataclass(frozen=True)
class Decision:
    """The settings the plan asks for now, before the safety rule (pure result)."""

    span: IntentSpan | None
    settings: DeviceSettings | None
    lease: Lease | None
    failure: Failure | None
    valid_until: datetime | None
    notes: tuple[str, ...] = ()
    outlook: BudgetOutlook | None = None
    """The span's value and the later spans' claims on the command budget."""


def device_spans(
    plan: Any, capacity_kwh: float, policy: ControlPolicy, current: DeviceSettings | None = None
) -> list:
    """The plan as the device will follow it: intent spans after merging and flip hysteresis."""
    return intents_from_plan(
        plan,
        capacity_kwh=capacity_kwh,
        initial_soe_kwh=plan.start_soe_kwh,
        before=intent_held(current, policy),
        flip_value_gbp=policy.flip_value_gbp,
    )


def plan_settings_now(
    config: Any,
    result: Any,
    now: datetime,
    *,
    capabilities: Any,
    tariff: Any = None,
    failure: Failure | None = None,
    valid_until: datetime | None = None,
    current: DeviceSettings | None = None,
    uploaded_for: Callable[[date], tuple[UploadedTariff | None, str | None]] | None = None,
) -> Decision:
    """What the plan in ``result`` asks the device to hold at ``now`` (pure but for the tariff).

    ``valid_until`` caps the plan's validity (default: the end of its horizon). ``current``
    (what the device holds) lets a hold keep a reserve within the hold tolerance, and tells
    the flip hysteresis what the device follows now. ``uploaded_for(day)`` gives the tariff
    kept uploaded on a local day (default: :func:`uploaded_tariff_for` from ``tariff``; the
    replay passes a cache).
    """
    now = require_aware(now, "now")
    policy = ControlPolicy.from_config(config, capabilities)
    notes: list[str] = []
    outcome = result.outcome if result is not None else None
    plan = outcome.plan if outcome is not None else None
    if failure is None and outcome is not None and (plan is None or not outcome.status.is_ok):
        failure = Failure.SOLVER_FAILED
        notes.append(f"planner: {outcome.status.value} {outcome.message or ''}".strip())
    state = result.request.state if result is not None else None
    capacity = 0.0
    if plan is not None and failure is None:
        capacity = result.inputs.battery.capacity_kwh
        problems = plan_problems(plan, capacity)
        if problems:
            failure = Failure.INVALID_PLAN
            notes += [f"invalid plan: {p}" for p in problems[:3]]
    if failure is not None or plan is None:
        return Decision(None, None, None, failure, None, tuple(notes))
    end = plan.grid.end if valid_until is None else min(plan.grid.end, valid_until)
    settle = float(config.control.settle_minutes)
    spans = device_spans(plan, capacity, policy, current)
    span = span_due(spans, now, settle)
    if span is None:
        return Decision(None, None, None, None, end, ("now is outside the plan's horizon",))
    at = now + timedelta(minutes=settle)
    when = at if span.covers(at) else now
    uploaded = None
    wants_tariff = (span.intent is Intent.EXPORT and capabilities.can_export) or (
        span.intent is Intent.CHARGE_FROM_GRID and capabilities.can_fast_charge and tariff
    )
    if wants_tariff:
        day = when.astimezone(ZoneInfo(config.site.timezone)).date()
        if uploaded_for is None:
            uploaded, why = uploaded_tariff_for(tariff, day, config.site.timezone)
        else:
            uploaded, why = uploaded_for(day)
        if why:
            notes.append(why)
    soe_now = float(getattr(state, "soe_kwh", plan.start_soe_kwh))
    battery = result.inputs.battery
    settings = settings_for(
        span,
        soe_now_kwh=soe_now,
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
        mode = OperationMode(str(forced_mode))
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
            reason=f"{span.intent.value} {span.start:%H:%M}–{span.end:%H:%M} UTC",
        )
    outlook = None
    if capabilities.commands_per_day is not None:
        outlook = budget_outlook(
            plan,
            spans,
            span,
            now,
            floor_app_percent=policy.reserve_floor_app_percent,
            capabilities=capabilities,
        )
    return Decision(span, settings, lease, None, end, tuple(notes), outlook)


def decide_plan_settings(
    config: Any,
    result: Any,
    now: datetime,
    *,
    capabilities: Any,
    read: Callable[[], DeviceSettings],
    tariff: Any = None,
    failure: Failure | None = None,
    valid_until: datetime | None = None,
    uploaded_for: Callable[[date], tuple[UploadedTariff | None, str | None]] | None = None,
) -> Decision:
    """:func:`plan_settings_now` as :func:`apply_current_slot` (and the replay) uses it.

    A first decision without the device; when its span holds or self-powers, the hold
    tolerance and the flip hysteresis compare with what the device holds, so ``read()`` it
    (a read, no command) and decide again.
    """
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
    if decision.span is not None and decision.span.intent in (Intent.HOLD, Intent.SELF_POWER):
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


def _settle_lease(
    directory: Path,
    lease: Lease | None,
    target: DeviceSettings,
    report: ApplyReport,
    capabilities: Any,
    now: datetime,
    policy: ControlPolicy,
) -> None:
    """Keep the lease file true after ``apply``.

    A forced target keeps the lease written before sending (even if part of it failed: the
    device may be half forced, and the lease makes the next run revert it). A safe target
    removes the lease only when the read-back confirms it; otherwise the old lease stays, and
    if there is none while the device still reads as forced (or cannot be read), an already
    lapsed one is written so the next run reverts.
    """
    if lease is not None:
        return
    after = report.after
    confirmed = (
        after is not None and not report.errors and not differences(after, target, capabilities)[0]
    )
    if confirmed:
        save_lease(directory, None)
        return
    if load_lease(directory) is not None:
        return
    if after is None or is_forced(after, policy):
        held = after if after is not None else (report.before or target)
        save_lease(directory, Lease(held, now, now, reason="revert to safe settings unconfirmed"))


def apply_current_slot(
    config: Any,
    backend: Backend,
    result: Any,
    now: datetime,
    *,
    tariff: Any = None,
    state_dir: Path | None = None,
    failure: Failure | None = None,
    valid_until: datetime | None = None,
    grid_up: bool | None = None,
) -> AppliedReport:
    """Apply the settings the plan in ``result`` asks for at ``now``, safely.

    Parameters
    ----------
    config : optimiser.config.Config
        ``control`` (settle margin, lease length), ``battery.reserve_percent``, ``site``.
    backend : Backend
        Where the settings go (a dry-run backend sends nothing).
    result : optimiser.planning.PlanResult or None
        The planning cycle's result (None: no plan at all → safe settings).
    now : datetime
        Decision time (aware).
    tariff : tariffs.Tariff, optional
        Doctored into ``tariff_content_v2`` when the span due exports.
    state_dir : Path, optional
        Where the lease is persisted (default ``config.state_path()``); not written in a dry
        run.
    failure : Failure, optional
        A failure the caller already knows about (gateway lost, budget exhausted).
    valid_until : datetime, optional
        When the plan stops being trusted (default: the end of its horizon).
    grid_up : bool, optional
        The grid state last seen (the service's poll); False is an outage even without a plan.
    """
    now = require_aware(now, "now")
    policy = ControlPolicy.from_config(config, backend.capabilities)
    decision = decide_plan_settings(
        config,
        result,
        now,
        capabilities=backend.capabilities,
        read=backend.read,
        tariff=tariff,
        failure=failure,
        valid_until=valid_until,
    )
    failure = decision.failure
    current = None
    state = result.request.state if result is not None else None
    outage = grid_up is False or (state is not None and not getattr(state, "grid_up", True))
    if outage:
        # Checked before every other failure: in an outage nothing may lower the reserve.
        failure = Failure.GRID_OUTAGE
        current = backend.read()
    target = decide(
        now,
        decision.valid_until,
        decision.settings,
        failure,
        policy=policy,
        current=current,
        lease=decision.lease,
    )
    exhausted = None
    if outage:
        # Never the budget's all-or-nothing fallback (safe settings have a lower reserve): the
        # outage target only raises or keeps, so whatever part the budget pays for is safe.
        forced = is_forced(target, policy)
    else:
        outlook = decision.outlook if decision.failure is None else None
        held = backend.read() if getattr(backend, "budget", None) is not None else None
        target, forced, exhausted = afford_forced(
            target,
            now,
            policy=policy,
            short=lambda t: _budget_short(backend, t, now, outlook),
            current=held,
        )
        failure = exhausted or failure
    lease = decision.lease if forced and decision.lease is not None else None
    if forced and exhausted is not None:  # the device's hold kept for the budget
        until = decision.span.end if decision.span is not None else None
        lease = Lease.grant(target, now, policy, until=until, reason="hold kept: command budget")
    if forced and lease is None:  # a grid outage's held reserve
        lease = Lease.grant(target, now, policy, reason="grid outage: reserve kept for the home")
    notes = tuple(dict.fromkeys(decision.notes + tuple(target.notes)))
    if decision.span is not None and failure is None:
        span = decision.span
        reason = f"plan: {span.intent.value} {span.start:%H:%M}–{span.end:%H:%M} UTC"
    elif failure is not None:
        reason = f"safety: {failure.value}"
    else:
        reason = "safety: " + (target.notes[0] if target.notes else "no plan")
    directory = state_dir if state_dir is not None else config.state_path()
    dry_run = isinstance(backend, DryRunBackend)
    if lease is not None and not dry_run:
        # The intent first: a crash or kill -9 while sending leaves a lease the next run reverts.
        save_lease(directory, lease)
    report = backend.apply(target, reason=reason, safety=not forced or outage)
    if not report.dry_run:
        _settle_lease(directory, lease, target, report, backend.capabilities, now, policy)
    return AppliedReport(
        time=now,
        span=decision.span if failure is None else None,
        failure=failure,
        target=target,
        lease=lease,
        report=report,
        notes=notes,
    )
