"""The frozen plan a solve produces (with its per-slot actions) and its JSON form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta

import numpy as np

from optimiser.domain.actions import Action
from optimiser.domain.slots import SlotGrid
from optimiser.planner.status import SolveStatus

#: A JSON value as :mod:`json` reads and writes it.
Json = None | bool | int | float | str | list["Json"] | dict[str, "Json"]


@dataclass(frozen=True)
class Plan:
    """A solved schedule: per-slot flows [kWh], stored energy [kWh], prices [p/kWh].

    Attributes
    ----------
    grid : SlotGrid
        The slots.
    status : SolveStatus
        The solve status (``optimal``).
    import_price, export_price : numpy.ndarray
        Prices used. [p/kWh]
    load_kwh, solar_kwh : numpy.ndarray
        Forecast energy per slot. [kWh]
    import_kwh, export_kwh : numpy.ndarray
        Grid energy per slot. [kWh]
    charge_kwh, discharge_kwh : numpy.ndarray
        Battery AC energy per slot. [kWh]
    charge_from_grid_kwh : numpy.ndarray
        Part of ``charge_kwh`` that came from the grid (the rest is solar surplus). [kWh]
    curtailed_kwh : numpy.ndarray
        Solar switched off. [kWh]
    soe_kwh : numpy.ndarray
        Stored energy at each slot's end. [kWh]
    start_soe_kwh : float
        Stored energy at the first slot's start. [kWh]
    actions : tuple of Action
        What the battery does in each slot (:func:`optimiser.domain.actions.classify_slots`).
    cost_gbp : float
        Money out minus money in over the plan (energy only). [£]
    objective_p : float
        The LP objective: cost, wear and penalties minus terminal value (the tie-break left
        out). [p]
    timings_ms : dict
        ``build``, ``solve`` (and ``extract``). [ms]
    first_slot_hours : float or None
        What was left of the first slot when planning started mid-slot (None: all). [h]
    """

    grid: SlotGrid
    status: SolveStatus
    import_price: np.ndarray
    export_price: np.ndarray
    load_kwh: np.ndarray
    solar_kwh: np.ndarray
    import_kwh: np.ndarray
    export_kwh: np.ndarray
    charge_kwh: np.ndarray
    discharge_kwh: np.ndarray
    charge_from_grid_kwh: np.ndarray
    curtailed_kwh: np.ndarray
    soe_kwh: np.ndarray
    start_soe_kwh: float
    actions: tuple[Action, ...]
    cost_gbp: float
    objective_p: float
    timings_ms: Mapping[str, float] = field(default_factory=dict, compare=False)
    first_slot_hours: float | None = None

    def __post_init__(self) -> None:
        for name in (
            "import_price",
            "export_price",
            "load_kwh",
            "solar_kwh",
            "import_kwh",
            "export_kwh",
            "charge_kwh",
            "discharge_kwh",
            "charge_from_grid_kwh",
            "curtailed_kwh",
            "soe_kwh",
        ):
            arr = np.array(getattr(self, name), dtype=float)
            if arr.shape != (self.grid.count,):
                raise ValueError(f"{name} must have {self.grid.count} values, got {arr.shape}")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "timings_ms", dict(self.timings_ms))

    @property
    def charge_from_solar_kwh(self) -> np.ndarray:
        """Part of ``charge_kwh`` from solar surplus. [kWh]"""
        return self.charge_kwh - self.charge_from_grid_kwh

    def to_json_dict(self, extra: Mapping[str, Json] | None = None) -> dict[str, Json]:
        """The plan as the README's JSON document; ``extra`` is merged in (dicts one level deep).

        Pass ``extra={"costs": {"no_battery_gbp": …, "self_powered_gbp": …}}`` to add the
        baselines.
        """
        slots = []
        for t, slot_start in enumerate(self.grid.starts):
            end = slot_start + self.grid.step
            start = slot_start
            if t == 0 and self.first_slot_hours is not None:  # planning began mid-slot
                start = end - timedelta(hours=self.first_slot_hours)
            slots.append(
                {
                    "start": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "end": end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "import_price": round(float(self.import_price[t]), 4),
                    "export_price": round(float(self.export_price[t]), 4),
                    "load_kwh": _kwh(self.load_kwh[t]),
                    "solar_kwh": _kwh(self.solar_kwh[t]),
                    "import_kwh": _kwh(self.import_kwh[t]),
                    "export_kwh": _kwh(self.export_kwh[t]),
                    "charge_kwh": _kwh(self.charge_kwh[t]),
                    "discharge_kwh": _kwh(self.discharge_kwh[t]),
                    "charge_from_grid_kwh": _kwh(self.charge_from_grid_kwh[t]),
                    "curtailed_kwh": _kwh(self.curtailed_kwh[t]),
                    "soe_kwh": _kwh(self.soe_kwh[t]),
                    "action": str(self.actions[t]),
                }
            )
        document: dict[str, Json] = {
            "status": str(self.status),
            "slots": slots,
            "costs": {"plan_gbp": round(self.cost_gbp, 4)},
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
        }
        for key, value in (extra or {}).items():
            if isinstance(value, Mapping) and isinstance(document.get(key), dict):
                document[key].update(value)
            else:
                document[key] = value
        return document


def _kwh(value: float) -> float:
    """Energy rounded to the watt-hour, with -0.0 and solver dust removed. [kWh]"""
    rounded = round(float(value), 4)
    return 0.0 if rounded == 0 else rounded
