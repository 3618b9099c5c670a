"""The command-scarce policy: time-based control does the daily work, wattplan nudges it. Pure.

Tesla's documented Fleet limits are 5 settings writes a day and 1 tariff change a month. The
*follow* policy (:func:`~optimiser.control.translate.settings_for`) switches mode, reserve and
export rule at every span (three writes a switch) and runs out of writes by mid-morning. The
*scarce* policy keeps the device in time-based control (``autonomous``, export rule
``battery_ok``) under a tariff designed once a month (:func:`month_tariff_for`), so the
Powerwall charges in the designed tariff's cheapest period and exports in its export period by
itself, every day, with no write at all. The daily writes only nudge it, one write each:

==================  ===========================================  ======================
plan's span         reserve [app %]                              grid charging
==================  ===========================================  ======================
self_power          floor                                        kept ¶
hold                max(floor, SoC now) (legal for the backend)  kept ¶ (off above 80)
charge_from_grid    floor in the cheapest period, else target    on
export              max(floor, target): where the export stops   kept ¶
==================  ===========================================  ======================

¶ kept as the device holds it, except in the designed tariff's cheapest period, where a span
that does not charge from the grid turns grid charging off (time-based control would charge to
full there): tonight's charge and a charge stopped at its target are a single write each.

A reserve within ``ControlPolicy.hold_tolerance_app_percent`` of the device's is left alone
(no write for a re-plan's drift). Mode, export rule and tariff change only when the device is
not yet in time-based control under the month's tariff.

**The month's tariff** (:func:`month_tariff_for`): the user's tariff doctored for export
(:mod:`optimiser.control.tariff_upload`: true buy prices, so the cheapest period is the true
one; peak sell = peak buy, so time-based control exports at the peak) as it stands on the
first day of the local month — for Flux, the Flux periods themselves. It is uploaded when
:func:`~optimiser.control.scarce_value.tariff_value_gbp` says it is worth more than the
tariff the device holds over the plan's horizon, so at most once a month, at the month's
first decision (the small hours of the 1st: a quiet moment on every tariff wattplan knows,
before the cheap night period).

**Assumptions** (the shared Powerwall model, :mod:`optimiser.domain.powerwall`, which the
replay steps): in ``autonomous`` mode the battery charges from the grid at full power in the
uploaded tariff's cheapest buy period when grid charging is on (to full, ignoring the reserve);
exports at full power (down to the reserve) where the sell price is at least the day's highest
buy price and the export rule is ``battery_ok``; otherwise covers the home down to the
reserve; below the reserve it charges from the grid at the slow reserve rate (~1.8 kW per
Powerwall) when grid charging is on. Changes act within the settle margin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from enum import StrEnum

from optimiser.config import Config
from optimiser.control.capabilities import Capabilities
from optimiser.control.policy import ControlPolicy
from optimiser.control.spans import ActionSpan
from optimiser.control.translate import followed_action, settings_for
from optimiser.domain.actions import Action
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff

UploadedFor = Callable[[date], tuple[UploadedTariff | None, str | None]]
"""The tariff to keep uploaded on a local day, or None and why not."""


class ControlStyle(StrEnum):
    """How plans are followed (``control.policy``)."""

    FOLLOW = "follow"
    SCARCE = "scarce"


AUTO_SCARCE_MAX_WRITES = 10
"""``control.policy: auto`` is scarce at this many daily writes or fewer (the documented 5
among them). [writes/day]"""


def control_style(config: Config, capabilities: Capabilities) -> ControlStyle:
    """``control.policy`` for ``capabilities``: ``auto`` is scarce when the backend's daily
    write budget is at most :data:`AUTO_SCARCE_MAX_WRITES`; scarce needs a backend that can
    run time-based control (mode, export rule, tariff upload), else it is follow."""
    wanted = config.control.policy
    if wanted == "follow" or not capabilities.can_export:
        return ControlStyle.FOLLOW
    per_day = capabilities.commands_per_day
    if wanted == "scarce" or (per_day is not None and per_day <= AUTO_SCARCE_MAX_WRITES):
        return ControlStyle.SCARCE
    return ControlStyle.FOLLOW


def month_tariff_for(day_tariff: UploadedFor) -> UploadedFor:
    """The month's designed tariff for each local day: ``day_tariff`` of the month's first day
    (that day's own when the first's cannot be made), once per month."""
    cache: dict[tuple[int, int], tuple[UploadedTariff | None, str | None]] = {}

    def uploaded_for(day: date) -> tuple[UploadedTariff | None, str | None]:
        key = (day.year, day.month)
        if key not in cache:
            first = day_tariff(day.replace(day=1))
            cache[key] = first if first[0] is not None else day_tariff(day)
        return cache[key]

    return uploaded_for


def in_scarce_family(settings: Settings | None) -> bool:
    """Whether ``settings`` is time-based control with battery export allowed (the state the
    scarce policy keeps; only the reserve and grid charging vary)."""
    return (
        settings is not None
        and settings.mode is OperationMode.AUTONOMOUS
        and settings.export_rule is ExportRule.BATTERY_OK
        and settings.tariff is not None
    )


def in_time_based(settings: Settings | None) -> bool:
    """Whether ``settings`` is time-based control under an uploaded tariff (the scarce
    policy's state, or a step of entering it)."""
    return (
        settings is not None
        and settings.mode is OperationMode.AUTONOMOUS
        and settings.tariff is not None
    )


def scarce_settings(
    span: ActionSpan,
    *,
    soe_now_kwh: float,
    policy: ControlPolicy,
    capabilities: Capabilities,
    uploaded: UploadedTariff | None,
    now: datetime,
    current: Settings | None = None,
    charge_efficiency: float = 0.95,
) -> Settings:
    """The settings that make time-based control follow ``span`` (module docstring's table).

    ``uploaded`` is the tariff the device runs under (the month's, or the one it holds); without
    it (or on a backend that cannot export) the span is followed as the follow policy does.
    """
    follow = settings_for(
        span,
        soe_now_kwh=soe_now_kwh,
        policy=policy,
        capabilities=capabilities,
        uploaded=uploaded,
        now=now,
        current=current,
        charge_efficiency=charge_efficiency,
    )
    if uploaded is None or not capabilities.can_export:
        return follow
    policy = policy.for_backend(capabilities)
    floor = capabilities.round_reserve(policy.reserve_floor_app_percent)
    action, _ = followed_action(
        span,
        soe_now_kwh=soe_now_kwh,
        policy=policy,
        capabilities=capabilities,
        uploaded=uploaded,
    )
    notes = list(follow.notes)
    reserve = follow.backup_reserve_app_percent
    if action is Action.SELF_POWER:
        reserve = floor
    charging = action is Action.CHARGE_FROM_GRID
    held = current.grid_charging if current is not None else True
    if charging:
        grid = True
    elif not follow.grid_charging:
        grid = False  # a hold above the backend's reserve cap
    elif uploaded.cheapest_at(now):
        grid = False
        notes.append("grid charging off: time-based control would charge in the cheap period")
    else:
        grid = held
    if (
        in_scarce_family(current)
        and current is not None
        and abs(current.backup_reserve_app_percent - reserve) < policy.hold_tolerance_app_percent
        and (current.backup_reserve_app_percent > floor + 0.5) == (reserve > floor + 0.5)
        and capabilities.accepts_reserve(current.backup_reserve_app_percent)
    ):
        reserve = current.backup_reserve_app_percent
    return Settings(
        OperationMode.AUTONOMOUS,
        reserve,
        grid_charging=grid,
        export_rule=ExportRule.BATTERY_OK,
        tariff=uploaded,
        notes=tuple(notes),
    )


def entry_step(current: Settings, target: Settings) -> Settings:
    """The next single write from ``current`` (not yet in time-based control under
    ``target``'s tariff) towards ``target``: the tariff first (harmless on its own), then the
    mode (time-based control without battery export), then the grid and export settings.

    One write at a time, so entering fits in the writes a day leaves outside the safety
    reserve (the whole change at once would need three)."""
    if target.tariff is not None and current.tariff != target.tariff:
        return replace(
            current, tariff=target.tariff, notes=(*target.notes, "upload the month's tariff")
        )
    if current.mode is not target.mode:
        return replace(current, mode=target.mode, notes=(*target.notes, "enter time-based control"))
    return target
