"""The planning LP: pure ``build_problem(inputs) -> Problem``, one ``define_*`` per family.

Variables, per slot ``t`` (all energies over the slot, ``h`` = slot length in hours) [kWh]:

====================  =========================================================================
``grid_import``       energy bought, ``0 ≤ imp_t ≤ import_limit_t·h``
``grid_export``       energy sold, ``0 ≤ exp_t ≤ export_limit_t·h``
``charge_from_solar`` solar surplus into the battery, ``0 ≤ chs_t ≤ max(solar_t − load_t, 0)·h``
``charge_from_grid``  grid energy into the battery, ``0 ≤ chg_t ≤ allowed_t·max_grid_charge_t·h``
``discharge``         battery energy out (AC), ``0 ≤ dis_t ≤ max_discharge·h``
``curtail``           PV switched off, ``0 ≤ cur_t ≤ solar_t·h``
``soe``               stored energy at the slot's end, ``0 ≤ soe_t ≤ min(capacity, max_soe_t)``
====================  =========================================================================

``charge_t = chs_t + chg_t`` (exposed as an expression). Objective (minimised) [p]::

    Σ_t (import_price_t·imp_t − export_price_t·exp_t + wear·dis_t)
      + penalties (reserve slack, soft targets, stability)
      − terminal_value · soe_{T−1}
      + g                          (the tie-break, ~0.001 p over two days: define_tie_break)

The tie-break ``g`` makes the cheapest schedule unique, so the plan does not depend on the
solver, its presolve or its starting basis; ``Plan.cost_gbp`` and ``Plan.objective_p`` leave it
out (:meth:`Problem.tie_break_p`).

Why the model matrix is built with numpy, not PuLP
---------------------------------------------------
Measured with ``benchmarks/plan_speed.py`` on the 2-core box: making the 288-slot problem a
PuLP model takes ~25 ms against ~0.7 ms with numpy, while HiGHS solves it in ~15 ms, so with
PuLP the build alone would exceed the solve (the target is build ≤ solve). The
:class:`Problem` therefore stores its matrix as numpy blocks (one per family, vectorised) and
passes it straight to HiGHS. PuLP remains the language of hooks: ``problem.soe[t]`` etc. are
real ``pulp.LpVariable`` objects owned by ``problem.lp`` (made on first access),
``add_constraint`` takes a PuLP constraint, ``add_penalty`` a PuLP expression and
``add_variable`` makes a rule's own variable; ``problem.to_pulp()`` makes the full
``LpProblem`` (the CBC fallback and LP-file dumps use it).

No simultaneous import/export or charge/discharge
-------------------------------------------------
*Import and export.* ``imp_t`` and ``exp_t`` enter the balance only as ``exp_t − imp_t``;
besides that ``imp_t`` has an upper bound and ``exp_t`` an upper bound and a ``≤`` row
(battery export). Lowering both by ``m = min(imp_t, exp_t)`` keeps every constraint and
changes the objective by ``−m·(import_price_t − export_price_t)``. So where
``export_price_t < import_price_t`` an optimum never has both (strictly better without);
where they are equal it is a tie. Where ``export_price_t > import_price_t`` (inverted prices:
e.g. a negative import price) the LP would buy to sell, which one meter cannot do: those slots
get a binary ``y_t`` with ``imp_t ≤ y_t·import_limit_t·h`` and ``exp_t ≤ (1−y_t)·export_limit_t·h``
(:func:`define_grid_exclusivity`) — a MILP only over the inverted slots.

*Charge and discharge.* Cycling ``δ`` through the battery within a slot (``chs/chg`` up by
``δ``, ``dis`` up by ``η_c·η_d·δ``, stored energy unchanged) consumes ``(1 − η_c·η_d)·δ`` more
from the AC bus and adds wear. Undoing the cycle frees that energy, which goes to less
import (saves ``import_price_t`` ≥ 0), more curtailment (free) or more export; so with
``import_price_t ≥ 0`` cycling is never strictly better whenever the slot imports, has solar
left to curtail or export room — the only way it can appear is a tie (η_c·η_d = 1 and no
wear, or a zero price) or a slot with none of those outlets, which the check below catches.
With ``import_price_t < 0`` burning energy is paid for, and the LP
would cycle the battery as a heater: those slots get a binary ``z_t`` with
``charge_t ≤ z_t·max_charge·h`` and ``dis_t ≤ (1−z_t)·max_discharge·h``
(:func:`define_battery_exclusivity`). Importing at a negative price to replace curtailed solar
is real (PV can be switched off) and is left to the LP.

Known simplification: ``chs_t ≤ max(solar_t − load_t, 0)·h`` uses the forecast surplus
before curtailment. In a slot with a negative import price the plan may curtail solar below
the home's load, import for the home and still charge the battery from the remaining PV; a
Powerwall with grid charging off would not charge then. Only negative import prices make
curtailing below the load worthwhile, so nothing else is affected.

Where the prices alone tie (equal import and export prices, a lossless battery with no wear),
the tie-break decides: it costs every flow, so both directions at once are strictly dearer.
``solve`` still checks every solution and, if a slot has both (solver tolerance), re-solves
with binaries on those slots, so no plan ever contains them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pulp

from optimiser.planner.errors import PlanInputError
from optimiser.planner.inputs import PlanInputs

INF = float("inf")

#: The tie-break's unit (:func:`define_tie_break`): ten times HiGHS's default optimality
#: tolerance (1e-7), so a solver cannot stop at a schedule the tie-break ranks lower (3e-7
#: was the smallest that kept presolve on and off agreeing on the captured decisions). [p/kWh]
TIE_BREAK_STEP_P_PER_KWH = 1e-6

#: What a hook may put in the objective or a constraint: a PuLP expression, variable or number.
LinearExpression = pulp.LpAffineExpression | pulp.LpVariable | float | int

#: The per-slot variable blocks every problem has, in column order.
SLOT_BLOCKS = (
    "grid_import",
    "grid_export",
    "charge_from_solar",
    "charge_from_grid",
    "discharge",
    "curtail",
    "soe",
)


@dataclass(frozen=True, slots=True)
class _RowBlock:
    """Rows ``lo ≤ A x ≤ hi`` named ``{prefix}_{label}``."""

    prefix: str
    labels: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    single: bool = False


class Problem:
    """A built planning problem: columns, rows and objective, open to hooks until solved.

    Attributes
    ----------
    inputs : PlanInputs
        What the problem was built from.
    count : int
        Number of slots.
    """

    def __init__(self, inputs: PlanInputs) -> None:
        self.inputs = inputs
        self.count = inputs.grid.count
        self._n_cols = 0
        self._n_rows = 0
        self._col_blocks: dict[str, tuple[int, int]] = {}
        self._col_index: dict[str, np.ndarray] = {}
        # Column data in arrays grown by doubling (filled up to ``_n_cols``): a block is a
        # slice, so adding columns or costs never re-concatenates the earlier blocks.
        capacity = 8 * self.count + 16
        self._lower = np.empty(capacity)
        self._upper = np.empty(capacity)
        self._cost = np.empty(capacity)
        self._integer = np.empty(capacity, dtype=bool)
        self._row_blocks: list[_RowBlock] = []
        self._row_prefixes: set[str] = set()
        self._lp: pulp.LpProblem | None = None
        self._pulp_vars: dict[str, list[pulp.LpVariable]] = {}
        self._col_of_var: dict[str, int] = {}
        self.objective_constant = 0.0
        self._tie_break_cols = np.empty(0, dtype=int)
        self._tie_break_costs = np.empty(0)
        self.binary_slots: dict[str, frozenset[int]] = {"grid": frozenset(), "battery": frozenset()}

    @property
    def lp(self) -> pulp.LpProblem:
        """The PuLP model that owns the variables hooks see (made on first use; constraints
        live in the matrix, so a problem without hooks never makes one)."""
        if self._lp is None:
            self._lp = pulp.LpProblem("wattplan_hooks", pulp.LpMinimize)
        return self._lp

    # ----- columns -------------------------------------------------------------------------

    def add_columns(
        self,
        name: str,
        size: int,
        lower: float | np.ndarray,
        upper: float | np.ndarray,
        cost: float | np.ndarray = 0.0,
        *,
        integer: bool = False,
    ) -> np.ndarray:
        """Append a block of ``size`` columns named ``{name}_{i}``; return their indices."""
        if name in self._col_blocks:
            raise PlanInputError(f"variable block {name!r} already exists")
        start = self._n_cols
        end = start + size
        if end > self._lower.size:
            self._grow(end)
        self._lower[start:end] = lower
        self._upper[start:end] = upper
        self._cost[start:end] = cost
        self._integer[start:end] = integer
        self._col_blocks[name] = (start, size)
        index = np.arange(start, end)
        index.setflags(write=False)
        self._col_index[name] = index
        self._n_cols = end
        return index

    def _grow(self, needed: int) -> None:
        """Make room for at least ``needed`` columns (doubling)."""
        capacity = max(needed, 2 * self._lower.size)
        for attr in ("_lower", "_upper", "_cost", "_integer"):
            old = getattr(self, attr)
            new = np.empty(capacity, dtype=old.dtype)
            new[: self._n_cols] = old[: self._n_cols]
            setattr(self, attr, new)

    def cols(self, name: str) -> np.ndarray:
        """Column indices of block ``name`` (read-only)."""
        return self._col_index[name]

    def has_block(self, name: str) -> bool:
        """Whether a variable block ``name`` exists."""
        return name in self._col_blocks

    @property
    def num_cols(self) -> int:
        """Number of variables."""
        return self._n_cols

    @property
    def num_rows(self) -> int:
        """Number of constraints."""
        return self._n_rows

    # ----- rows ----------------------------------------------------------------------------

    def add_rows(
        self,
        prefix: str,
        labels: np.ndarray,
        terms: Iterable[tuple[np.ndarray, float | np.ndarray]],
        lower: float | np.ndarray,
        upper: float | np.ndarray,
        *,
        single: bool = False,
    ) -> None:
        """Add one row per label: ``lower ≤ Σ coeff·x[cols] ≤ upper``.

        Each term is ``(cols, coeffs)`` with one column per row (``cols[i]`` in row ``i``).
        Rows are named ``{prefix}_{label}``; a ``single`` row is named ``prefix``.
        """
        labels = np.asarray(labels)
        n = labels.size
        if n == 0:
            return
        if prefix in self._row_prefixes:
            raise PlanInputError(f"constraint family {prefix!r} already exists")
        self._row_prefixes.add(prefix)
        rows_list, cols_list, vals_list = [], [], []
        row_index = np.arange(self._n_rows, self._n_rows + n)
        for term_cols, coeffs in terms:
            col_arr = np.asarray(term_cols)
            if col_arr.shape != (n,):
                raise PlanInputError(
                    f"constraint family {prefix!r}: a term has {col_arr.shape} columns, "
                    f"expected one per row ({n})"
                )
            if isinstance(coeffs, float | int):  # one coefficient for every row
                if coeffs != 0:
                    rows_list.append(row_index)
                    cols_list.append(col_arr)
                    vals_list.append(np.full(n, float(coeffs)))
                continue
            vals = np.broadcast_to(np.asarray(coeffs, dtype=float), (n,))
            keep = vals != 0
            rows_list.append(row_index[keep])
            cols_list.append(col_arr[keep])
            vals_list.append(vals[keep])
        if not rows_list:
            rows_list, cols_list, vals_list = [row_index[:0]], [row_index[:0]], [np.empty(0)]
        self._row_blocks.append(
            _RowBlock(
                prefix=prefix,
                labels=labels,
                rows=np.concatenate(rows_list),
                cols=np.concatenate(cols_list),
                values=np.concatenate(vals_list),
                lower=_per_row(lower, n),
                upper=_per_row(upper, n),
                single=single,
            )
        )
        self._n_rows += n

    # ----- PuLP view for hooks -------------------------------------------------------------

    def variables(self, name: str) -> list[pulp.LpVariable]:
        """PuLP variables of block ``name``, one per index (made on first use)."""
        if name not in self._pulp_vars:
            start, size = self._col_blocks[name]
            lower = self._lower[start : start + size]
            upper = self._upper[start : start + size]
            cat = pulp.LpBinary if self._integer[start : start + size].any() else pulp.LpContinuous
            made = []
            for i in range(size):
                var = self.lp.add_variable(
                    f"{name}_{i}",
                    lowBound=_finite_or_none(lower[i]),
                    upBound=_finite_or_none(upper[i]),
                    cat=cat,
                )
                self._col_of_var[var.name] = start + i
                made.append(var)
            self._pulp_vars[name] = made
        return self._pulp_vars[name]

    @property
    def grid_import(self) -> list[pulp.LpVariable]:
        """Energy bought per slot. [kWh]"""
        return self.variables("grid_import")

    @property
    def grid_export(self) -> list[pulp.LpVariable]:
        """Energy sold per slot. [kWh]"""
        return self.variables("grid_export")

    @property
    def charge_from_solar(self) -> list[pulp.LpVariable]:
        """Solar surplus into the battery per slot. [kWh]"""
        return self.variables("charge_from_solar")

    @property
    def charge_from_grid(self) -> list[pulp.LpVariable]:
        """Grid energy into the battery per slot. [kWh]"""
        return self.variables("charge_from_grid")

    @property
    def charge(self) -> list[pulp.LpAffineExpression]:
        """Battery charge per slot, ``charge_from_solar + charge_from_grid`` (AC). [kWh]"""
        return [s + g for s, g in zip(self.charge_from_solar, self.charge_from_grid, strict=True)]

    @property
    def discharge(self) -> list[pulp.LpVariable]:
        """Battery discharge per slot (AC). [kWh]"""
        return self.variables("discharge")

    @property
    def curtail(self) -> list[pulp.LpVariable]:
        """Solar curtailed per slot. [kWh]"""
        return self.variables("curtail")

    @property
    def soe(self) -> list[pulp.LpVariable]:
        """Stored energy at each slot's end. [kWh]"""
        return self.variables("soe")

    def add_variable(
        self, name: str, lower: float | None = 0.0, upper: float | None = None, cost: float = 0.0
    ) -> pulp.LpVariable:
        """A new continuous variable for a hook (e.g. a rule's slack), ``cost`` per unit. [p]"""
        col = self.add_columns(
            name,
            1,
            -INF if lower is None else lower,
            INF if upper is None else upper,
            cost,
        )
        (var,) = self.variables(name)
        assert self._col_of_var[var.name] == col[0]
        return var

    def _linear(
        self, expr: LinearExpression | pulp.LpConstraint
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Columns, coefficients and constant of a PuLP expression (new variables registered)."""
        if isinstance(expr, pulp.LpConstraint):
            # The constraint's own constant is ``lhs constant − rhs``; its expr has no rhs.
            cols, coeffs, _ = self._linear(expr.expr)
            return cols, coeffs, float(expr.constant)
        if isinstance(expr, pulp.LpVariable):
            expr = pulp.LpAffineExpression(expr)
        if isinstance(expr, int | float):
            return np.empty(0, dtype=int), np.empty(0), float(expr)
        if not isinstance(expr, pulp.LpAffineExpression):
            raise PlanInputError(f"expected a PuLP expression, got {type(expr).__name__}")
        cols, coeffs = [], []
        for var, coeff in expr.items():
            col = self._col_of_var.get(var.name)
            if col is None:
                col = self._register(var)
            cols.append(col)
            coeffs.append(float(coeff))
        return np.array(cols, dtype=int), np.array(coeffs), float(expr.constant)

    def _register(self, var: pulp.LpVariable) -> int:
        """Make a hook's own PuLP variable a column of the problem."""
        name = f"hook__{var.name}"
        lower = -INF if var.lowBound is None else float(var.lowBound)
        upper = INF if var.upBound is None else float(var.upBound)
        (col,) = self.add_columns(name, 1, lower, upper, integer=var.cat == pulp.LpInteger)
        self._pulp_vars[name] = [var]
        self._col_of_var[var.name] = int(col)
        return int(col)

    def add_constraint(self, name: str, constraint: pulp.LpConstraint) -> None:
        """Add a PuLP constraint (``expr <= / >= / == rhs``) named ``name``."""
        if not isinstance(constraint, pulp.LpConstraint):
            raise PlanInputError(
                f"constraint {name!r}: expected a PuLP constraint, got {type(constraint).__name__}"
            )
        cols, coeffs, constant = self._linear(constraint)
        if cols.size == 0:
            raise PlanInputError(f"constraint {name!r} has no variables")
        rhs = -constant
        sense = constraint.sense
        lower = rhs if sense in (pulp.LpConstraintGE, pulp.LpConstraintEQ) else -INF
        upper = rhs if sense in (pulp.LpConstraintLE, pulp.LpConstraintEQ) else INF
        self.add_rows(
            name,
            np.array([0]),
            [(np.array([c]), np.array([v])) for c, v in zip(cols, coeffs, strict=True)],
            lower,
            upper,
            single=True,
        )

    def add_penalty(self, expr: LinearExpression) -> None:
        """Add a PuLP expression to the objective (minimised). [p]"""
        cols, coeffs, constant = self._linear(expr)
        self.add_costs(cols, coeffs)
        self.objective_constant += constant

    def add_costs(self, cols: np.ndarray, coeffs: float | np.ndarray) -> None:
        """Add ``coeffs`` to the objective coefficients of columns ``cols``. [p/unit]"""
        np.add.at(self._cost[: self._n_cols], np.asarray(cols, dtype=int), coeffs)

    def add_tie_break(self, cols: np.ndarray, costs: np.ndarray) -> None:
        """Add ``costs`` to the objective as part of the tie-break (left out of reported
        costs: :meth:`tie_break_p`). [p/unit]"""
        cols = np.asarray(cols, dtype=int)
        costs = np.broadcast_to(np.asarray(costs, dtype=float), cols.shape)
        self.add_costs(cols, costs)
        self._tie_break_cols = np.concatenate([self._tie_break_cols, cols])
        self._tie_break_costs = np.concatenate([self._tie_break_costs, costs])

    @property
    def tie_break(self) -> tuple[np.ndarray, np.ndarray]:
        """The tie-break's columns and their costs (copies). [p/unit]"""
        return self._tie_break_cols.copy(), self._tie_break_costs.copy()

    def tie_break_p(self, x: np.ndarray) -> float:
        """The tie-break's part of the objective at solution ``x``. [p]"""
        return float(np.dot(self._tie_break_costs, x[self._tie_break_cols]))

    def add_soft_min_soe(self, slot: int, kwh: float, penalty_p_per_kwh: float, name: str) -> None:
        """At least ``kwh`` stored at the end of ``slot``, each missing kWh costing the penalty."""
        self._check_slot(slot, name)
        (slack,) = self.add_columns(f"{name}_slack", 1, 0.0, max(kwh, 0.0), penalty_p_per_kwh)
        soe = self.cols("soe")[slot]
        self.add_rows(name, np.array([slot]), [([soe], 1.0), ([slack], 1.0)], kwh, INF, single=True)

    def add_max_soe(self, slot: int, kwh: float, name: str) -> None:
        """At most ``kwh`` stored at the end of ``slot`` (hard)."""
        self._check_slot(slot, name)
        soe = self.cols("soe")[slot]
        self.add_rows(name, np.array([slot]), [([soe], 1.0)], -INF, kwh, single=True)

    def _check_slot(self, slot: int, name: str) -> None:
        if not 0 <= slot < self.count:
            raise PlanInputError(f"{name}: slot must be within [0, {self.count}), got {slot}")

    # ----- matrix views --------------------------------------------------------------------

    def column_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Lower bounds, upper bounds, costs and integrality of every column."""
        n = self._n_cols
        return (
            self._lower[:n].copy(),
            self._upper[:n].copy(),
            self._cost[:n].copy(),
            self._integer[:n].copy(),
        )

    def row_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """COO rows, cols and values, and the row lower and upper bounds."""
        blocks = self._row_blocks
        return (
            np.concatenate([b.rows for b in blocks]),
            np.concatenate([b.cols for b in blocks]),
            np.concatenate([b.values for b in blocks]),
            np.concatenate([b.lower for b in blocks]),
            np.concatenate([b.upper for b in blocks]),
        )

    def row_names(self) -> list[str]:
        """Every constraint's name, in row order (``balance_0``, ``soe_0``, …)."""
        names = []
        for block in self._row_blocks:
            if block.single:
                names.append(block.prefix)
            else:
                names.extend(f"{block.prefix}_{label}" for label in block.labels)
        return names

    def column_names(self) -> list[str]:
        """Every variable's name, in column order (``soe_0``, …)."""
        names = []
        for name, (_, size) in self._col_blocks.items():
            names.extend(f"{name}_{i}" for i in range(size))
        return names

    def to_pulp(self) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
        """The whole problem as a PuLP model, and its variables in column order."""
        model = pulp.LpProblem("wattplan", pulp.LpMinimize)
        lower, upper, cost, integer = self.column_arrays()
        variables = [
            model.add_variable(
                name,
                lowBound=_finite_or_none(lower[i]),
                upBound=_finite_or_none(upper[i]),
                cat=pulp.LpInteger if integer[i] else pulp.LpContinuous,
            )
            for i, name in enumerate(self.column_names())
        ]
        model += (
            pulp.lpSum(c * variables[i] for i, c in enumerate(cost) if c != 0)
            + self.objective_constant
        )
        rows, cols, values, row_lo, row_hi = self.row_arrays()
        order = np.argsort(rows, kind="stable")
        bounds = np.searchsorted(rows[order], np.arange(self._n_rows + 1))
        for r, name in enumerate(self.row_names()):
            idx = order[bounds[r] : bounds[r + 1]]
            expr = pulp.LpAffineExpression([(variables[cols[k]], values[k]) for k in idx])
            if row_lo[r] == row_hi[r]:
                model += (expr == row_lo[r], name)
                continue
            if np.isfinite(row_lo[r]):
                model += (expr >= row_lo[r], name if not np.isfinite(row_hi[r]) else name + "_lo")
            if np.isfinite(row_hi[r]):
                model += (expr <= row_hi[r], name if not np.isfinite(row_lo[r]) else name + "_hi")
        return model, variables


#: A hook: changes a built problem before it is solved (e.g. the rules' constraints).
Hook = Callable[[Problem], None]


def _per_row(value: float | np.ndarray, n: int) -> np.ndarray:
    """``value`` as a fresh float array of ``n`` entries (scalars broadcast)."""
    if isinstance(value, float | int):
        return np.full(n, float(value))
    return np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


# ----- build ---------------------------------------------------------------------------------


def build_problem(inputs: PlanInputs) -> Problem:
    """Build the planning problem for ``inputs`` (no solving, no I/O)."""
    problem = Problem(inputs)
    define_variables(problem)
    define_energy_balance(problem)
    define_stored_energy(problem)
    define_charge_limits(problem)
    define_battery_export(problem)
    define_reserve_floor(problem)
    define_soe_ceiling(problem)
    define_soe_targets(problem)
    define_stability(problem)
    define_objective(problem)
    define_tie_break(problem)
    inverted = np.flatnonzero(inputs.export_price > inputs.import_price)
    define_grid_exclusivity(problem, inverted)
    define_battery_exclusivity(problem, np.flatnonzero(inputs.import_price < 0))
    return problem


def define_variables(problem: Problem) -> None:
    """Per-slot columns and their bounds (``h`` = slot length) [kWh]::

    0 ≤ imp_t ≤ import_limit_t·h          0 ≤ exp_t ≤ export_limit_t·h
    0 ≤ chs_t ≤ max(solar_t − load_t, 0)·h
    0 ≤ chg_t ≤ grid_charge_allowed_t · min(max_grid_charge_t, max_charge)·h
    0 ≤ dis_t ≤ max_discharge·h           0 ≤ cur_t ≤ solar_t·h
    0 ≤ soe_t ≤ min(capacity, max_soe_t)
    """
    inp = problem.inputs
    h, bat, n = inp.hours, inp.battery, problem.count
    surplus = np.maximum(inp.solar_kw - inp.load_kw, 0.0) * h
    grid_charge = np.where(
        inp.grid_charge_allowed, np.minimum(inp.max_grid_charge_kw, bat.max_charge_kw) * h, 0.0
    )
    problem.add_columns("grid_import", n, 0.0, inp.import_limit_kw * h)
    problem.add_columns("grid_export", n, 0.0, inp.export_limit_kw * h)
    problem.add_columns("charge_from_solar", n, 0.0, np.minimum(surplus, bat.max_charge_kw * h))
    problem.add_columns("charge_from_grid", n, 0.0, grid_charge)
    problem.add_columns("discharge", n, 0.0, bat.max_discharge_kw * h)
    problem.add_columns("curtail", n, 0.0, inp.solar_kw * h)
    ceiling = np.minimum(inp.max_soe_kwh, bat.capacity_kwh)
    # A battery that starts above a ceiling gets a soft one there (define_soe_ceiling).
    problem.add_columns("soe", n, 0.0, np.where(ceiling < bat.soe_kwh, bat.capacity_kwh, ceiling))


def define_energy_balance(problem: Problem) -> None:
    """AC energy balance per slot, ``balance_t`` [kWh]::

    load_t·h + chs_t + chg_t + exp_t = solar_t·h − cur_t + dis_t + imp_t
    """
    inp, n = problem.inputs, problem.count
    rhs = (inp.solar_kw - inp.load_kw) * inp.hours
    problem.add_rows(
        "balance",
        np.arange(n),
        [
            (problem.cols("charge_from_solar"), 1.0),
            (problem.cols("charge_from_grid"), 1.0),
            (problem.cols("grid_export"), 1.0),
            (problem.cols("curtail"), 1.0),
            (problem.cols("discharge"), -1.0),
            (problem.cols("grid_import"), -1.0),
        ],
        rhs,
        rhs,
    )


def define_stored_energy(problem: Problem) -> None:
    """Stored-energy dynamics with losses, ``soe_t`` [kWh]::

    soe_t = soe_{t−1} + η_c·(chs_t + chg_t) − dis_t / η_d,   soe_{−1} = battery.soe_kwh
    """
    inp, n = problem.inputs, problem.count
    bat = inp.battery
    soe = problem.cols("soe")
    rhs = np.zeros(n)
    rhs[0] = bat.soe_kwh
    previous = np.concatenate([[soe[0]], soe[:-1]])
    prev_coeff = np.full(n, -1.0)
    prev_coeff[0] = 0.0
    problem.add_rows(
        "soe",
        np.arange(n),
        [
            (soe, 1.0),
            (previous, prev_coeff),
            (problem.cols("charge_from_solar"), -bat.charge_efficiency),
            (problem.cols("charge_from_grid"), -bat.charge_efficiency),
            (problem.cols("discharge"), 1.0 / bat.discharge_efficiency),
        ],
        rhs,
        rhs,
    )


def define_charge_limits(problem: Problem) -> None:
    """Charge power and solar charging, ``charge_limit_t`` and ``solar_charge_t`` [kWh]::

    chs_t + chg_t ≤ max_charge·h
    chs_t + cur_t ≤ solar_t·h      (solar cannot both charge the battery and be curtailed)
    """
    inp, n = problem.inputs, problem.count
    chs = problem.cols("charge_from_solar")
    problem.add_rows(
        "charge_limit",
        np.arange(n),
        [(chs, 1.0), (problem.cols("charge_from_grid"), 1.0)],
        -INF,
        inp.battery.max_charge_kw * inp.hours,
    )
    sunny = np.flatnonzero(inp.solar_kw > 0)
    problem.add_rows(
        "solar_charge",
        sunny,
        [(chs[sunny], 1.0), (problem.cols("curtail")[sunny], 1.0)],
        -INF,
        inp.solar_kw[sunny] * inp.hours[sunny],
    )


def define_battery_export(problem: Problem) -> None:
    """No battery energy to the grid where it is not allowed, ``no_battery_export_t`` [kWh]::

        exp_t + chs_t ≤ max(solar_t − load_t, 0)·h

    Only the solar surplus (after the home) may leave: what is exported and what charges
    the battery from solar together cannot exceed it, so discharge only serves the home.
    """
    inp = problem.inputs
    slots = np.flatnonzero(~inp.battery_export_allowed)
    surplus = np.maximum(inp.solar_kw - inp.load_kw, 0.0) * inp.hours
    problem.add_rows(
        "no_battery_export",
        slots,
        [
            (problem.cols("grid_export")[slots], 1.0),
            (problem.cols("charge_from_solar")[slots], 1.0),
        ],
        -INF,
        surplus[slots],
    )


def define_reserve_floor(problem: Problem) -> None:
    """Soft reserve floor, ``reserve_t`` [kWh]::

        soe_t + slack_t ≥ floor_t,   0 ≤ slack_t ≤ floor_t,   cost reserve_penalty·slack_t

    A battery that starts below the floor gets a feasible plan: the slack pays for the
    shortfall until it has climbed back.
    """
    inp = problem.inputs
    slots = np.flatnonzero(inp.reserve_floor_kwh > 0)
    if slots.size == 0:
        return
    floor = inp.reserve_floor_kwh[slots]
    slack = problem.add_columns(
        "reserve_slack", slots.size, 0.0, floor, inp.reserve_penalty_p_per_kwh
    )
    problem.add_rows(
        "reserve", slots, [(problem.cols("soe")[slots], 1.0), (slack, 1.0)], floor, INF
    )


def define_soe_ceiling(problem: Problem) -> None:
    """Soft ceiling where the battery starts above ``max_soe_t``, ``ceiling_t`` [kWh]::

        soe_t − over_t ≤ max_soe_t,   over_t ≥ 0,   cost reserve_penalty·over_t

    Elsewhere the ceiling is a plain bound on ``soe_t``. Starting above a ceiling must not
    make the plan infeasible (the battery may have no way to shed the energy in time).
    """
    inp = problem.inputs
    ceiling = np.minimum(inp.max_soe_kwh, inp.battery.capacity_kwh)
    slots = np.flatnonzero(ceiling < inp.battery.soe_kwh)
    if slots.size == 0:
        return
    over = problem.add_columns("ceiling_over", slots.size, 0.0, INF, inp.reserve_penalty_p_per_kwh)
    soe = problem.cols("soe")[slots]
    problem.add_rows("ceiling", slots, [(soe, 1.0), (over, -1.0)], -INF, ceiling[slots])


def define_soe_targets(problem: Problem) -> None:
    """Minimum stored energy at chosen slots, ``target_<k>`` [kWh]::

    soe_s ≥ min_kwh                                   (hard: penalty None)
    soe_s + slack ≥ min_kwh, cost penalty·slack       (soft)
    """
    for k, target in enumerate(problem.inputs.soe_targets):
        name = f"target_{k}"
        if target.penalty_p_per_kwh is None:
            soe = problem.cols("soe")[target.slot]
            problem.add_rows(
                name, np.array([target.slot]), [([soe], 1.0)], target.min_kwh, INF, single=True
            )
        else:
            problem.add_soft_min_soe(target.slot, target.min_kwh, target.penalty_p_per_kwh, name)


def define_stability(problem: Problem) -> None:
    """Stability against the previous plan over the overlapping slots [kWh]::

        dev_t ≥  (chs_t + chg_t − dis_t) − prev_net_t     (stability_up_t)
        dev_t ≥ −(chs_t + chg_t − dis_t) + prev_net_t     (stability_down_t)
        cost stability_penalty·dev_t

    ``prev_net_t`` is the previous plan's charge − discharge in the slot with the same start.
    """
    inp = problem.inputs
    prev = inp.previous
    if (
        prev is None
        or inp.stability_penalty_p_per_kwh == 0
        or prev.grid.minutes != inp.grid.minutes
    ):
        return
    offset_s = (inp.grid.start - prev.grid.start).total_seconds()
    shift = offset_s / (inp.grid.minutes * 60)
    if shift != int(shift):
        return
    prev_index = np.arange(problem.count) + int(shift)
    slots = np.flatnonzero((prev_index >= 0) & (prev_index < prev.grid.count))
    if slots.size == 0:
        return
    prev_net = (prev.charge_kwh - prev.discharge_kwh)[prev_index[slots]]
    dev = problem.add_columns(
        "stability_dev", slots.size, 0.0, INF, inp.stability_penalty_p_per_kwh
    )
    net_terms = [
        (problem.cols("charge_from_solar")[slots], 1.0),
        (problem.cols("charge_from_grid")[slots], 1.0),
        (problem.cols("discharge")[slots], -1.0),
    ]
    problem.add_rows(
        "stability_up", slots, [(dev, 1.0), *[(c, -v) for c, v in net_terms]], -prev_net, INF
    )
    problem.add_rows("stability_down", slots, [(dev, 1.0), *net_terms], prev_net, INF)


def define_objective(problem: Problem) -> None:
    """Energy cost, wear and terminal value [p]::

    Σ_t (import_price_t·imp_t − export_price_t·exp_t + wear·dis_t) − terminal·soe_{T−1}
    """
    inp = problem.inputs
    problem.add_costs(problem.cols("grid_import"), inp.import_price)
    problem.add_costs(problem.cols("grid_export"), -inp.export_price)
    problem.add_costs(problem.cols("discharge"), inp.wear_cost_p_per_kwh)
    if problem.count:
        problem.add_costs(problem.cols("soe")[-1:], -inp.terminal_value_p_per_kwh)


def define_tie_break(problem: Problem) -> None:
    """A tiny cost that makes the cheapest schedule unique [p]::

        g = δ·Σ_t ( chs_t + 1.5·chg_t + 1.25·dis_t + 0.25·(imp_t + exp_t) + 2·cur_t − soe_t ),

    with ``δ`` = :data:`TIE_BREAK_STEP_P_PER_KWH` (1e-6 p/kWh). The LP often has several
    equally cheap schedules (equal prices over a block of slots, an import price equal to an
    export price, free import beside free solar), and which one a solver returns depends on
    presolve, options and the starting basis. ``g`` ranks them; among the cheapest schedules:

    - energy is **held longer**: each kWh stored at a slot's end earns δ, so the battery
      charges as early and discharges as late as the prices allow (the safe side of a
      forecast error); moving a kWh of charge or discharge by one slot changes ``g`` by
      ``η_c·δ`` or ``δ/η_d``;
    - solar charges the battery before the grid in the same slot (``chg`` dearer than ``chs``);
    - solar is exported rather than curtailed, and stored rather than curtailed (``cur`` the
      dearest flow);
    - no slot imports and exports, or charges and discharges, at once: each flow costs
      something, and undoing both keeps every constraint.

    The weights are the same in every slot, so a re-plan from a later slot on the same data
    ranks the remaining schedules as the first plan did (a shrinking-horizon replay with
    perfect forecasts follows the one-shot plan exactly: ``tests/simulations/replay``).

    The family weights differ (1, 1.5, 1.25, 0.25, 2) and the holding reward separates every
    pair of slots, so each exchange above changes ``g`` by at least δ/2 per kWh moved, above
    the solvers' optimality tolerances (HiGHS 1e-7; CBC's are tightened to 1e-9 in
    :func:`optimiser.planner.solve.solve_cbc`). Measured on every decision of the captured
    demo days: with δ = 3e-7 HiGHS presolve on and off still agree, with 1e-7 they disagree
    on 47 of 384, without ``g`` on 105. The fixtures in ``tests/data/plan_requests`` are
    solved with presolve on and off and with CBC.

    Bound: ``g`` is at least ``−δ·Σ_t soe_max_t`` (``≥ −δ·T·capacity``) and at most
    ``2δ`` per kWh that flows. If ``x*`` is a cheapest schedule and ``x'`` the one returned,
    ``f(x') + g(x') ≤ f(x*) + g(x*)``, so the cost ``f`` given up is at most
    ``g(x*) − g(x') ≤ δ·(2·flows(x*) + T·capacity)``: under 0.002 p for a two-day horizon (97
    half-hour slots, 13.5 kWh, ~150 kWh of flows), and exactly 0 where prices really tie (the
    usual case); for the replay's perfect-foresight year (17 520 slots) under 0.3 p.
    ``Plan.cost_gbp`` is the energy cost alone and ``Plan.objective_p`` leaves ``g`` out
    (:meth:`Problem.tie_break_p`).
    """
    n = problem.count
    step = TIE_BREAK_STEP_P_PER_KWH
    for block, weight in (
        ("charge_from_solar", 1.0),
        ("charge_from_grid", 1.5),
        ("discharge", 1.25),
        ("grid_import", 0.25),
        ("grid_export", 0.25),
        ("curtail", 2.0),
        ("soe", -1.0),
    ):
        problem.add_tie_break(problem.cols(block), np.full(n, weight * step))


def define_grid_exclusivity(problem: Problem, slots: Sequence[int] | np.ndarray) -> None:
    """Binary ``y_t`` forbidding simultaneous import and export in ``slots`` [kWh]::

    imp_t ≤ y_t·import_limit_t·h      (import_exclusive_t)
    exp_t ≤ (1 − y_t)·export_limit_t·h  (export_exclusive_t)
    """
    slots = np.asarray(slots, dtype=int)
    if slots.size == 0:
        return
    slots = np.setdiff1d(slots, list(problem.binary_slots["grid"]))
    if slots.size == 0:
        return
    inp = problem.inputs
    imp_cap = inp.import_limit_kw[slots] * inp.hours[slots]
    exp_cap = inp.export_limit_kw[slots] * inp.hours[slots]
    tag = f"_{problem.num_cols}" if problem.binary_slots["grid"] else ""
    y = problem.add_columns(f"import_on{tag}", slots.size, 0.0, 1.0, integer=True)
    problem.add_rows(
        f"import_exclusive{tag}",
        slots,
        [(problem.cols("grid_import")[slots], 1.0), (y, -imp_cap)],
        -INF,
        0.0,
    )
    problem.add_rows(
        f"export_exclusive{tag}",
        slots,
        [(problem.cols("grid_export")[slots], 1.0), (y, exp_cap)],
        -INF,
        exp_cap,
    )
    problem.binary_slots["grid"] = problem.binary_slots["grid"] | frozenset(slots.tolist())


def define_battery_exclusivity(problem: Problem, slots: Sequence[int] | np.ndarray) -> None:
    """Binary ``z_t`` forbidding simultaneous charge and discharge in ``slots`` [kWh]::

    chs_t + chg_t ≤ z_t·max_charge·h       (charge_exclusive_t)
    dis_t ≤ (1 − z_t)·max_discharge·h      (discharge_exclusive_t)
    """
    slots = np.asarray(slots, dtype=int)
    if slots.size == 0:
        return
    slots = np.setdiff1d(slots, list(problem.binary_slots["battery"]))
    if slots.size == 0:
        return
    inp = problem.inputs
    charge_cap = inp.battery.max_charge_kw * inp.hours[slots]
    discharge_cap = inp.battery.max_discharge_kw * inp.hours[slots]
    tag = f"_{problem.num_cols}" if problem.binary_slots["battery"] else ""
    z = problem.add_columns(f"charging_on{tag}", slots.size, 0.0, 1.0, integer=True)
    problem.add_rows(
        f"charge_exclusive{tag}",
        slots,
        [
            (problem.cols("charge_from_solar")[slots], 1.0),
            (problem.cols("charge_from_grid")[slots], 1.0),
            (z, -charge_cap),
        ],
        -INF,
        0.0,
    )
    problem.add_rows(
        f"discharge_exclusive{tag}",
        slots,
        [(problem.cols("discharge")[slots], 1.0), (z, discharge_cap)],
        -INF,
        discharge_cap,
    )
    problem.binary_slots["battery"] = problem.binary_slots["battery"] | frozenset(slots.tolist())
