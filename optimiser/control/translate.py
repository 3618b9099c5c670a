"""From the span due to the settings a Powerwall accepts, per backend capability. Pure.

The one action→settings translation: the controller, the budget look-ahead
(:mod:`optimiser.control.value`) and the plan's "why" column all call :func:`settings_for`.
A Powerwall takes only five settings (DOMAIN.md §2): operation mode, backup reserve, whether
it may charge from the grid, the export rule, and an uploaded tariff. Every action maps onto
them (``floor`` = the policy's reserve floor, app scale):

==================  ================  ==========================  =====  ===========  ========
action followed     mode              reserve [app %]             grid   export rule  tariff
==================  ================  ==========================  =====  ===========  ========
self_power, idle    self_consumption  floor                       on     pv_only      —
hold                self_consumption  max(floor, SoC now) ↑ ‡     on ‡   pv_only      —
charge_from_grid    self_consumption  max(floor, target) ↑ ‡      on     pv_only      —
  fast (§)          autonomous        floor                       on     pv_only      uploaded
export              autonomous        max(floor, target) ↑ ‡      on     battery_ok   uploaded
==================  ================  ==========================  =====  ===========  ========

↑ = rounded up to the backend's reserve step. ‡ = made legal for the backend
(:meth:`~optimiser.control.capabilities.Capabilities.legal_reserve`: on the Fleet API a charge
target above 80 becomes 100, a hold above 80 is reserve 100 with grid charging off, an export
stop above 80 becomes 80). Charging through a raised reserve runs at the slow reserve rate
(~1.8 kW per Powerwall, not 5 kW): :func:`~optimiser.control.limits.planner_limits` tells the
planner.

**Deliberate deviations** (:func:`followed_action`): an export on a backend that cannot export
from the battery (local), or without an uploaded tariff, is followed as self-power; a hold
within ``ControlPolicy.hold_tolerance_app_percent`` of the floor is self-power at the floor (the
same energy kept, give or take the tolerance, and not a forced state).

**Hold tolerance**: a hold's reserve follows the stored energy, which solar nudges every slot.
When the device already holds a self-consumption reserve within the tolerance of the wanted
one, with the same grid and export settings, :func:`settings_for` keeps the device's reserve, so
no command is spent on creep.

§ **Fast grid charging**: time-based control (``autonomous``) charges from the grid at the
battery's full power in the uploaded tariff's cheapest period. A charge span that lies in that
period uses it when its target is (near) full or needs more than the reserve rate; the target
is then not a ceiling (autonomous charges to full), but the controller re-decides every slot
and returns to the reserve route once the remaining need is slow enough, so an overshoot is
bounded by one slot. The tariff uploaded is the one doctored for export
(:mod:`optimiser.control.tariff_upload`): doctoring raises only the peak *sell* price, so its
cheapest *buy* period is the true one, and one upload serves both fast charging and peak
export.
"""

from __future__ import annotations

from datetime import datetime

from optimiser.control.capabilities import Capabilities, ReservePurpose
from optimiser.control.policy import ControlPolicy
from optimiser.control.spans import ActionSpan
from optimiser.domain.actions import Action
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff
from optimiser.domain.units import kwh_to_app_percent

FAST_CHARGE_FULL_APP_PERCENT = 95.0
"""A charge target at or above this counts as "full" for fast charging. [app %]"""


def followed_action(
    span: ActionSpan,
    *,
    soe_now_kwh: float,
    policy: ControlPolicy,
    capabilities: Capabilities,
    uploaded: UploadedTariff | None,
) -> tuple[Action, str | None]:
    """(the action the device is set up for to follow ``span``, why it differs on purpose).

    ``policy`` must already be made for ``capabilities`` (:meth:`ControlPolicy.for_backend`).
    The reason is None when the device follows the span as it is (or the difference changes
    nothing: a hold at the floor).
    """
    action = span.action
    if action is Action.EXPORT and not capabilities.can_export:
        return Action.SELF_POWER, (
            f"the {capabilities.name} backend cannot export from the battery (needs mode, "
            f"export rule and tariff upload): self-power instead"
        )
    if action is Action.EXPORT and uploaded is None:
        return Action.SELF_POWER, "no tariff doctored for export to upload: self-power instead"
    if action is Action.HOLD:
        floor = policy.reserve_floor_app_percent
        wanted = _hold_reserve(soe_now_kwh, span.capacity_kwh, floor, capabilities)
        if wanted < floor + policy.hold_tolerance_app_percent:
            why = None
            if wanted > floor:
                why = (
                    f"hold at {wanted:g}% is within {policy.hold_tolerance_app_percent:g} points "
                    f"of the floor {floor:g}%: self-power at the floor instead"
                )
            return Action.SELF_POWER, why
    if action in (Action.IDLE, Action.CHARGE_FROM_SOLAR):
        return Action.SELF_POWER, None
    return action, None


def settings_for(
    span: ActionSpan,
    *,
    soe_now_kwh: float,
    policy: ControlPolicy,
    capabilities: Capabilities,
    uploaded: UploadedTariff | None = None,
    now: datetime | None = None,
    current: Settings | None = None,
    reserve_charge_kw: float | None = None,
    charge_efficiency: float = 0.95,
) -> Settings:
    """The settings that make the battery follow ``span`` (see the module docstring's table).

    Parameters
    ----------
    soe_now_kwh : float
        Stored energy now (for a hold). [kWh]
    uploaded : UploadedTariff, optional
        The tariff kept uploaded for time-based control (doctored for export); without it an
        export is followed as self-power. With its schedule it enables fast grid charging in
        its cheapest period.
    now : datetime, optional
        Decision time (for fast charging: the rate a charge span needs; default its start).
    current : Settings, optional
        What the device holds now (for the hold tolerance).
    reserve_charge_kw : float, optional
        Grid charge rate through a raised reserve (default the capabilities'). [kW]
    charge_efficiency : float
        AC → stored, for the rate a charge needs. [-]
    """
    policy = policy.for_backend(capabilities)
    floor = policy.reserve_floor_app_percent
    notes: list[str] = list(policy.notes)
    action, why = followed_action(
        span, soe_now_kwh=soe_now_kwh, policy=policy, capabilities=capabilities, uploaded=uploaded
    )
    if why is not None:
        notes.append(why)
    if action is Action.SELF_POWER:
        return Settings(
            OperationMode.SELF_CONSUMPTION,
            capabilities.round_reserve(floor),
            notes=tuple(notes),
        )
    if action is Action.HOLD:
        return _hold(soe_now_kwh, span.capacity_kwh, policy, capabilities, current, notes)
    target = span.target_soe_kwh if span.target_soe_kwh is not None else soe_now_kwh
    wanted = capabilities.round_reserve_up(
        max(floor, kwh_to_app_percent(target, span.capacity_kwh))
    )
    if action is Action.CHARGE_FROM_GRID:
        fast = _fast_charge_reason(
            span,
            target,
            soe_now_kwh,
            capabilities,
            uploaded,
            now,
            reserve_charge_kw,
            charge_efficiency,
        )
        if fast is not None:
            notes.append(fast)
            return Settings(
                OperationMode.AUTONOMOUS,
                capabilities.round_reserve(floor),
                grid_charging=True,
                export_rule=ExportRule.PV_ONLY,
                tariff=uploaded,
                notes=tuple(notes),
            )
        legal = capabilities.legal_reserve(wanted, ReservePurpose.CHARGE)
        notes += [legal.note] if legal.note else []
        return Settings(
            OperationMode.SELF_CONSUMPTION,
            legal.app_percent,
            grid_charging=True,
            notes=tuple(notes),
        )
    legal = capabilities.legal_reserve(wanted, ReservePurpose.EXPORT)
    notes += [legal.note] if legal.note else []
    return Settings(
        OperationMode.AUTONOMOUS,
        legal.app_percent,
        grid_charging=True,
        export_rule=ExportRule.BATTERY_OK,
        tariff=uploaded,
        notes=tuple(notes),
    )


def action_held(device: Settings | None, policy: ControlPolicy) -> Action | None:
    """Which of self-power / hold the device's settings follow (None: neither, or unknown).

    Self-consumption at the floor is self-power; self-consumption with a raised reserve and
    no battery export is a hold (a charge through a raised reserve looks the same and stops
    charging once the stored energy reaches it).
    """
    if device is None or device.mode is not OperationMode.SELF_CONSUMPTION:
        return None
    if device.export_rule is ExportRule.BATTERY_OK:
        return None
    if device.backup_reserve_app_percent <= policy.reserve_floor_app_percent + 0.5:
        return Action.SELF_POWER
    return Action.HOLD


def _hold_reserve(
    soe_kwh: float, capacity_kwh: float, floor: float, capabilities: Capabilities
) -> float:
    """The reserve that keeps ``soe_kwh`` stored: at least the floor, up to a step. [app %]"""
    return capabilities.round_reserve_up(max(floor, kwh_to_app_percent(soe_kwh, capacity_kwh)))


def _hold(
    soe_now_kwh: float,
    capacity_kwh: float,
    policy: ControlPolicy,
    capabilities: Capabilities,
    current: Settings | None,
    notes: list[str],
) -> Settings:
    """A hold: reserve at the stored energy, legal for the backend, creep within the
    tolerance left alone."""
    floor = policy.reserve_floor_app_percent
    legal = capabilities.legal_reserve(
        _hold_reserve(soe_now_kwh, capacity_kwh, floor, capabilities), ReservePurpose.HOLD
    )
    notes += [legal.note] if legal.note else []
    wanted = legal.app_percent
    tol = policy.hold_tolerance_app_percent
    if (
        current is not None
        and current.mode is OperationMode.SELF_CONSUMPTION
        and current.grid_charging == legal.grid_charging
        and current.export_rule is ExportRule.PV_ONLY
        and current.backup_reserve_app_percent >= floor - 1e-9
        and abs(current.backup_reserve_app_percent - wanted) < tol
        and capabilities.accepts_reserve(current.backup_reserve_app_percent)
    ):
        if current.backup_reserve_app_percent != wanted:
            notes.append(
                f"hold: keeping the device's reserve {current.backup_reserve_app_percent:g}% "
                f"(within {tol:g} points of {wanted:g}%; no command for creep)"
            )
        wanted = current.backup_reserve_app_percent
    return Settings(
        OperationMode.SELF_CONSUMPTION,
        wanted,
        grid_charging=legal.grid_charging,
        notes=tuple(notes),
    )


def _fast_charge_reason(
    span: ActionSpan,
    target_kwh: float,
    soe_now_kwh: float,
    capabilities: Capabilities,
    uploaded: UploadedTariff | None,
    now: datetime | None,
    reserve_charge_kw: float | None,
    charge_efficiency: float,
) -> str | None:
    """Why this charge span uses time-based fast charging (None: the reserve route)."""
    if uploaded is None or not capabilities.can_fast_charge:
        return None
    start = span.start if now is None else max(span.start, now)
    if start >= span.end or not uploaded.cheapest_throughout(start, span.end):
        return None
    target_app = kwh_to_app_percent(target_kwh, span.capacity_kwh)
    if target_app >= FAST_CHARGE_FULL_APP_PERCENT:
        return (
            f"charge to {target_app:.0f}% in the tariff's cheapest period: time-based control "
            f"charges at full power until full"
        )
    hours = (span.end - start).total_seconds() / 3600.0
    rate = reserve_charge_kw if reserve_charge_kw is not None else capabilities.max_grid_charge_kw
    needed_kw = max(target_kwh - soe_now_kwh, 0.0) / charge_efficiency / hours
    if needed_kw > rate + 1e-6:
        return (
            f"charge to {target_app:.0f}% needs {needed_kw:.1f} kW, more than the reserve route's "
            f"{rate:g} kW: time-based control in the cheapest period (charges at full power; "
            f"re-decided every slot, so it may pass the target by up to one slot's charge)"
        )
    return None
