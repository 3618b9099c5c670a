"""Apply the plan's settings for now (``wattplan plan --apply`` and every decision of ``run``).

:func:`apply_current_slot` runs the chain, each step in its own module:

1. the plan's settings for the span due now
   (:func:`~optimiser.control.decision.decide_plan_settings`);
2. the safety rule (:func:`~optimiser.control.safety.decide`): a failed or invalid plan, an
   expired plan, a grid outage or a lapsed lease give safe settings instead;
3. the command budget (:func:`~optimiser.control.budget_decision.afford_forced`): a forced
   state is all or nothing, and commands are kept for the day's worthier later spans;
4. a :class:`~optimiser.control.safety.Lease` for a forced state, persisted in the state
   directory before sending so the next run (or the service) can revert it
   (:mod:`~optimiser.control.lease_file`);
5. ``backend.apply`` (sends only differences, reads back, retries once). A dry-run backend
   sends nothing and says what it would send.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from optimiser.config import Config
from optimiser.control.backends.base import Backend
from optimiser.control.budget_decision import afford_forced, budget_shortfall
from optimiser.control.decision import decide_plan_settings
from optimiser.control.lease_file import save_lease, settle_lease
from optimiser.control.policy import ControlPolicy
from optimiser.control.report import AppliedReport
from optimiser.control.safety import Failure, Lease, decide, is_forced
from optimiser.control.scarce import control_style
from optimiser.control.value import Outlook
from optimiser.domain.device import Settings
from optimiser.domain.slots import require_aware
from tariffs import Tariff

if TYPE_CHECKING:  # planning imports control (capabilities, limits): type only, no cycle
    from optimiser.planning import PlanResult


def _budget_short(
    backend: Backend, target: Settings, now: datetime, outlook: Outlook | None
) -> str | None:
    """Why the backend's command budget cannot pay for all of ``target`` now (None: it can)."""
    left = backend.commands_left(now)
    if left is None:
        return None
    return budget_shortfall(backend.read(), target, backend.capabilities, left, outlook)


def apply_current_slot(
    config: Config,
    backend: Backend,
    result: PlanResult | None,
    now: datetime,
    *,
    tariff: Tariff | None = None,
    state_dir: Path | None = None,
    failure: Failure | None = None,
    valid_until: datetime | None = None,
    grid_up: bool | None = None,
) -> AppliedReport:
    """Apply the settings the plan in ``result`` asks for at ``now``, safely.

    Parameters
    ----------
    config : Config
        ``control`` (settle margin, lease length), ``battery.reserve_percent``, ``site``.
    backend : Backend
        Where the settings go (a dry-run backend sends nothing).
    result : PlanResult or None
        The planning cycle's result (None: no plan at all → safe settings).
    now : datetime
        Decision time (aware).
    tariff : Tariff, optional
        Doctored into the tariff kept uploaded when the span due exports or fast-charges.
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
    capabilities = backend.capabilities
    policy = ControlPolicy.from_config(config, capabilities)
    decision = decide_plan_settings(
        config,
        result,
        now,
        capabilities=capabilities,
        read=backend.read,
        tariff=tariff,
        failure=failure,
        valid_until=valid_until,
    )
    failure = decision.failure
    current = None
    outage = grid_up is False or (result is not None and not result.request.state.grid_up)
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
        held = backend.read() if backend.commands_left(now) is not None else None
        target, forced, exhausted = afford_forced(
            target,
            now,
            policy=policy,
            short=lambda t: _budget_short(backend, t, now, outlook),
            current=held,
            style=control_style(config, capabilities),
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
        reason = f"plan: {span.action.value} {span.start:%H:%M}–{span.end:%H:%M} UTC"
    elif failure is not None:
        reason = f"safety: {failure.value}"
    else:
        reason = "safety: " + (target.notes[0] if target.notes else "no plan")
    directory = state_dir if state_dir is not None else config.state_path()
    if lease is not None and not capabilities.dry_run:
        # The lease first: a crash or kill -9 while sending leaves a lease the next run reverts.
        save_lease(directory, lease)
    report = backend.apply(target, reason=reason, safety=not forced or outage)
    if not report.dry_run:
        settle_lease(directory, lease, target, report, capabilities, now, policy)
    return AppliedReport(
        time=now,
        span=decision.span if failure is None else None,
        failure=failure,
        target=target,
        lease=lease,
        report=report,
        notes=notes,
    )
