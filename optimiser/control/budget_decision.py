"""Whether the day's command budget pays for a forced state, and what to do when it cannot.

Pure decisions shared by the production apply path (:mod:`optimiser.control.apply_now`) and the
replay. A forced state is all or nothing: half of one (say autonomous without the export rule)
is worse than none, and reverting it would cost commands too. Commands the day's more valuable
later spans need are kept back (:class:`~optimiser.control.value.Outlook`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import differences
from optimiser.control.policy import ControlPolicy
from optimiser.control.safety import Failure, decide, is_forced
from optimiser.control.scarce import ControlStyle, in_time_based
from optimiser.control.translate import action_held
from optimiser.control.value import Outlook
from optimiser.domain.actions import Action
from optimiser.domain.device import ExportRule, OperationMode, Settings


def budget_shortfall(
    current: Settings,
    target: Settings,
    capabilities: Capabilities,
    left: int,
    outlook: Outlook | None = None,
) -> str | None:
    """Why ``left`` commands cannot pay for all of ``target`` from ``current`` (None: they
    can).

    With an ``outlook`` (the change's value and the later spans of the budget's day, see
    :mod:`optimiser.control.value`), commands the day's more valuable later spans need are
    kept back: the forced state must fit in what remains.
    """
    changes, _ = differences(current, target, capabilities)
    keep = 0 if outlook is None else outlook.keep(len(changes), left)
    if len(changes) <= left - keep:
        return None
    if keep and outlook is not None:
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
    target: Settings,
    now: datetime,
    *,
    policy: ControlPolicy,
    short: Callable[[Settings], str | None],
    current: Settings | None = None,
    style: ControlStyle = ControlStyle.FOLLOW,
) -> tuple[Settings, bool, Failure | None]:
    """(settings to apply, whether they are forced, ``BUDGET_EXHAUSTED`` if they had to change).

    ``short(target)`` says why the budget cannot pay for a forced ``target`` (None: it can);
    then safe settings replace it (sent as a safety revert) — except when the device
    (``current``) holds energy through a raised reserve and the target is a hold or a reserve
    charge too (no battery export): then the device keeps its hold (forced, no command),
    because self-powering would spend the energy the plan keeps. Under the scarce policy
    (``style``) a device in time-based control under an uploaded tariff keeps what it holds
    too (forced, no command): that is the state the policy runs in, and reverting it would
    spend the commands kept for safety on optimisation.
    """
    forced = is_forced(target, policy)
    why = short(target) if forced else None
    if why is None:
        return target, forced, None
    failure = Failure.BUDGET_EXHAUSTED
    if current is not None and _keeps_hold(current, target, policy):
        note = f"keeping the device's hold at {current.backup_reserve_app_percent:g}%: {why}"
        return replace(current, notes=(*current.notes, note)), True, failure
    if style is ControlStyle.SCARCE and in_time_based(current) and current is not None:
        note = f"keeping the device's time-based control as it is: {why}"
        return replace(current, notes=(*current.notes, note)), True, failure
    safe = decide(now, None, None, failure, policy=policy)
    return replace(safe, notes=(*safe.notes, why)), False, failure


def _keeps_hold(current: Settings, target: Settings, policy: ControlPolicy) -> bool:
    """Whether a refused ``target`` can leave the device's hold in place instead."""
    return (
        action_held(current, policy) is Action.HOLD
        and target.mode is OperationMode.SELF_CONSUMPTION
        and target.export_rule is not ExportRule.BATTERY_OK
    )
