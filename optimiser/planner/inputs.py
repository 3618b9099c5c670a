"""Typed, frozen planner inputs: the battery, the slot grid and every per-slot array.

Per-slot arrays are float (or bool) numpy arrays of length ``grid.count``, copied and made
read-only on construction, so a :class:`PlanInputs` can be shared without fear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from math import isfinite
from typing import TYPE_CHECKING

import numpy as np

from optimiser.domain.slots import SlotGrid
from optimiser.planner.errors import PlanInputError

if TYPE_CHECKING:
    from optimiser.planner.result import Plan

_SOE_TOLERANCE_KWH = 1e-6
DEFAULT_EXPORT_LIMIT_KW = 3.68
DEFAULT_IMPORT_LIMIT_KW = 23.0
DEFAULT_WEAR_COST_P_PER_KWH = 1.0
DEFAULT_RESERVE_PENALTY_P_PER_KWH = 100.0
DEFAULT_STABILITY_PENALTY_P_PER_KWH = 0.1

ArrayLike = float | int | bool | Sequence[float] | Sequence[bool] | np.ndarray


@dataclass(frozen=True, slots=True)
class Battery:
    """The battery as the planner sees it.

    Attributes
    ----------
    capacity_kwh : float
        Usable energy when full. [kWh]
    soe_kwh : float
        Stored energy at the start of the first slot. [kWh]
    max_charge_kw, max_discharge_kw : float
        AC-side power limits. [kW]
    charge_efficiency, discharge_efficiency : float
        AC→stored and stored→AC efficiencies. [-]
    """

    capacity_kwh: float
    soe_kwh: float
    max_charge_kw: float
    max_discharge_kw: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95

    def __post_init__(self) -> None:
        for name in ("capacity_kwh", "soe_kwh", "max_charge_kw", "max_discharge_kw"):
            value = getattr(self, name)
            if not isfinite(value):
                raise PlanInputError(f"battery {name} must be finite, got {value}")
        if self.capacity_kwh <= 0:
            raise PlanInputError(f"battery capacity_kwh must be > 0, got {self.capacity_kwh}")
        if not -_SOE_TOLERANCE_KWH <= self.soe_kwh <= self.capacity_kwh + _SOE_TOLERANCE_KWH:
            raise PlanInputError(
                f"battery soe_kwh must be within [0, {self.capacity_kwh}], got {self.soe_kwh}"
            )
        object.__setattr__(self, "soe_kwh", min(max(self.soe_kwh, 0.0), self.capacity_kwh))
        for name in ("max_charge_kw", "max_discharge_kw"):
            if getattr(self, name) < 0:
                raise PlanInputError(f"battery {name} must be >= 0, got {getattr(self, name)}")
        for name in ("charge_efficiency", "discharge_efficiency"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise PlanInputError(f"battery {name} must be within (0, 1], got {value}")


@dataclass(frozen=True, slots=True)
class SoeTarget:
    """At least ``min_kwh`` stored at the end of slot ``slot``.

    ``penalty_p_per_kwh`` is the price of each missing kWh [p/kWh]; None makes it hard (the
    plan is infeasible if it cannot be met).
    """

    slot: int
    min_kwh: float
    penalty_p_per_kwh: float | None = None

    def __post_init__(self) -> None:
        if not isfinite(self.min_kwh) or self.min_kwh < 0:
            raise PlanInputError(f"SoE target min_kwh must be finite and >= 0, got {self.min_kwh}")
        if self.penalty_p_per_kwh is not None and (
            not isfinite(self.penalty_p_per_kwh) or self.penalty_p_per_kwh < 0
        ):
            raise PlanInputError(
                f"SoE target penalty must be finite and >= 0, got {self.penalty_p_per_kwh}"
            )


_FLOAT_FIELDS = (
    "import_price",
    "export_price",
    "load_kw",
    "solar_kw",
    "reserve_floor_kwh",
    "max_soe_kwh",
    "import_limit_kw",
    "export_limit_kw",
    "max_grid_charge_kw",
)
_NONNEGATIVE_FIELDS = (
    "load_kw",
    "solar_kw",
    "reserve_floor_kwh",
    "max_soe_kwh",
    "import_limit_kw",
    "export_limit_kw",
    "max_grid_charge_kw",
)
_BOOL_FIELDS = ("grid_charge_allowed", "battery_export_allowed")


@dataclass(frozen=True)
class PlanInputs:
    """Everything one planning run needs, per slot of ``grid``.

    Attributes
    ----------
    grid : SlotGrid
        The slots planned.
    import_price, export_price : numpy.ndarray
        Tariff prices per slot (may be negative). [p/kWh]
    load_kw, solar_kw : numpy.ndarray
        Forecast mean household demand and available PV per slot. [kW]
    battery : Battery
        Limits and the starting stored energy.
    reserve_floor_kwh : numpy.ndarray
        Soft floor on stored energy at each slot's end. [kWh]
    reserve_penalty_p_per_kwh : float
        Price of each kWh below the floor, per slot. [p/kWh]
    max_soe_kwh : numpy.ndarray
        Hard ceiling on stored energy at each slot's end. [kWh]
    import_limit_kw, export_limit_kw : numpy.ndarray
        Grid limits per slot. [kW]
    grid_charge_allowed, battery_export_allowed : numpy.ndarray of bool
        Whether the battery may charge from the grid / export to the grid in each slot.
    max_grid_charge_kw : numpy.ndarray
        Grid→battery power limit per slot (e.g. 1.8 kW when charging through a raised
        reserve). [kW]
    soe_targets : tuple of SoeTarget
        Minimum stored energy at chosen slot ends.
    terminal_value_p_per_kwh : float
        Value of each kWh stored at the horizon's end. [p/kWh]
    wear_cost_p_per_kwh : float
        Battery wear per kWh discharged (AC). [p/kWh]
    previous : Plan or None
        The plan in force, for the stability penalty.
    stability_penalty_p_per_kwh : float
        Price of each kWh of change in net battery energy against ``previous``. [p/kWh]
    first_slot_hours : float or None
        What is left of the first slot when planning starts mid-slot (None: all of it). [h]
    """

    grid: SlotGrid
    import_price: np.ndarray
    export_price: np.ndarray
    load_kw: np.ndarray
    solar_kw: np.ndarray
    battery: Battery
    reserve_floor_kwh: np.ndarray
    max_soe_kwh: np.ndarray
    import_limit_kw: np.ndarray
    export_limit_kw: np.ndarray
    grid_charge_allowed: np.ndarray
    battery_export_allowed: np.ndarray
    max_grid_charge_kw: np.ndarray
    reserve_penalty_p_per_kwh: float = DEFAULT_RESERVE_PENALTY_P_PER_KWH
    soe_targets: tuple[SoeTarget, ...] = ()
    terminal_value_p_per_kwh: float = 0.0
    wear_cost_p_per_kwh: float = DEFAULT_WEAR_COST_P_PER_KWH
    previous: Plan | None = field(default=None, compare=False)
    stability_penalty_p_per_kwh: float = DEFAULT_STABILITY_PENALTY_P_PER_KWH
    first_slot_hours: float | None = None

    def __post_init__(self) -> None:
        count = self.grid.count
        first = self.first_slot_hours
        if first is not None and not (isfinite(first) and 0 < first <= self.grid.hours):
            raise PlanInputError(
                f"first_slot_hours must be in (0, {self.grid.hours}] h, got {first}"
            )
        for name in _FLOAT_FIELDS:
            object.__setattr__(self, name, _array(getattr(self, name), name, count, float))
        for name in _BOOL_FIELDS:
            object.__setattr__(self, name, _array(getattr(self, name), name, count, bool))
        for name in _NONNEGATIVE_FIELDS:
            values = getattr(self, name)
            if (values < 0).any():
                slot = int(np.argmax(values < 0))
                raise PlanInputError(
                    f"{name} must be >= 0 in every slot, got {values[slot]} in slot {slot} "
                    f"({self.grid.slot_start(slot).isoformat()})"
                )
        for name in (
            "reserve_penalty_p_per_kwh",
            "terminal_value_p_per_kwh",
            "wear_cost_p_per_kwh",
            "stability_penalty_p_per_kwh",
        ):
            value = getattr(self, name)
            if not isfinite(value):
                raise PlanInputError(f"{name} must be finite, got {value}")
            if name != "terminal_value_p_per_kwh" and value < 0:
                raise PlanInputError(f"{name} must be >= 0, got {value}")
        object.__setattr__(self, "soe_targets", tuple(self.soe_targets))
        for target in self.soe_targets:
            if not 0 <= target.slot < count:
                raise PlanInputError(
                    f"SoE target slot must be within [0, {count}), got {target.slot}"
                )

    @cached_property
    def hours(self) -> np.ndarray:
        """Length of each slot; the first is shorter when planning starts mid-slot (read-only).
        [h]"""
        hours = np.full(self.grid.count, self.grid.hours)
        if self.first_slot_hours is not None and self.grid.count:
            hours[0] = self.first_slot_hours
        hours.setflags(write=False)
        return hours

    @classmethod
    def build(
        cls,
        grid: SlotGrid,
        *,
        import_price: ArrayLike,
        export_price: ArrayLike,
        load_kw: ArrayLike,
        solar_kw: ArrayLike,
        battery: Battery,
        reserve_floor_kwh: ArrayLike = 0.0,
        reserve_penalty_p_per_kwh: float = DEFAULT_RESERVE_PENALTY_P_PER_KWH,
        max_soe_kwh: ArrayLike | None = None,
        import_limit_kw: ArrayLike = DEFAULT_IMPORT_LIMIT_KW,
        export_limit_kw: ArrayLike = DEFAULT_EXPORT_LIMIT_KW,
        grid_charge_allowed: ArrayLike = True,
        battery_export_allowed: ArrayLike = True,
        max_grid_charge_kw: ArrayLike | None = None,
        soe_targets: Sequence[SoeTarget] = (),
        terminal_value_p_per_kwh: float | None = None,
        wear_cost_p_per_kwh: float = DEFAULT_WEAR_COST_P_PER_KWH,
        previous: Plan | None = None,
        stability_penalty_p_per_kwh: float = DEFAULT_STABILITY_PENALTY_P_PER_KWH,
        first_slot_hours: float | None = None,
    ) -> PlanInputs:
        """Inputs with sensible defaults; scalars broadcast to every slot.

        Defaults: no reserve floor, the ceiling at capacity, 23 kW import and 3.68 kW export
        limits (G98), grid charging and battery export allowed, grid charging as fast as the
        battery charges, 1 p/kWh wear, and the terminal value from
        :func:`default_terminal_value`.
        """
        count = grid.count
        import_arr = _array(import_price, "import_price", count, float)
        if terminal_value_p_per_kwh is None:
            terminal_value_p_per_kwh = default_terminal_value(import_arr)
        return cls(
            grid=grid,
            import_price=import_arr,
            export_price=_array(export_price, "export_price", count, float),
            load_kw=_array(load_kw, "load_kw", count, float),
            solar_kw=_array(solar_kw, "solar_kw", count, float),
            battery=battery,
            reserve_floor_kwh=_array(reserve_floor_kwh, "reserve_floor_kwh", count, float),
            reserve_penalty_p_per_kwh=reserve_penalty_p_per_kwh,
            max_soe_kwh=_array(
                battery.capacity_kwh if max_soe_kwh is None else max_soe_kwh,
                "max_soe_kwh",
                count,
                float,
            ),
            import_limit_kw=_array(import_limit_kw, "import_limit_kw", count, float),
            export_limit_kw=_array(export_limit_kw, "export_limit_kw", count, float),
            grid_charge_allowed=_array(grid_charge_allowed, "grid_charge_allowed", count, bool),
            battery_export_allowed=_array(
                battery_export_allowed, "battery_export_allowed", count, bool
            ),
            max_grid_charge_kw=_array(
                battery.max_charge_kw if max_grid_charge_kw is None else max_grid_charge_kw,
                "max_grid_charge_kw",
                count,
                float,
            ),
            soe_targets=tuple(soe_targets),
            terminal_value_p_per_kwh=terminal_value_p_per_kwh,
            wear_cost_p_per_kwh=wear_cost_p_per_kwh,
            previous=previous,
            stability_penalty_p_per_kwh=stability_penalty_p_per_kwh,
            first_slot_hours=first_slot_hours,
        )


def default_terminal_value(import_price: np.ndarray) -> float:
    """Value of a kWh still stored at the horizon's end: the cheapest import price. [p/kWh]

    A stored kWh saves buying it again later, and the cheapest it can be bought back is the
    horizon's lowest import price (clipped at 0). Valuing it so never makes it worth buying
    energy *only* to hold it at the end (a stored kWh bought at price p costs p/η > p ≥ the
    minimum), yet stops the plan from dumping stored energy for less than its replacement
    cost. The mean import price × η, the other obvious choice, would make the plan fill up
    at the cheapest slot before the horizon ends whenever the mean is well above the minimum.
    """
    if import_price.size == 0:
        return 0.0
    return max(float(np.min(import_price)), 0.0)


def _array(value: object, name: str, count: int, dtype: type) -> np.ndarray:
    """``value`` as a read-only array of ``count`` entries (scalars broadcast)."""
    try:
        arr = np.array(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise PlanInputError(f"{name} must be numeric, got {value!r}") from exc
    if arr.ndim == 0:
        arr = np.full(count, arr.item(), dtype=dtype)
    if arr.shape != (count,):
        raise PlanInputError(f"{name} must have one value per slot ({count}), got {arr.shape}")
    if dtype is float and not np.isfinite(arr).all():
        slot = int(np.argmax(~np.isfinite(arr)))
        raise PlanInputError(f"{name} must be finite, got {arr[slot]} in slot {slot}")
    arr.setflags(write=False)
    return arr
