"""Baselines on the plan's own forecast, checked by hand."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from optimiser.cli.errors import FAILED, USER_ERROR, exit_code_for
from optimiser.planner import Battery, PlanFailed, PlanInputError
from optimiser.planner.baselines import no_battery_cost_gbp, self_powered_cost_gbp
from tests.optimiser.planner.helpers import inputs


def test_no_battery_imports_deficit_and_exports_surplus_up_to_the_limit() -> None:
    inp = inputs([20.0, 30.0], [5.0, 10.0], load_kw=[1.0, 1.0], solar_kw=[0.0, 6.0])
    # Slot 0 buys 0.5 kWh at 20 p; slot 1 sells min(2.5, 1.84) kWh at 10 p.
    assert no_battery_cost_gbp(inp) == pytest.approx((0.5 * 20 - 1.84 * 10) / 100)


def test_self_powered_covers_load_down_to_the_floor() -> None:
    battery = Battery(10.0, 5.0, 5.0, 5.0, 1.0, 1.0)
    free = inputs([20.0, 20.0], load_kw=2.0, battery=battery)
    assert self_powered_cost_gbp(free) == pytest.approx(0.0)
    # Floor 4.5 kWh: 0.5 kWh usable; 1 kWh a slot needed, so 0.5 + 1 kWh are bought.
    floored = inputs([20.0, 20.0], load_kw=2.0, battery=battery, reserve_floor_kwh=4.5)
    assert self_powered_cost_gbp(floored) == pytest.approx((0.5 + 1.0) * 20 / 100)


def test_self_powered_charges_from_solar_surplus_and_exports_only_solar() -> None:
    battery = Battery(10.0, 9.5, 5.0, 5.0, 1.0, 1.0)
    inp = inputs(
        [20.0, 40.0], [15.0, 15.0], load_kw=[0.0, 0.0], solar_kw=[4.0, 0.0], battery=battery
    )
    # 0.5 kWh fills the battery, 1.5 kWh is exported; nothing is exported from the battery.
    assert self_powered_cost_gbp(inp) == pytest.approx(-1.5 * 15 / 100)


def test_planner_errors_have_exit_codes() -> None:
    assert exit_code_for(PlanInputError("bad")) == USER_ERROR
    assert exit_code_for(PlanFailed("infeasible", "no plan")) == FAILED


def test_solving_prints_nothing_on_stdout() -> None:
    # `wattplan plan --json` prints the plan on stdout; HiGHS must not add its banner.
    code = (
        "import json\n"
        "from tests.optimiser.planner.helpers import inputs\n"
        "from optimiser.planner import plan\n"
        "print(json.dumps(plan(inputs([10.0, 30.0], load_kw=1.0)).require().to_json_dict()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert json.loads(out)["status"] == "optimal"
