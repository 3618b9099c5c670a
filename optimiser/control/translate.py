"""From intents to the settings a Powerwall accepts, per backend capability. Pure.

A Powerwall takes only five settings (DOMAIN.md §2): operation mode, backup reserve, whether
it may charge from the grid, the export rule, and an uploaded tariff. Every intent maps onto
them (``floor`` = the configured reserve, app scale):

==================  ================  ==========================  =====  ===========  ========
intent              mode              reserve [app %]             grid   export rule  tariff
==================  ================  ==========================  =====  ===========  ========
SELF_POWER, IDLE    self_consumption  floor                       on     pv_only      —
HOLD                self_consumption  max(floor, SoC now) ↑       on     pv_only      —
CHARGE_FROM_GRID    self_consumption  max(floor, target) ↑        on     pv_only      —
EXPORT              autonomous        max(floor, target) ↑        on     battery_ok   doctored
==================  ================  ==========================  =====  ===========  ========

↑ = rounded up to the backend's reserve step. Charging through a raised reserve runs at the
slow reserve rate (~1.8 kW per Powerwall, not 5 kW): :func:`planner_limits` tells the planner.
On the Fleet API the reserve must be ≤ 80 or exactly 100 (since July 2025): a charge target
above 80 is raised to 100, a hold above 80 lowered to 80, an export stop above 80 lowered to
80, each with a note. A backend that cannot export from the battery (local) or an export
without a doctored tariff falls back to SELF_POWER, with a note.

Scales: the gateway's raw percentage is ``100·soe/capacity``; the app's is
``app = (raw − 5) / 0.95`` (``raw = 0.95·app + 5``): :func:`simulations.powerwall.app_to_raw`
and :func:`~simulations.powerwall.raw_to_app`, the project's one pair of converters
(re-exported here and from :mod:`optimiser.control` for existing callers).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimiser.control.intents import Intent, IntentSpan
from simulations.powerwall import ExportRule, OperationMode, app_to_raw, raw_to_app

FLEET_RESERVE_MAX_BELOW_FULL = 80.0


def soe_to_app(soe_kwh: float, capacity_kwh: float) -> float:
    """Stored energy → app percentage. [%]"""
    return raw_to_app(100.0 * soe_kwh / capacity_kwh)


def app_to_soe(app_percent: float, capacity_kwh: float) -> float:
    """App percentage → stored energy. [kWh]"""
    return app_to_raw(app_percent) / 100.0 * capacity_kwh


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
        Reserve kept for power cuts, app scale. [%]
    lease_minutes : float
        How long a forced state may last before it must be renewed. [min]
    """

    reserve_floor_app_percent: float = 20.0
    lease_minutes: float = 90.0

    @classmethod
    def from_config(cls, config: Any) -> ControlPolicy:
        """From a wattplan ``Config`` (``battery.reserve_percent``, ``control.lease_minutes``)."""
        return cls(
            reserve_floor_app_percent=config.battery.reserve_percent,
            lease_minutes=config.control.lease_minutes,
        )


def settings_for(
    span: IntentSpan,
    *,
    soe_now_kwh: float,
    policy: ControlPolicy,
    capabilities: Capabilities,
    export_tariff: Mapping[str, Any] | None = None,
) -> DeviceSettings:
    """The settings that make the battery follow ``span`` (see the module docstring's table).

    Parameters
    ----------
    soe_now_kwh : float
        Stored energy now (for HOLD). [kWh]
    export_tariff : mapping, optional
        ``tariff_content_v2`` doctored for export
        (``tariffs.tesla.to_tesla_tariff(..., doctor_for_export=True).content``).
    """
    floor = policy.reserve_floor_app_percent
    capacity = span.capacity_kwh
    notes: list[str] = []
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
        wanted = max(floor, soe_to_app(soe_now_kwh, capacity))
        reserve = _fleet_rule(_step_up(wanted, capabilities), capabilities, "hold", notes)
        return DeviceSettings(OperationMode.SELF_CONSUMPTION, reserve, notes=tuple(notes))
    target = span.target_soe_kwh if span.target_soe_kwh is not None else soe_now_kwh
    wanted = max(floor, soe_to_app(target, capacity))
    if intent is Intent.CHARGE_FROM_GRID:
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


def planner_limits(capabilities: Capabilities, n_slots: int) -> dict[str, np.ndarray]:
    """Per-slot limits the planner must respect so its plan is one the backend can follow.

    Returns ``max_grid_charge_kw`` (grid → battery only through a raised reserve) [kW] and
    ``battery_export_allowed`` (bool).
    """
    return {
        "max_grid_charge_kw": np.full(n_slots, capabilities.max_grid_charge_kw, dtype=float),
        "battery_export_allowed": np.full(n_slots, capabilities.can_export, dtype=bool),
    }


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
