"""Expiry and fallback: what the battery should hold when something goes wrong. Pure.

Every forced state (a reserve raised above the floor, autonomous export, backup mode) is
granted as a :class:`Lease` with an expiry: the service renews it while the plan still wants
it, and reverts to :func:`safe_settings` once it lapses. So if wattplan stops, the battery does
not stay in forced charge or export beyond ``lease_minutes``.

:func:`decide` is the single fallback rule:

======================================  =======================================================
situation                               settings
======================================  =======================================================
grid outage (checked first)             keep the current settings' reserve (never lower it),
                                        at least the floor; backup mode stays; no export
gateway lost, solver failed, invalid    safe: self_consumption, reserve at the floor, export
plan, budget exhausted                  pv_only, grid charging on
no plan, or the plan has expired        safe
the forced state's lease has expired    safe
otherwise                               the plan's settings (``last_good``)
======================================  =======================================================
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import differences
from optimiser.control.policy import ControlPolicy
from optimiser.domain.device import ExportRule, OperationMode, Settings
from optimiser.domain.slots import require_aware


class Failure(StrEnum):
    """Why the plan's settings cannot be trusted right now."""

    GATEWAY_LOST = "gateway_lost"
    SOLVER_FAILED = "solver_failed"
    INVALID_PLAN = "invalid_plan"
    BUDGET_EXHAUSTED = "budget_exhausted"
    GRID_OUTAGE = "grid_outage"


def safe_settings(policy: ControlPolicy, capabilities: Capabilities | None = None) -> Settings:
    """Self-powered with the configured reserve, solar-only export, grid charging allowed.

    The reserve is the policy's floor made legal for ``capabilities``
    (:meth:`ControlPolicy.for_backend`: on the Fleet API a floor in (80, 100) becomes 80).
    """
    if capabilities is not None:
        policy = policy.for_backend(capabilities)
    return Settings(
        OperationMode.SELF_CONSUMPTION,
        policy.reserve_floor_app_percent,
        grid_charging=True,
        export_rule=ExportRule.PV_ONLY,
        notes=policy.notes,
    )


def worst_case_revert_commands(
    capabilities: Capabilities, policy: ControlPolicy | None = None
) -> int:
    """The most commands a revert to :func:`safe_settings` can take on ``capabilities``.

    Computed over every device state (each mode, reserve at and above the floor, grid charging
    on and off, each export rule) with the backend's own difference rule, so the command budget
    can keep enough for it. (Fleet: 3 — backup, operation, grid_import_export.)
    """
    policy = (policy or ControlPolicy()).for_backend(capabilities)
    safe = safe_settings(policy, capabilities)
    worst = 0
    for mode in OperationMode:
        for reserve in (policy.reserve_floor_app_percent, 100.0):
            for grid_charging in (True, False):
                for rule in ExportRule:
                    device = Settings(mode, reserve, grid_charging=grid_charging, export_rule=rule)
                    changes, _ = differences(device, safe, capabilities)
                    worst = max(worst, len(changes))
    return worst


def is_forced(settings: Settings, policy: ControlPolicy) -> bool:
    """Whether ``settings`` is a forced state that needs a lease."""
    return (
        settings.mode is not OperationMode.SELF_CONSUMPTION
        or settings.export_rule is ExportRule.BATTERY_OK
        or settings.backup_reserve_app_percent > policy.reserve_floor_app_percent + 0.5
    )


@dataclass(frozen=True, slots=True)
class Lease:
    """A forced state and when it lapses.

    Attributes
    ----------
    settings : Settings
        The forced settings.
    granted_at, expires_at : datetime
        UTC.
    reason : str
        Why it was granted (plan span, rule name).
    """

    settings: Settings
    granted_at: datetime
    expires_at: datetime
    reason: str = ""

    @classmethod
    def grant(
        cls,
        settings: Settings,
        now: datetime,
        policy: ControlPolicy,
        *,
        until: datetime | None = None,
        reason: str = "",
    ) -> Lease:
        """A lease for ``lease_minutes`` from ``now``, or until ``until`` if that is sooner."""
        now = require_aware(now, "now")
        expires = now + timedelta(minutes=policy.lease_minutes)
        if until is not None:
            expires = min(expires, require_aware(until, "until"))
        return cls(settings, now, expires, reason)

    def expired(self, now: datetime) -> bool:
        """Whether the lease has lapsed at ``now``."""
        return require_aware(now, "now") >= self.expires_at


def decide(
    now: datetime,
    plan_valid_until: datetime | None,
    last_good: Settings | None,
    failure: Failure | None,
    *,
    policy: ControlPolicy,
    current: Settings | None = None,
    lease: Lease | None = None,
    capabilities: Capabilities | None = None,
) -> Settings:
    """The settings to hold now (see the module docstring's table); ``notes`` say why.

    Parameters
    ----------
    plan_valid_until : datetime or None
        End of the plan's horizon (or its freshness limit).
    last_good : Settings or None
        What the current plan asks for now.
    failure : Failure or None
        What went wrong, if anything.
    current : Settings, optional
        What the device holds now (for a grid outage).
    lease : Lease, optional
        The lease of ``last_good`` if it is a forced state.
    capabilities : Capabilities, optional
        The backend's, to make the floor legal (see :func:`safe_settings`).
    """
    now = require_aware(now, "now")
    if capabilities is not None:
        policy = policy.for_backend(capabilities)
    safe = safe_settings(policy)
    if failure is Failure.GRID_OUTAGE:
        held = current.backup_reserve_app_percent if current is not None else 0.0
        reserve = max(held, policy.reserve_floor_app_percent)
        # Backup mode holds energy for the home: never switch away from it in an outage.
        keep_backup = current is not None and current.mode is OperationMode.BACKUP
        return replace(
            safe,
            mode=OperationMode.BACKUP if keep_backup else safe.mode,
            backup_reserve_app_percent=reserve,
            notes=(f"grid outage: keeping the reserve at {reserve:g}% for the home",),
        )
    if failure is not None:
        return replace(safe, notes=(f"{failure.value}: falling back to safe settings",))
    if last_good is None:
        return replace(safe, notes=("no plan: safe settings",))
    if plan_valid_until is None or now >= require_aware(plan_valid_until, "plan_valid_until"):
        return replace(safe, notes=("the plan has expired: safe settings",))
    if is_forced(last_good, policy) and (lease is None or lease.expired(now)):
        return replace(safe, notes=("the forced state's lease has lapsed: safe settings",))
    return last_good
