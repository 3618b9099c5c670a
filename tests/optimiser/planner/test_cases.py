"""Small hand-checkable planning cases."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pulp
import pytest

from optimiser.domain.actions import Action
from optimiser.domain.slots import SlotGrid
from optimiser.domain.units import app_percent_to_kwh
from optimiser.planner import (
    Battery,
    PlanFailed,
    PlanInputError,
    PlanInputs,
    SoeTarget,
    Solver,
    SolveStatus,
    build_problem,
    plan,
)
from optimiser.planner.baselines import no_battery_cost_gbp, self_powered_cost_gbp
from tests.optimiser.planner.helpers import assert_physical, grid, inputs


def test_battery_below_floor_gets_a_plan_that_climbs_back() -> None:
    inp = inputs(
        [20.0] * 8, load_kw=0.5, battery=Battery(10.0, 1.0, 3.0, 3.0), reserve_floor_kwh=4.0
    )
    result = plan(inp).require()
    assert_physical(result, inp)
    assert result.soe_kwh[0] > 1.0  # starts climbing at once
    assert np.all(np.diff(np.concatenate([[1.0], result.soe_kwh[:3]])) > 0)
    assert result.soe_kwh[-1] >= 4.0 - 1e-6
    assert result.actions[0] is Action.CHARGE_FROM_GRID


def test_below_floor_without_any_way_to_charge_is_still_feasible() -> None:
    inp = inputs(
        [20.0] * 4,
        load_kw=0.5,
        battery=Battery(10.0, 1.0, 3.0, 3.0),
        reserve_floor_kwh=4.0,
        grid_charge_allowed=False,
    )
    result = plan(inp).require()
    np.testing.assert_allclose(result.soe_kwh, 1.0, atol=1e-6)  # holds what it has
    assert set(result.actions) == {Action.IDLE}


def test_battery_above_its_ceiling_gets_a_plan_that_comes_down() -> None:
    inp = inputs(
        [20.0] * 10,
        load_kw=1.0,
        battery=Battery(10.0, 9.0, 3.0, 3.0),
        max_soe_kwh=5.0,
        battery_export_allowed=False,
    )
    result = plan(inp).require()
    assert_physical(result, inp)
    # Sheds into the home (0.5 kWh a slot, 0.53 stored) until under the ceiling.
    below = int(np.argmax(result.soe_kwh <= 5.0 + 1e-6))
    assert below == 7
    assert (np.diff(np.concatenate([[9.0], result.soe_kwh[: below + 1]])) < 0).all()
    assert (result.soe_kwh[below:] <= 5.0 + 1e-6).all()


def test_grid_charge_limit_and_ban() -> None:
    prices = [10.0, 10.0, 40.0, 40.0]
    inp = inputs(prices, load_kw=2.0, battery=Battery(10.0, 0.0, 5.0, 5.0), max_grid_charge_kw=1.8)
    result = plan(inp).require()
    assert_physical(result, inp)
    np.testing.assert_allclose(result.charge_from_grid_kwh[:2], 0.9, atol=1e-6)
    banned = inputs(
        prices,
        load_kw=2.0,
        battery=Battery(10.0, 0.0, 5.0, 5.0),
        grid_charge_allowed=[True, False, False, False],
    )
    result = plan(banned).require()
    assert result.charge_kwh[1:].max() < 1e-9


def test_no_battery_export_where_banned() -> None:
    prices = np.array([10.0, 10.0, 30.0, 30.0])
    battery = Battery(10.0, 8.0, 5.0, 5.0)
    free = plan(inputs(prices, prices - 1, load_kw=0.5, battery=battery)).require()
    assert free.export_kwh[2:].sum() > 1.0
    assert Action.EXPORT in free.actions
    inp = inputs(prices, prices - 1, load_kw=0.5, battery=battery, battery_export_allowed=False)
    banned = plan(inp).require()
    assert_physical(banned, inp)
    assert banned.export_kwh.max() < 1e-9
    assert Action.EXPORT not in banned.actions


def test_negative_import_price_charges_without_cycling() -> None:
    import_price = np.array([20.0, -15.0, -15.0, 20.0, 30.0])
    export_price = np.array([5.0, -20.0, -20.0, 5.0, 5.0])
    inp = inputs(
        import_price,
        export_price,
        load_kw=0.4,
        solar_kw=[0, 3.0, 3.0, 0, 0],
        battery=Battery(10.0, 2.0, 3.0, 3.0, 0.9, 0.9),
        wear_cost_p_per_kwh=0.0,
    )
    problem = build_problem(inp)
    assert problem.binary_slots["battery"] == {1, 2}
    result = plan(inp).require()
    assert_physical(result, inp)
    # Paid to import: the solar is switched off and the home and battery run on the grid.
    np.testing.assert_allclose(result.curtailed_kwh[1:3], 1.5, atol=1e-6)
    assert result.import_kwh[1:3].min() > 0.2
    assert result.export_kwh[1:3].max() < 1e-9


def test_negative_export_price_curtails_instead_of_paying_to_export() -> None:
    inp = inputs(
        [20.0, 20.0],
        [-5.0, -5.0],
        load_kw=0.5,
        solar_kw=4.0,
        battery=Battery(10.0, 10.0, 5.0, 5.0),
    )
    result = plan(inp).require()
    assert_physical(result, inp)
    assert result.export_kwh.max() < 1e-9
    np.testing.assert_allclose(result.curtailed_kwh, 1.75, atol=1e-6)
    assert result.cost_gbp == pytest.approx(0.0, abs=1e-9)
    assert result.cost_gbp < no_battery_cost_gbp(inp)


def test_inverted_prices_never_import_to_export() -> None:
    # Export pays more than import in slot 1: a single meter cannot buy and sell at once.
    import_price = np.array([10.0, 10.0, 10.0])
    export_price = np.array([5.0, 30.0, 5.0])
    inp = inputs(import_price, export_price, load_kw=0.0, battery=Battery(10.0, 0.0, 2.0, 4.0))
    problem = build_problem(inp)
    assert problem.binary_slots["grid"] == {1}
    result = plan(inp).require()
    assert_physical(result, inp)
    assert result.import_kwh[1] < 1e-9
    # Bought in slot 0 at the 2 kW charge limit, all sold in slot 1: 1 kWh × 0.95 × 0.95.
    assert result.charge_kwh[0] == pytest.approx(1.0)
    assert result.export_kwh[1] == pytest.approx(0.9025)


def test_hard_target_met_and_infeasible_target_is_a_value() -> None:
    battery = Battery(10.0, 2.0, 2.0, 2.0)
    reachable = inputs([30.0] * 4, battery=battery, soe_targets=[SoeTarget(3, 5.0)])
    result = plan(reachable).require()
    assert result.soe_kwh[3] >= 5.0 - 1e-6
    impossible = inputs([30.0] * 4, battery=battery, soe_targets=[SoeTarget(1, 9.0)])
    outcome = plan(impossible)
    assert outcome.status is SolveStatus.INFEASIBLE
    assert not outcome.status.is_ok
    assert outcome.plan is None
    assert set(outcome.timings_ms) >= {"build", "solve"}
    with pytest.raises(PlanFailed, match="infeasible"):
        outcome.require()
    cbc = plan(impossible, solver=Solver.CBC)
    assert cbc.status is SolveStatus.INFEASIBLE


def test_soft_target_pays_for_what_it_cannot_reach() -> None:
    battery = Battery(10.0, 2.0, 2.0, 2.0, 1.0, 1.0)
    inp = inputs(
        [30.0] * 4, battery=battery, soe_targets=[SoeTarget(1, 9.0, penalty_p_per_kwh=100.0)]
    )
    result = plan(inp).require()
    assert result.soe_kwh[1] == pytest.approx(4.0)  # 2 kWh + 2 slots × 1 kWh
    terminal = inp.terminal_value_p_per_kwh * result.soe_kwh[-1]
    assert result.objective_p == pytest.approx(result.cost_gbp * 100 + 5 * 100.0 - terminal)


def test_hooks_change_the_plan() -> None:
    prices = [10.0, 10.0, 40.0, 40.0]
    inp = inputs(prices, load_kw=1.0, battery=Battery(10.0, 1.0, 4.0, 4.0))
    base = plan(inp).require()
    assert base.soe_kwh[1] > 3.0

    def cap_soe(problem):
        problem.add_max_soe(1, 1.0, "evening_cap")

    capped = plan(inp, hooks=[cap_soe]).require()
    assert capped.soe_kwh[1] == pytest.approx(1.0)

    def no_import_in_slot_0(problem):
        problem.add_constraint("no_import_0", problem.grid_import[0] <= 0)
        problem.add_penalty(3.0 * problem.charge[1])

    hooked = plan(inp, hooks=[no_import_in_slot_0]).require()
    assert hooked.import_kwh[0] == pytest.approx(0.0, abs=1e-9)
    assert hooked.objective_p > base.objective_p

    def own_variable(problem):
        # A rule with its own slack: at most 2 kWh at slot 1, or pay 1000 p/kWh over.
        over = problem.add_variable("over", lower=0.0)
        problem.add_constraint("rule_max", problem.soe[1] - over <= 2.0)
        problem.add_penalty(1000 * over)

    assert plan(inp, hooks=[own_variable]).require().soe_kwh[1] == pytest.approx(2.0)

    def foreign_variable(problem):
        # A PuLP variable made elsewhere becomes a column too.
        model = pulp.LpProblem("rule", pulp.LpMinimize)
        over = model.add_variable("over", lowBound=0)
        problem.add_constraint("rule_max", problem.soe[1] - over <= 2.5)
        problem.add_penalty(1000 * over)

    assert plan(inp, hooks=[foreign_variable]).require().soe_kwh[1] == pytest.approx(2.5)

    def soft_min(problem):
        problem.add_soft_min_soe(3, 8.0, 500.0, "storm")

    assert plan(inp, hooks=[soft_min]).require().soe_kwh[3] == pytest.approx(8.0)


def test_stability_penalty_keeps_the_previous_plan() -> None:
    battery = Battery(10.0, 0.0, 4.0, 4.0, 1.0, 1.0)

    def day(prices, **kwargs):
        return inputs(prices, 0.0, load_kw=[0, 0, 2.0, 2.0], battery=battery, **kwargs)

    before = plan(day([9.9, 9.8, 50.0, 50.0])).require()
    assert before.charge_kwh[1] == pytest.approx(2.0)  # all in the cheaper slot 1
    # Prices move by a whisker: slot 0 is now 0.1 p cheaper.
    fickle = plan(day([9.8, 9.9, 50.0, 50.0])).require()
    assert fickle.charge_kwh[0] == pytest.approx(2.0)
    steady = plan(
        day([9.8, 9.9, 50.0, 50.0], previous=before, stability_penalty_p_per_kwh=5.0)
    ).require()
    np.testing.assert_allclose(steady.charge_kwh, before.charge_kwh, atol=1e-6)
    # Overlap only: a previous plan that starts one slot later constrains slots 1..3.
    later_grid = SlotGrid(grid(4).start + timedelta(minutes=30), 30, 4)
    later = PlanInputs.build(
        later_grid,
        import_price=[9.9, 50.0, 50.0, 50.0],
        export_price=0.0,
        load_kw=0.5,
        solar_kw=0.0,
        battery=battery,
    )
    previous = plan(later).require()
    problem = build_problem(day([9.8, 9.9, 50.0, 50.0], previous=previous))
    assert problem.cols("stability_dev").size == 3
    assert "stability_up_1" in problem.row_names()
    assert "stability_up_0" not in problem.row_names()


def test_json_document_has_every_field() -> None:
    inp = inputs([10.0, 30.0], load_kw=1.0, solar_kw=[0.0, 2.0])
    result = plan(inp).require()
    doc = result.to_json_dict(extra={"costs": {"no_battery_gbp": 1.0}, "site": "demo"})
    json.dumps(doc)
    assert doc["status"] == "optimal"
    assert doc["costs"]["plan_gbp"] == pytest.approx(result.cost_gbp, abs=1e-4)
    assert doc["costs"]["no_battery_gbp"] == 1.0
    assert doc["site"] == "demo"
    assert set(doc["timings_ms"]) >= {"build", "solve"}
    first = doc["slots"][0]
    assert first["start"] == "2026-03-01T00:00:00Z"
    assert first["end"] == "2026-03-01T00:30:00Z"
    for key in (
        "import_price",
        "export_price",
        "load_kwh",
        "solar_kwh",
        "import_kwh",
        "export_kwh",
        "charge_kwh",
        "discharge_kwh",
        "soe_kwh",
        "action",
    ):
        assert key in first
    assert {s["action"] for s in doc["slots"]} <= {a.value for a in Action}


def test_constraint_names_are_stable_and_cbc_agrees() -> None:
    inp = inputs(
        [10.0, 30.0, 12.0, 35.0],
        [5.0, 40.0, 2.0, 20.0],
        load_kw=1.0,
        solar_kw=[0.0, 2.0, 1.0, 0.0],
        reserve_floor_kwh=1.0,
        battery_export_allowed=[True, True, False, True],
    )
    problem = build_problem(inp)
    names = problem.row_names()
    assert len(names) == len(set(names)) == problem.num_rows
    for name in ("balance_0", "balance_3", "soe_0", "soe_3", "reserve_2", "no_battery_export_2"):
        assert name in names
    model, _ = problem.to_pulp()
    assert model.get_constraint_by_name("balance_0") is not None
    highs = plan(inp).require()
    cbc = plan(inp, solver=Solver.CBC).require()
    assert cbc.objective_p == pytest.approx(highs.objective_p, abs=1e-5)


def test_unknown_solver_is_a_failed_value() -> None:
    outcome = plan(inputs([10.0]), solver="gurobi")  # type: ignore[arg-type]
    assert outcome.status is SolveStatus.FAILED
    assert outcome.message == "expected a solver among highs, cbc, got 'gurobi'"


def test_flux_day_actions() -> None:
    hours = np.arange(48) / 2
    price = np.where((hours >= 2) & (hours < 5), 15.0, 25.0)
    price = np.where((hours >= 16) & (hours < 19), 35.0, price)
    inp = inputs(
        price,
        price - 4.0,
        load_kw=0.5,
        battery=Battery(13.5, 2.7, 5.0, 5.0),
        reserve_floor_kwh=2.7,
    )
    result = plan(inp).require()
    assert_physical(result, inp)
    assert result.actions[4] is Action.CHARGE_FROM_GRID  # off-peak
    assert result.actions[33] is Action.EXPORT  # peak: 35 − 4 = 31 p beats 15/η²
    assert result.cost_gbp < self_powered_cost_gbp(inp)


def test_inputs_are_validated() -> None:
    battery = Battery(10.0, 5.0, 5.0, 5.0)
    with pytest.raises(PlanInputError, match="one value per slot"):
        inputs([10.0, 20.0], load_kw=[1.0, 2.0, 3.0], battery=battery)
    with pytest.raises(PlanInputError, match="finite"):
        inputs([10.0, float("nan")], battery=battery)
    with pytest.raises(PlanInputError, match="soe_kwh"):
        Battery(10.0, 11.0, 5.0, 5.0)
    with pytest.raises(PlanInputError, match="slot"):
        inputs([10.0], soe_targets=[SoeTarget(3, 1.0)])
    with pytest.raises(PlanInputError, match=">= 0"):
        inputs([10.0], load_kw=-1.0)
    below = inputs([10.0], battery=Battery(10.0, 0.5, 5.0, 5.0), reserve_floor_kwh=2.0)
    assert below.reserve_floor_kwh[0] == 2.0
    assert not below.import_price.flags.writeable


def test_defaults_and_app_percent() -> None:
    inp = inputs([10.0, 30.0, 20.0], battery=Battery(13.5, 5.0, 5.0, 4.0))
    assert inp.export_limit_kw.tolist() == [3.68] * 3
    assert inp.import_limit_kw.tolist() == [23.0] * 3
    assert inp.max_grid_charge_kw.tolist() == [5.0] * 3
    assert inp.grid_charge_allowed.all() and inp.battery_export_allowed.all()
    assert inp.wear_cost_p_per_kwh == 1.0
    assert inp.terminal_value_p_per_kwh == 10.0  # the cheapest import price
    assert app_percent_to_kwh(0, 13.5) == pytest.approx(0.675)
    assert app_percent_to_kwh(100, 13.5) == pytest.approx(13.5)
    assert app_percent_to_kwh(20, 10.0) == pytest.approx(2.4)


def test_plan_failed_survives_a_process_boundary():
    import pickle

    from optimiser.planner.errors import PlanFailed

    again = pickle.loads(pickle.dumps(PlanFailed("time_limit", "10 s")))
    assert (again.status, again.message, str(again)) == (
        "time_limit",
        "10 s",
        "planning failed (time_limit): 10 s",
    )
