"""Powerwall physics and control semantics, shared by the gateway emulator and the replay.

One pure function, :func:`step`, says what a Powerwall does for ``dt_h`` hours given its
settings (mode, backup reserve, grid charging, export rule, uploaded tariff, direct dispatch),
the household load, the available solar and whether the grid is up. The emulator calls it to
advance its clock; :func:`step_through` runs it through a series of steps (a trace under the
settings in force at each step) for every replay strategy and the planner's baselines. None
of them has any other notion of how the battery behaves.

Behaviour (DOMAIN.md §2):

- ``self_consumption``: the battery covers load down to the reserve; surplus solar charges it;
  below the reserve, with grid charging allowed, it charges from the grid at the slow reserve
  rate (~1.8 kW per Powerwall).
- ``autonomous`` (time-based control): follows the uploaded tariff. In the cheapest period it
  charges from the grid at full power (when grid charging is allowed); otherwise it behaves as
  self-powered, and when the export rule is ``battery_ok`` and the current sell price is at
  least the highest buy price of the day it exports from the battery at full power. Tesla's
  own optimiser therefore does not export at the Flux peak with the true prices (sell < buy);
  a doctored tariff with sell = buy at peak makes it export.
- ``backup``: keeps the battery full (an effective reserve of 100%); discharges only when
  islanded.
- Islanded (grid down): battery and solar carry the home down to 0% regardless of the reserve;
  surplus solar charges the battery, the rest is curtailed; load that cannot be met is unserved.
- Direct dispatch (``Settings.dispatch_kw``) overrides the mode while set: positive discharges,
  negative charges, within the power limits; it ignores the reserve (the replay's ideal
  dispatch follows a plan down to empty).

Simplifications, stated: no standby losses; no temperature derating; one daily tariff pattern
(no weekday/weekend split); power is constant within a step.

Sign conventions follow the gateway: battery power > 0 discharging, grid power > 0 importing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from math import sqrt

import numpy as np

from optimiser.domain.device import ExportRule, OperationMode, Settings
from optimiser.domain.units import app_percent_to_kwh

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class PowerwallSpec:
    """Physical limits of a site's Powerwalls (all units together).

    Attributes
    ----------
    units : int
        Number of Powerwalls.
    capacity_kwh : float
        Usable energy of all units. [kWh]
    max_charge_kw, max_discharge_kw : float
        AC-side power limits. [kW]
    charge_efficiency, discharge_efficiency : float
        AC→stored and stored→AC efficiencies; their product is the round trip. [-]
    reserve_charge_kw_per_unit : float
        Grid charge rate toward a raised backup reserve, per unit. [kW]
    export_limit_kw : float
        Network operator's export limit (G98 single phase: 3.68 kW). [kW]
    import_limit_kw : float
        Supply fuse limit on import. [kW]
    """

    units: int = 1
    capacity_kwh: float = 13.5
    max_charge_kw: float = 5.0
    max_discharge_kw: float = 5.0
    charge_efficiency: float = sqrt(0.90)
    discharge_efficiency: float = sqrt(0.90)
    reserve_charge_kw_per_unit: float = 1.8
    export_limit_kw: float = 3.68
    import_limit_kw: float = 23.0

    def __post_init__(self) -> None:
        if self.units < 1:
            raise ValueError(f"units must be >= 1, got {self.units}")
        for name in ("capacity_kwh", "max_charge_kw", "max_discharge_kw"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("charge_efficiency", "discharge_efficiency"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")

    @classmethod
    def powerwall2(cls, units: int = 1, **overrides: float) -> PowerwallSpec:
        """``units`` Powerwall 2s: 13.5 kWh and 5 kW each."""
        values: dict[str, float] = {
            "capacity_kwh": 13.5 * units,
            "max_charge_kw": 5.0 * units,
            "max_discharge_kw": 5.0 * units,
        }
        values.update(overrides)
        return cls(units=units, **values)  # type: ignore[arg-type]

    @property
    def reserve_charge_kw(self) -> float:
        """Slow grid charge rate toward a raised reserve, all units. [kW]"""
        return min(self.reserve_charge_kw_per_unit * self.units, self.max_charge_kw)

    @property
    def round_trip_efficiency(self) -> float:
        """AC to AC round-trip efficiency. [-]"""
        return self.charge_efficiency * self.discharge_efficiency


@dataclass(frozen=True, slots=True)
class PowerwallState:
    """Stored energy and lifetime AC counters.

    Attributes
    ----------
    soe_kwh : float
        Stored energy. [kWh]
    charged_kwh, discharged_kwh : float
        Lifetime AC energy into / out of the battery. [kWh]
    """

    soe_kwh: float
    charged_kwh: float = 0.0
    discharged_kwh: float = 0.0


@dataclass(frozen=True, slots=True)
class Flows:
    """Average powers over one step; gateway signs. [kW]

    Balance: ``load_kw == grid_kw + battery_kw + solar_kw`` (served load).
    """

    battery_kw: float
    grid_kw: float
    solar_kw: float
    load_kw: float
    curtailed_kw: float = 0.0
    unserved_kw: float = 0.0


def step(
    spec: PowerwallSpec,
    state: PowerwallState,
    settings: Settings,
    *,
    load_kw: float,
    solar_kw: float,
    dt_h: float,
    when: datetime | None = None,
    grid_up: bool = True,
) -> tuple[PowerwallState, Flows]:
    """Advance the battery ``dt_h`` hours under constant load and available solar.

    Parameters
    ----------
    load_kw : float
        Household demand. [kW]
    solar_kw : float
        PV power available (negative readings are treated as 0). [kW]
    dt_h : float
        Step length. [h]
    when : datetime, optional
        Start of the step (aware); needed only in ``autonomous`` mode with a tariff.
    grid_up : bool
        False during a power cut.
    """
    if dt_h <= 0:
        raise ValueError(f"dt_h must be > 0, got {dt_h}")
    load = max(load_kw, 0.0)
    solar = max(solar_kw, 0.0)
    cap = spec.capacity_kwh
    soe = min(max(state.soe_kwh, 0.0), cap)
    room_kw = (cap - soe) / (spec.charge_efficiency * dt_h)
    charge_cap = max(min(spec.max_charge_kw, room_kw), 0.0)

    if not grid_up:
        return _islanded(spec, state, soe, load, solar, dt_h, charge_cap)

    floor_kwh = reserve_kwh(spec, settings)
    above_floor_kw = max(soe - floor_kwh, 0.0) * spec.discharge_efficiency / dt_h
    discharge_cap = min(spec.max_discharge_kw, above_floor_kw)
    surplus = max(solar - load, 0.0)
    deficit = max(load - solar, 0.0)

    target_kw = _target_battery_kw(spec, settings, soe, floor_kwh, load, solar, when)

    if target_kw > 0:
        discharge = min(target_kw, discharge_cap)
        if settings.export_rule is not ExportRule.BATTERY_OK:
            discharge = min(discharge, deficit)
        # Battery export beyond the export limit is pointless: trim it before any solar.
        discharge = min(discharge, max(deficit + spec.export_limit_kw - surplus, deficit))
        charge = 0.0
    else:
        discharge = 0.0
        charge = min(-target_kw, charge_cap)
        if not settings.grid_charging:
            charge = min(charge, surplus)
        charge = max(min(charge, spec.import_limit_kw - load + solar), 0.0)

    battery_kw = discharge - charge
    grid_kw = load - solar - battery_kw
    curtailed = 0.0
    if grid_kw < 0:
        export_allowed = 0.0 if settings.export_rule is ExportRule.NEVER else spec.export_limit_kw
        curtailed = min(max(-grid_kw - export_allowed, 0.0), solar)
        grid_kw += curtailed

    new_soe = soe + (charge * spec.charge_efficiency - discharge / spec.discharge_efficiency) * dt_h
    new_state = PowerwallState(
        soe_kwh=min(max(new_soe, 0.0), cap),
        charged_kwh=state.charged_kwh + charge * dt_h,
        discharged_kwh=state.discharged_kwh + discharge * dt_h,
    )
    return new_state, Flows(
        battery_kw=battery_kw,
        grid_kw=grid_kw,
        solar_kw=solar - curtailed,
        load_kw=load,
        curtailed_kw=curtailed,
    )


def reserve_kwh(spec: PowerwallSpec, settings: Settings) -> float:
    """Stored energy the battery keeps under ``settings``: the reserve (app %, converted
    once), all of it in ``backup`` mode, none under direct dispatch. [kWh]"""
    if settings.dispatch_kw is not None:
        return 0.0
    if settings.mode is OperationMode.BACKUP:
        return spec.capacity_kwh
    return app_percent_to_kwh(settings.backup_reserve_app_percent, spec.capacity_kwh)


@dataclass(frozen=True, eq=False)
class SteppedFlows:
    """What :func:`step_through` found, one value per step.

    Attributes
    ----------
    battery_kw, grid_kw, solar_kw, load_kw, curtailed_kw, unserved_kw : numpy.ndarray
        Average powers over each step, gateway signs (see :class:`Flows`). [kW]
    soe_kwh : numpy.ndarray
        Stored energy at each step's end. [kWh]
    reserve_kwh : numpy.ndarray
        The reserve in force during each step (:func:`reserve_kwh`). [kWh]
    end : PowerwallState
        The state after the last step.
    """

    battery_kw: np.ndarray
    grid_kw: np.ndarray
    solar_kw: np.ndarray
    load_kw: np.ndarray
    curtailed_kw: np.ndarray
    unserved_kw: np.ndarray
    soe_kwh: np.ndarray
    reserve_kwh: np.ndarray
    end: PowerwallState

    def __len__(self) -> int:
        return len(self.soe_kwh)


def step_through(
    spec: PowerwallSpec | Sequence[PowerwallSpec],
    state: PowerwallState,
    settings: Settings | Sequence[Settings],
    *,
    load_kw: np.ndarray,
    solar_kw: np.ndarray,
    dt_h: float | np.ndarray,
    epoch_s: np.ndarray | None = None,
) -> SteppedFlows:
    """Step the battery from ``state`` through a series of steps with :func:`step`.

    Parameters
    ----------
    spec, settings
        One for every step, or one per step (the planner's baselines vary the limits per
        slot; the replay's strategies their settings).
    load_kw, solar_kw : numpy.ndarray
        Household demand and available solar, per step. [kW]
    dt_h : float or numpy.ndarray
        Step length, or one per step. [h]
    epoch_s : numpy.ndarray, optional
        Step start times (UTC); needed only where the settings hold an uploaded tariff. [s]
    """
    n = len(load_kw)
    specs = [spec] * n if isinstance(spec, PowerwallSpec) else spec
    each = [settings] * n if isinstance(settings, Settings) else settings
    hours = np.broadcast_to(np.asarray(dt_h, dtype=float), (n,))
    if len(specs) != n or len(each) != n or len(solar_kw) != n:
        raise ValueError(
            f"expected one spec, settings and solar value per step ({n} load values), got "
            f"{len(specs)} specs, {len(each)} settings, {len(solar_kw)} solar values"
        )
    columns = np.zeros((8, n))
    battery, grid, solar, load, curtailed, unserved, soe, reserve = columns
    for k in range(n):
        rules = each[k]
        when = None
        if rules.tariff is not None:
            if epoch_s is None:
                raise ValueError("stepping under an uploaded tariff needs the steps' times")
            when = datetime.fromtimestamp(float(epoch_s[k]), UTC)
        state, flows = step(
            specs[k],
            state,
            rules,
            load_kw=float(load_kw[k]),
            solar_kw=float(solar_kw[k]),
            dt_h=float(hours[k]),
            when=when,
        )
        battery[k] = flows.battery_kw
        grid[k] = flows.grid_kw
        solar[k] = flows.solar_kw
        load[k] = flows.load_kw
        curtailed[k] = flows.curtailed_kw
        unserved[k] = flows.unserved_kw
        soe[k] = state.soe_kwh
        reserve[k] = reserve_kwh(specs[k], rules)
    return SteppedFlows(battery, grid, solar, load, curtailed, unserved, soe, reserve, state)


def _target_battery_kw(
    spec: PowerwallSpec,
    settings: Settings,
    soe: float,
    floor_kwh: float,
    load: float,
    solar: float,
    when: datetime | None,
) -> float:
    """What the control logic asks of the battery before limits (> 0 discharge). [kW]"""
    surplus = max(solar - load, 0.0)
    if settings.dispatch_kw is not None:
        return settings.dispatch_kw
    if soe < floor_kwh - _EPS:
        return -(surplus + (spec.reserve_charge_kw if settings.grid_charging else 0.0))
    tariff = settings.tariff.schedule if settings.tariff is not None else None
    if settings.mode is OperationMode.AUTONOMOUS and tariff is not None and when is not None:
        period = tariff.period_at(when)
        spread = tariff.min_buy < tariff.max_buy - _EPS
        if spread and period.buy <= tariff.min_buy + _EPS:
            return -(surplus + (spec.max_charge_kw if settings.grid_charging else 0.0))
        if settings.export_rule is ExportRule.BATTERY_OK and period.sell >= tariff.max_buy - _EPS:
            return spec.max_discharge_kw
    return load - solar


def _islanded(
    spec: PowerwallSpec,
    state: PowerwallState,
    soe: float,
    load: float,
    solar: float,
    dt_h: float,
    charge_cap: float,
) -> tuple[PowerwallState, Flows]:
    """A power cut: battery and solar carry the home down to 0%, surplus solar curtailed."""
    discharge_cap = min(spec.max_discharge_kw, soe * spec.discharge_efficiency / dt_h)
    if load >= solar:
        discharge = min(load - solar, discharge_cap)
        charge = 0.0
        unserved = load - solar - discharge
        curtailed = 0.0
    else:
        discharge = 0.0
        charge = min(solar - load, charge_cap)
        unserved = 0.0
        curtailed = solar - load - charge
    new_soe = soe + (charge * spec.charge_efficiency - discharge / spec.discharge_efficiency) * dt_h
    new_state = PowerwallState(
        soe_kwh=min(max(new_soe, 0.0), spec.capacity_kwh),
        charged_kwh=state.charged_kwh + charge * dt_h,
        discharged_kwh=state.discharged_kwh + discharge * dt_h,
    )
    return new_state, Flows(
        battery_kw=discharge - charge,
        grid_kw=0.0,
        solar_kw=solar - curtailed,
        load_kw=load - unserved,
        curtailed_kw=curtailed,
        unserved_kw=unserved,
    )
