"""A planning request as a versioned, human-readable JSON document, and back.

A snapshot holds the :class:`PlanInputs` (every per-slot array and scalar, floats written so
they read back bit for bit) and what hooks (the rules) added to the built problem: their
columns, rows and extra costs, by name. :func:`load` returns the inputs and one hook that adds
them again, so ``plan(inputs, hooks=(hook,))`` solves exactly the problem that was captured.

Of the previous plan (the stability penalty's reference) only what the planner reads is kept:
its slot grid and its charge and discharge per slot; the rebuilt :class:`Plan` has zeros
elsewhere.

Document (format ``wattplan.plan_request/1``)::

    {"format": "wattplan.plan_request/1",
     "source": {...},                        free text: what the request was captured from
     "grid": {"start": ISO UTC, "minutes": 30, "count": 48},
     "battery": {"capacity_kwh": …, "soe_kwh": …, …},
     "scalars": {"reserve_penalty_p_per_kwh": …, …},
     "arrays": {"import_price": [...], …},   one value per slot
     "soe_targets": [{"slot": …, "min_kwh": …, "penalty_p_per_kwh": … or null}],
     "previous": null or {"grid": {...}, "charge_kwh": [...], "discharge_kwh": [...]},
     "hooks": {"columns": [{"name", "lower", "upper", "cost", "integer"}],
               "rows": [{"name", "terms": {column name: coefficient}, "lower", "upper"}],
               "costs": {column name: added cost}, "objective_constant": …}}

Infinite bounds are written as null.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict

import numpy as np

from optimiser.domain.slots import SlotGrid
from optimiser.planner.errors import PlanInputError
from optimiser.planner.inputs import Battery, PlanInputs, SoeTarget
from optimiser.planner.problem import INF, Hook, Problem, build_problem
from optimiser.planner.result import Action, Json, Plan
from optimiser.planner.status import SolveStatus

FORMAT = "wattplan.plan_request/1"


class HookColumn(TypedDict):
    """A column a hook added: bounds (None: infinite), objective cost [p/unit], integrality."""

    name: str
    lower: float | None
    upper: float | None
    cost: float
    integer: bool


class HookRow(TypedDict):
    """A row a hook added: ``lower ≤ Σ coefficient·column ≤ upper`` (None: infinite)."""

    name: str
    terms: dict[str, float]
    lower: float | None
    upper: float | None


def snapshot(problem: Problem, source: Mapping[str, Json] | None = None) -> dict[str, Json]:
    """The document for a built problem, with whatever its hooks added (see the module)."""
    inputs = problem.inputs
    base = build_problem(inputs)
    document: dict[str, Json] = {
        "format": FORMAT,
        "source": dict(source or {}),
        "grid": _grid_json(inputs.grid),
        "battery": _battery_json(inputs.battery),
        "scalars": {
            "reserve_penalty_p_per_kwh": inputs.reserve_penalty_p_per_kwh,
            "terminal_value_p_per_kwh": inputs.terminal_value_p_per_kwh,
            "wear_cost_p_per_kwh": inputs.wear_cost_p_per_kwh,
            "stability_penalty_p_per_kwh": inputs.stability_penalty_p_per_kwh,
            "first_slot_hours": inputs.first_slot_hours,
        },
        "arrays": {
            "import_price": inputs.import_price.tolist(),
            "export_price": inputs.export_price.tolist(),
            "load_kw": inputs.load_kw.tolist(),
            "solar_kw": inputs.solar_kw.tolist(),
            "reserve_floor_kwh": inputs.reserve_floor_kwh.tolist(),
            "max_soe_kwh": inputs.max_soe_kwh.tolist(),
            "import_limit_kw": inputs.import_limit_kw.tolist(),
            "export_limit_kw": inputs.export_limit_kw.tolist(),
            "max_grid_charge_kw": inputs.max_grid_charge_kw.tolist(),
            "grid_charge_allowed": inputs.grid_charge_allowed.tolist(),
            "battery_export_allowed": inputs.battery_export_allowed.tolist(),
        },
        "soe_targets": [
            {"slot": t.slot, "min_kwh": t.min_kwh, "penalty_p_per_kwh": t.penalty_p_per_kwh}
            for t in inputs.soe_targets
        ],
        "previous": None,
        "hooks": _hook_json(problem, base),
    }
    if inputs.previous is not None:
        document["previous"] = {
            "grid": _grid_json(inputs.previous.grid),
            "charge_kwh": inputs.previous.charge_kwh.tolist(),
            "discharge_kwh": inputs.previous.discharge_kwh.tolist(),
        }
    return document


def load(document: Mapping[str, Json]) -> tuple[PlanInputs, Hook]:
    """The inputs and the hook that re-adds what the captured hooks added."""
    if document.get("format") != FORMAT:
        raise PlanInputError(
            f"expected a plan request document of format {FORMAT!r}, "
            f"got format {document.get('format')!r}"
        )
    grid = _grid(document["grid"])
    arrays = document["arrays"]
    scalars = document["scalars"]
    previous = document["previous"]
    inputs = PlanInputs(
        grid=grid,
        import_price=np.asarray(arrays["import_price"], dtype=float),
        export_price=np.asarray(arrays["export_price"], dtype=float),
        load_kw=np.asarray(arrays["load_kw"], dtype=float),
        solar_kw=np.asarray(arrays["solar_kw"], dtype=float),
        battery=Battery(**document["battery"]),
        reserve_floor_kwh=np.asarray(arrays["reserve_floor_kwh"], dtype=float),
        max_soe_kwh=np.asarray(arrays["max_soe_kwh"], dtype=float),
        import_limit_kw=np.asarray(arrays["import_limit_kw"], dtype=float),
        export_limit_kw=np.asarray(arrays["export_limit_kw"], dtype=float),
        grid_charge_allowed=np.asarray(arrays["grid_charge_allowed"], dtype=bool),
        battery_export_allowed=np.asarray(arrays["battery_export_allowed"], dtype=bool),
        max_grid_charge_kw=np.asarray(arrays["max_grid_charge_kw"], dtype=float),
        reserve_penalty_p_per_kwh=scalars["reserve_penalty_p_per_kwh"],
        soe_targets=tuple(SoeTarget(**t) for t in document["soe_targets"]),
        terminal_value_p_per_kwh=scalars["terminal_value_p_per_kwh"],
        wear_cost_p_per_kwh=scalars["wear_cost_p_per_kwh"],
        previous=None if previous is None else _previous(previous),
        stability_penalty_p_per_kwh=scalars["stability_penalty_p_per_kwh"],
        first_slot_hours=scalars["first_slot_hours"],
    )
    hooks = document["hooks"]

    def hook(problem: Problem) -> None:
        for block, columns in _blocks(hooks["columns"]):
            problem.add_columns(
                block,
                len(columns),
                np.array([_bound(c["lower"], -INF) for c in columns]),
                np.array([_bound(c["upper"], INF) for c in columns]),
                np.array([c["cost"] for c in columns]),
                integer=columns[0]["integer"],
            )
        index = {name: i for i, name in enumerate(problem.column_names())}
        for row in hooks["rows"]:
            terms = [(np.array([index[name]]), coeff) for name, coeff in row["terms"].items()]
            problem.add_rows(
                row["name"],
                np.array([0]),
                terms,
                _bound(row["lower"], -INF),
                _bound(row["upper"], INF),
                single=True,
            )
        for name, cost in hooks["costs"].items():
            problem.add_costs(np.array([index[name]]), cost)
        problem.objective_constant += hooks["objective_constant"]

    return inputs, hook


def _blocks(columns: list[HookColumn]) -> list[tuple[str, list[HookColumn]]]:
    """Columns grouped back into the blocks they were made in (``{block}_0``, ``{block}_1``…)."""
    blocks: list[tuple[str, list[HookColumn]]] = []
    for column in columns:
        block, _, number = column["name"].rpartition("_")
        if not block or not number.isdigit():
            raise PlanInputError(f"hook column name must be '<block>_<n>', got {column['name']!r}")
        if int(number) == 0:
            blocks.append((block, [column]))
        elif blocks and blocks[-1][0] == block and len(blocks[-1][1]) == int(number):
            blocks[-1][1].append(column)
        else:
            raise PlanInputError(f"hook column {column['name']!r} follows no column of its block")
    return blocks


def dumps(document: Mapping[str, Json]) -> str:
    """``document`` as JSON text: objects indented, each list and each list item on one line."""
    return _format(document, 0) + "\n"


def _format(value: Json, depth: int) -> str:
    if isinstance(value, Mapping) and value:
        pad = "  " * (depth + 1)
        items = [f"{pad}{json.dumps(k)}: {_format(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
    if isinstance(value, list) and any(isinstance(v, Mapping) for v in value):
        pad = "  " * (depth + 1)
        items = [pad + json.dumps(v, allow_nan=False, separators=(", ", ": ")) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + "  " * depth + "]"
    return json.dumps(value, allow_nan=False, separators=(", ", ": "))


def _hook_json(problem: Problem, base: Problem) -> dict[str, Json]:
    """What ``problem`` has beyond ``base`` (the same inputs, built without hooks)."""
    names = problem.column_names()
    lower, upper, cost, integer = problem.column_arrays()
    _, _, base_cost, _ = base.column_arrays()
    n_base = base.num_cols
    if (
        names[:n_base] != base.column_names()
        or base.row_names() != problem.row_names()[: base.num_rows]
    ):
        raise PlanInputError("hooks may only add to a built problem, not reorder it")
    columns: list[HookColumn] = [
        {
            "name": names[j],
            "lower": _finite(lower[j]),
            "upper": _finite(upper[j]),
            "cost": float(cost[j]),
            "integer": bool(integer[j]),
        }
        for j in range(n_base, problem.num_cols)
    ]
    rows, cols, values, row_lo, row_hi = problem.row_arrays()
    row_names = problem.row_names()
    added: list[HookRow] = []
    for r in range(base.num_rows, problem.num_rows):
        here = rows == r
        terms = {names[c]: float(v) for c, v in zip(cols[here], values[here], strict=True)}
        added.append(
            {
                "name": row_names[r],
                "terms": terms,
                "lower": _finite(row_lo[r]),
                "upper": _finite(row_hi[r]),
            }
        )
    changed = np.flatnonzero(cost[:n_base] != base_cost)
    return {
        "columns": columns,
        "rows": added,
        "costs": {names[j]: float(cost[j] - base_cost[j]) for j in changed},
        "objective_constant": problem.objective_constant - base.objective_constant,
    }


def _battery_json(battery: Battery) -> dict[str, Json]:
    return {
        "capacity_kwh": battery.capacity_kwh,
        "soe_kwh": battery.soe_kwh,
        "max_charge_kw": battery.max_charge_kw,
        "max_discharge_kw": battery.max_discharge_kw,
        "charge_efficiency": battery.charge_efficiency,
        "discharge_efficiency": battery.discharge_efficiency,
    }


def _grid_json(grid: SlotGrid) -> dict[str, Json]:
    return {"start": grid.start.isoformat(), "minutes": grid.minutes, "count": grid.count}


def _grid(doc: Mapping[str, Json]) -> SlotGrid:
    return SlotGrid(datetime.fromisoformat(doc["start"]), doc["minutes"], doc["count"])


def _previous(doc: Mapping[str, Json]) -> Plan:
    """A plan carrying what the stability penalty reads: grid, charge and discharge."""
    grid = _grid(doc["grid"])
    zeros = np.zeros(grid.count)
    return Plan(
        grid=grid,
        status=SolveStatus.OPTIMAL,
        import_price=zeros,
        export_price=zeros,
        load_kwh=zeros,
        solar_kwh=zeros,
        import_kwh=zeros,
        export_kwh=zeros,
        charge_kwh=np.asarray(doc["charge_kwh"], dtype=float),
        discharge_kwh=np.asarray(doc["discharge_kwh"], dtype=float),
        charge_from_grid_kwh=zeros,
        curtailed_kwh=zeros,
        soe_kwh=zeros,
        start_soe_kwh=0.0,
        actions=(Action.IDLE,) * grid.count,
        cost_gbp=0.0,
        objective_p=0.0,
    )


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _bound(value: float | None, infinite: float) -> float:
    return infinite if value is None else float(value)
