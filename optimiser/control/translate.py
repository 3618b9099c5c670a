"""From intents to the settings a Powerwall accepts, per backend capability. Pure.

A Powerwall takes only five settings (DOMAIN.md §2): operation mode, backup reserve, whether
it may charge from the grid, the export rule, and an uploaded tariff. Every intent maps onto
them (``floor`` = the configured reserve, app scale):

==================  ================  ==========================  =====  ===========  ========
intent              mode              reserve [app %]             grid   export rule  tariff
==================  ================  ==========================  =====  ===========  ========
SELF_POWER, IDLE    self_consumption  floor                       on     pv_only      —
HOLD                self_consumption  max(floor, SoC now) ↑ ‡     on ‡   pv_only      —
CHARGE_FROM_GRID    self_consumption  max(floor, target) ↑        on     pv_only      —
  fast (§)          autonomous        floor                       on     pv_only      uploaded
EXPORT              autonomous        max(floor, target) ↑        on     battery_ok   uploaded
==================  ================  ==========================  =====  ===========  ========

↑ = rounded up to the backend's reserve step. Charging through a raised reserve runs at the
slow reserve rate (~1.8 kW per Powerwall, not 5 kW): :func:`planner_limits` tells the planner.

**Fleet reserve rule** (since July 2025 the reserve must be ≤ 80 or exactly 100, app scale),
applied in one place per kind of reserve:

- the configured *floor* goes through :meth:`ControlPolicy.for_backend` (every path —
  :func:`settings_for`, :func:`~optimiser.control.safety.safe_settings`, the grid-outage rule,
  the replay — takes its floor from the policy): a floor in (80, 100) is **lowered to 80**,
  with a note. Why down and not up to 100: a reserve of 100 forbids all discharge, so every
  self-powered slot, every export and the safe fallback would leave the battery idle and full —
  the battery would stop doing its job. At 80 the outage energy kept is 80 % instead of the
  configured 80–99 %; the plan still keeps the configured floor (the planner's soft floor is
  ``battery.reserve_percent``) and holds the battery above 80 by the HOLD rule below, so only a
  self-powered slot or the safe fallback can go below the configured floor, never below 80.
  ``wattplan config check`` warns about such a floor. Set 80 or 100 to silence it.
- a *charge* target in (80, 100) is raised to 100 (a slight overshoot beats not charging).
- ‡ a *hold* above 80 (100 included) uses reserve 100 **with grid charging off**
  (``disallow_charge_from_grid_with_solar_installed``): below the reserve the battery then
  charges only from surplus solar and never discharges — a true hold, where lowering it to 80
  would let the battery discharge while the plan holds. Leaving the hold re-enables grid
  charging (one more command).
- an *export* stop above 80 is lowered to 80, with a note.

**Hold tolerance**: a hold's reserve follows the stored energy, which solar nudges every slot.
When the device already holds a self-consumption reserve within
``ControlPolicy.hold_tolerance_app_percent`` (default :data:`HOLD_TOLERANCE_APP_PERCENT`,
config ``control.hold_tolerance_percent``) of the wanted one, with the same grid and export
settings, :func:`settings_for` keeps the device's reserve, so no command is spent on creep.

§ **Fast grid charging**: time-based control (``autonomous``) charges from the grid at the
battery's full power in the uploaded tariff's cheapest period. A CHARGE_FROM_GRID span that lies
in that period uses it when its target is (near) full or needs more than the reserve rate; the
target is then not a ceiling (autonomous charges to full), but the controller re-decides every
slot and returns to the reserve route once the remaining need is slow enough, so an overshoot is
bounded by one slot. The tariff uploaded is the one doctored for export
(``to_tesla_tariff(..., doctor_for_export=True)``): doctoring raises only the peak *sell* price,
so its cheapest *buy* period is the true one, and one upload serves both fast charging and peak
export — no switching between a true and a doctored tariff, and for a fixed-price tariff no
upload after the first (Tesla rations tariff changes). :func:`planner_limits` lets the planner
charge from the grid at the full rate in those slots.

A backend that cannot export from the battery (local) or an export without a doctored tariff
falls back to SELF_POWER, with a note.

Scales: the gateway's raw percentage is ``100·soe/capacity``; the app's is
``app = (raw − 5) / 0.95`` (``raw = 0.95·app + 5``): :func:`optimiser.domain.units.app_to_raw`
and :func:`~optimiser.domain.units.raw_to_app`, the project's one pair of converters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from optimiser.control.intents import FLIP_VALUE_GBP, Intent, IntentSpan
from optimiser.domain.device import ExportRule, OperationMode, TouSchedule
from optimiser.domain.units import app_to_raw, kwh_to_app_percent

FLEET_RESERVE_MAX_BELOW_FULL = 80.0
HOLD_TOLERANCE_APP_PERCENT = 3.0
"""Don't re-send a hold reserve within this of the device's. [app %]"""
FAST_CHARGE_FULL_APP_PERCENT = 95.0
"""A charge target at or above this counts as "full" for fast charging. [app %]"""


@dataclass(frozen=True)
class DeviceSettings:
    """The settings wattplan asks a Powerwall to hold.

    Attributes
    ----------
    mode : OperationMode
        ``default_real_mode`` / ``real_mode``.
    backup_reserve_app_percent : float
        Backup reserve on the app scale. [%]
    grid_charging : bool
        Whether the battery may charge from the grid.
    export_rule : ExportRule
        ``customer_preferred_export_rule``.
    tariff_content : dict or None
        ``tariff_content_v2`` to upload (None: leave the uploaded tariff alone).
    notes : tuple of str
        Why the settings differ from the plain intent (not compared).
    """

    mode: OperationMode = OperationMode.SELF_CONSUMPTION
    backup_reserve_app_percent: float = 20.0
    grid_charging: bool = True
    export_rule: ExportRule = ExportRule.PV_ONLY
    tariff_content: Mapping[str, Any] | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.backup_reserve_app_percent <= 100:
            raise ValueError(
                f"backup_reserve_app_percent must be within [0, 100], "
                f"got {self.backup_reserve_app_percent}"
            )

    @property
    def backup_reserve_raw_percent(self) -> float:
        """The reserve on the gateway's raw scale. [%]"""
        return app_to_raw(self.backup_reserve_app_percent)

    def describe(self) -> str:
        """One line for logs."""
        tariff = "" if self.tariff_content is None else " +tariff"
        grid = "grid-charge" if self.grid_charging else "no-grid-charge"
        return (
            f"{self.mode.value} reserve {self.backup_reserve_app_percent:g}% "
            f"{grid} export {self.export_rule.value}{tariff}"
        )


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can really do.

    Attributes
    ----------
    name : str
        Backend name (``fleet``, ``local``, ``dry-run``).
    max_grid_charge_kw : float
        Grid → battery power reachable by raising the reserve (1.8 kW × units). [kW]
    can_set_mode, can_set_reserve, can_set_grid_charging, can_set_export_rule,
    can_upload_tariff : bool
        Which settings the backend can change.
    fleet_reserve_rule : bool
        The reserve must be ≤ 80 or exactly 100 (app scale).
    reserve_step_app_percent : float
        Granularity of the reserve the backend accepts. [%]
    settle_minutes : float
        How long a change takes to act; apply this early. [min]
    commands_per_day : int or None
        Daily command budget (None: unlimited).
    """

    name: str
    max_grid_charge_kw: float
    can_set_mode: bool = True
    can_set_reserve: bool = True
    can_set_grid_charging: bool = False
    can_set_export_rule: bool = False
    can_upload_tariff: bool = False
    fleet_reserve_rule: bool = False
    reserve_step_app_percent: float = 1.0
    settle_minutes: float = 5.0
    commands_per_day: int | None = None

    @property
    def can_export(self) -> bool:
        """Battery export needs autonomous mode, the export rule and a tariff upload."""
        return self.can_set_mode and self.can_set_export_rule and self.can_upload_tariff

    @property
    def can_fast_charge(self) -> bool:
        """Full-power grid charging needs autonomous mode, grid charging and a tariff upload."""
        return self.can_set_mode and self.can_set_grid_charging and self.can_upload_tariff

    @classmethod
    def fleet(
        cls, units: int = 1, *, settle_minutes: float = 5.0, commands_per_day: int = 20
    ) -> Capabilities:
        """The Tesla Fleet API: every setting, app-scale integer reserve, a daily budget."""
        return cls(
            name="fleet",
            max_grid_charge_kw=1.8 * units,
            can_set_grid_charging=True,
            can_set_export_rule=True,
            can_upload_tariff=True,
            fleet_reserve_rule=True,
            settle_minutes=settle_minutes,
            commands_per_day=commands_per_day,
        )

    @classmethod
    def local(cls, units: int = 1, *, settle_minutes: float = 5.0) -> Capabilities:
        """The gateway's installer sequence: mode and reserve only."""
        return cls(name="local", max_grid_charge_kw=1.8 * units, settle_minutes=settle_minutes)


@dataclass(frozen=True, slots=True)
class ControlPolicy:
    """The user's control settings the translation needs.

    Attributes
    ----------
    reserve_floor_app_percent : float
        Reserve kept for power cuts, app scale, as the backend accepts it (see
        :meth:`for_backend`). [%]
    lease_minutes : float
        How long a forced state may last before it must be renewed. [min]
    hold_tolerance_app_percent : float
        A hold keeps the device's reserve when it is within this of the wanted one, and a hold
        within this of the floor is self-power at the floor. [%]
    flip_value_gbp : float
        Short self-power/hold flips worth less than this are not followed
        (:func:`~optimiser.control.intents.suppress_flips`). [£]
    notes : tuple of str
        Why the floor differs from the configured one (not compared).
    """

    reserve_floor_app_percent: float = 20.0
    lease_minutes: float = 90.0
    hold_tolerance_app_percent: float = HOLD_TOLERANCE_APP_PERCENT
    flip_value_gbp: float = FLIP_VALUE_GBP
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_config(cls, config: Any, capabilities: Capabilities | None = None) -> ControlPolicy:
        """From a wattplan ``Config`` (``battery.reserve_percent``, ``control.lease_minutes``,
        ``control.hold_tolerance_percent``), made legal for ``capabilities`` (default: the
        Fleet API's rule when ``control.backend`` is ``fleet``)."""
        control = config.control
        policy = cls(
            reserve_floor_app_percent=config.battery.reserve_percent,
            lease_minutes=control.lease_minutes,
            hold_tolerance_app_percent=getattr(
                control, "hold_tolerance_percent", HOLD_TOLERANCE_APP_PERCENT
            ),
            flip_value_gbp=getattr(control, "flip_value_gbp", FLIP_VALUE_GBP),
        )
        if capabilities is None and getattr(control, "backend", None) == "fleet":
            capabilities = Capabilities.fleet()
        return policy if capabilities is None else policy.for_backend(capabilities)

    def for_backend(self, capabilities: Capabilities) -> ControlPolicy:
        """This policy with a floor ``capabilities`` accepts (idempotent).

        The one place the Fleet rule meets the configured floor: a floor in (80, 100) becomes
        80 (see the module docstring for why not 100).
        """
        floor, note = legal_floor(self.reserve_floor_app_percent, capabilities)
        if note is None:
            return self
        return replace(self, reserve_floor_app_percent=floor, notes=(*self.notes, note))


def legal_floor(floor_app_percent: float, capabilities: Capabilities) -> tuple[float, str | None]:
    """(the floor ``capabilities`` accept, a note if it had to change). [app %]"""
    limit = FLEET_RESERVE_MAX_BELOW_FULL
    if not capabilities.fleet_reserve_rule or not limit < floor_app_percent < 100.0:
        return floor_app_percent, None
    return limit, (
        f"reserve floor {floor_app_percent:g}% (battery.reserve_percent) is above {limit:g}%: "
        f"the Fleet API accepts only ≤ {limit:g} or 100, so the device's floor is {limit:g}% "
        f"(holds above {limit:g}% still hold; set {limit:g} or 100 to silence this)"
    )


def config_warnings(config: Any) -> list[str]:
    """Control settings that work but not as written (for ``wattplan config check``)."""
    warnings = []
    if getattr(config.control, "backend", None) == "fleet":
        _, note = legal_floor(config.battery.reserve_percent, Capabilities.fleet())
        if note is not None:
            warnings.append(note)
    return warnings


@dataclass(frozen=True)
class UploadedTariff:
    """The tariff wattplan keeps uploaded for time-based control (export and fast charging).

    Attributes
    ----------
    content : mapping
        ``tariff_content_v2`` (doctored for export: true buy prices, peak sell = peak buy).
    schedule : TouSchedule
        How the device reads it (:func:`tariffs.tesla.tou_schedule_from_content`).
    """

    content: Mapping[str, Any]
    schedule: TouSchedule

    def cheapest_at(self, when: datetime) -> bool:
        """Whether ``when`` falls in the cheapest buy period (where autonomous charges)."""
        sched = self.schedule
        if not sched.min_buy < sched.max_buy - 1e-9:
            return False  # one flat price: autonomous does not charge from the grid
        return sched.period_at(when).buy <= sched.min_buy + 1e-9

    def cheapest_throughout(self, start: datetime, end: datetime) -> bool:
        """Whether ``[start, end)`` lies in the cheapest period (checked every 15 minutes)."""
        t = start
        while t < end:
            if not self.cheapest_at(t):
                return False
            t += timedelta(minutes=15)
        return self.cheapest_at(end - timedelta(minutes=1))


def settings_for(
    span: IntentSpan,
    *,
    soe_now_kwh: float,
    policy: ControlPolicy,
    capabilities: Capabilities,
    export_tariff: Mapping[str, Any] | None = None,
    uploaded: UploadedTariff | None = None,
    now: datetime | None = None,
    current: DeviceSettings | None = None,
    reserve_charge_kw: float | None = None,
    charge_efficiency: float = 0.95,
) -> DeviceSettings:
    """The settings that make the battery follow ``span`` (see the module docstring's table).

    Parameters
    ----------
    soe_now_kwh : float
        Stored energy now (for HOLD). [kWh]
    export_tariff : mapping, optional
        ``tariff_content_v2`` doctored for export
        (``tariffs.tesla.to_tesla_tariff(..., doctor_for_export=True).content``); default
        ``uploaded.content``.
    uploaded : UploadedTariff, optional
        The tariff for time-based control; enables fast grid charging in its cheapest period.
    now : datetime, optional
        Decision time (for fast charging: the rate a charge span needs; default its start).
    current : DeviceSettings, optional
        What the device holds now (for the hold tolerance).
    reserve_charge_kw : float, optional
        Grid charge rate through a raised reserve (default the capabilities'). [kW]
    charge_efficiency : float
        AC → stored, for the rate a charge needs. [-]
    """
    policy = policy.for_backend(capabilities)
    floor = policy.reserve_floor_app_percent
    capacity = span.capacity_kwh
    notes: list[str] = list(policy.notes)
    if export_tariff is None and uploaded is not None:
        export_tariff = uploaded.content
    intent = span.intent
    if intent is Intent.EXPORT and not capabilities.can_export:
        notes.append(
            f"the {capabilities.name} backend cannot export from the battery "
            f"(needs mode, export rule and tariff upload); self-powering instead"
        )
        intent = Intent.SELF_POWER
    elif intent is Intent.EXPORT and export_tariff is None:
        notes.append("no tariff doctored for export was given; self-powering instead")
        intent = Intent.SELF_POWER

    if intent in (Intent.SELF_POWER, Intent.IDLE):
        return DeviceSettings(
            OperationMode.SELF_CONSUMPTION, _step(floor, capabilities), notes=tuple(notes)
        )
    if intent is Intent.HOLD:
        return _hold(soe_now_kwh, capacity, floor, policy, capabilities, current, notes)
    target = span.target_soe_kwh if span.target_soe_kwh is not None else soe_now_kwh
    wanted = max(floor, kwh_to_app_percent(target, capacity))
    if intent is Intent.CHARGE_FROM_GRID:
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
        if fast is not None and uploaded is not None:
            notes.append(fast)
            return DeviceSettings(
                OperationMode.AUTONOMOUS,
                _step(floor, capabilities),
                grid_charging=True,
                export_rule=ExportRule.PV_ONLY,
                tariff_content=uploaded.content,
                notes=tuple(notes),
            )
        reserve = _fleet_rule(_step_up(wanted, capabilities), capabilities, "charge", notes)
        return DeviceSettings(
            OperationMode.SELF_CONSUMPTION, reserve, grid_charging=True, notes=tuple(notes)
        )
    reserve = _fleet_rule(_step_up(wanted, capabilities), capabilities, "export", notes)
    return DeviceSettings(
        OperationMode.AUTONOMOUS,
        reserve,
        grid_charging=True,
        export_rule=ExportRule.BATTERY_OK,
        tariff_content=export_tariff,
        notes=tuple(notes),
    )


def intent_held(device: DeviceSettings | None, policy: ControlPolicy) -> Intent | None:
    """Which of SELF_POWER / HOLD the device's settings follow (None: neither, or unknown).

    Self-consumption at the floor is SELF_POWER; self-consumption with a raised reserve and
    no battery export is HOLD (a charge through a raised reserve looks the same and stops
    charging once the stored energy reaches it).
    """
    if device is None or device.mode is not OperationMode.SELF_CONSUMPTION:
        return None
    if device.export_rule is ExportRule.BATTERY_OK:
        return None
    if device.backup_reserve_app_percent <= policy.reserve_floor_app_percent + 0.5:
        return Intent.SELF_POWER
    return Intent.HOLD


def _hold(
    soe_now_kwh: float,
    capacity_kwh: float,
    floor: float,
    policy: ControlPolicy,
    capabilities: Capabilities,
    current: DeviceSettings | None,
    notes: list[str],
) -> DeviceSettings:
    """HOLD: reserve at the stored energy; above 80 on Fleet, 100 without grid charging."""
    wanted = _step_up(max(floor, kwh_to_app_percent(soe_now_kwh, capacity_kwh)), capabilities)
    if wanted < floor + policy.hold_tolerance_app_percent:
        # The battery is within the tolerance of the floor: self-power at the floor holds the
        # same energy give or take the tolerance, and is not a forced state.
        if wanted > floor:
            notes.append(
                f"hold at {wanted:g}% is within {policy.hold_tolerance_app_percent:g} points of "
                f"the floor {floor:g}%: self-power at the floor instead"
            )
        return DeviceSettings(
            OperationMode.SELF_CONSUMPTION, _step(floor, capabilities), notes=tuple(notes)
        )
    limit = FLEET_RESERVE_MAX_BELOW_FULL
    grid_charging = True
    if capabilities.fleet_reserve_rule and wanted > limit:
        # Also at 100 (a full battery): grid charging off keeps a hold a hold (no grid top-up)
        # and one setting for every hold above 80 means no command as the charge creeps.
        notes.append(
            f"hold at {wanted:g}% is above {limit:g}%: the Fleet API accepts only ≤ {limit:g} "
            f"or 100, so reserve 100 with grid charging off (charges only from surplus solar, "
            f"never discharges)"
        )
        wanted, grid_charging = 100.0, False
    tol = policy.hold_tolerance_app_percent
    if (
        current is not None
        and current.mode is OperationMode.SELF_CONSUMPTION
        and current.grid_charging == grid_charging
        and current.export_rule is ExportRule.PV_ONLY
        and current.backup_reserve_app_percent >= floor - 1e-9
        and abs(current.backup_reserve_app_percent - wanted) < tol
        and _legal(current.backup_reserve_app_percent, capabilities)
    ):
        if current.backup_reserve_app_percent != wanted:
            notes.append(
                f"hold: keeping the device's reserve {current.backup_reserve_app_percent:g}% "
                f"(within {tol:g} points of {wanted:g}%; no command for creep)"
            )
        wanted = current.backup_reserve_app_percent
    return DeviceSettings(
        OperationMode.SELF_CONSUMPTION, wanted, grid_charging=grid_charging, notes=tuple(notes)
    )


def _fast_charge_reason(
    span: IntentSpan,
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


def planner_limits(
    capabilities: Capabilities,
    n_slots: int,
    *,
    fast_slots: np.ndarray | None = None,
    full_charge_kw: float | None = None,
) -> dict[str, np.ndarray]:
    """Per-slot limits the planner must respect so its plan is one the backend can follow.

    Returns ``max_grid_charge_kw`` [kW] (grid → battery through a raised reserve, or the
    battery's full rate ``full_charge_kw`` in ``fast_slots``: the uploaded tariff's
    cheapest period, where time-based control charges at full power — see
    :func:`fast_charge_slots`) and ``battery_export_allowed`` (bool).
    """
    limit = np.full(n_slots, capabilities.max_grid_charge_kw, dtype=float)
    fast = fast_slots is not None and full_charge_kw is not None
    if fast and capabilities.can_fast_charge:
        mask = np.asarray(fast_slots, dtype=bool)
        limit[mask] = max(full_charge_kw, capabilities.max_grid_charge_kw)
    return {
        "max_grid_charge_kw": limit,
        "battery_export_allowed": np.full(n_slots, capabilities.can_export, dtype=bool),
    }


def fast_charge_slots(starts: Any, minutes: int, uploaded_for: Any) -> np.ndarray:
    """Per slot, whether it lies in the cheapest period of the tariff uploaded for its day.

    ``starts`` are the slots' start times (aware); ``uploaded_for(when)`` gives the
    :class:`UploadedTariff` in force at ``when`` (or None).
    """
    step = timedelta(minutes=minutes)
    out = np.zeros(len(starts), dtype=bool)
    for i, start in enumerate(starts):
        tariff = uploaded_for(start)
        out[i] = tariff is not None and tariff.cheapest_throughout(start, start + step)
    return out


def _legal(reserve: float, capabilities: Capabilities) -> bool:
    limit = FLEET_RESERVE_MAX_BELOW_FULL
    return not capabilities.fleet_reserve_rule or reserve <= limit or reserve >= 100.0


def _step(value: float, capabilities: Capabilities) -> float:
    step = capabilities.reserve_step_app_percent
    return min(max(round(value / step) * step, 0.0), 100.0)


def _step_up(value: float, capabilities: Capabilities) -> float:
    step = capabilities.reserve_step_app_percent
    # 1e-9: 40.0000000001 from float arithmetic must not become 41.
    return min(max(math.ceil(value / step - 1e-9) * step, 0.0), 100.0)


def _fleet_rule(reserve: float, capabilities: Capabilities, what: str, notes: list[str]) -> float:
    limit = FLEET_RESERVE_MAX_BELOW_FULL
    if not capabilities.fleet_reserve_rule or reserve <= limit or reserve >= 100.0:
        return reserve
    if what == "charge":
        notes.append(
            f"charge target {reserve:g}% is above {limit:g}%: the Fleet API accepts only "
            f"≤ {limit:g} or 100, so charging to 100%"
        )
        return 100.0
    notes.append(
        f"{what} reserve {reserve:g}% is above {limit:g}%: the Fleet API accepts only "
        f"≤ {limit:g} or 100, so using {limit:g}%"
    )
    return limit
