"""Hypothesis properties of the planner on random inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from optimiser.planner import Battery, PlanInputs, plan
from optimiser.planner.baselines import no_battery_cost_gbp, self_powered_cost_gbp
from tests.optimiser.planner.helpers import assert_physical, grid


@st.composite
def random_inputs(draw, *, comparable: bool = False) -> PlanInputs:
    """Random but feasible inputs; ``comparable`` makes them fair to compare with baselines."""
    count = draw(st.integers(2, 24))
    floats = st.floats(allow_nan=False, allow_infinity=False)

    def arr(lo: float, hi: float) -> np.ndarray:
        return np.array(
            draw(
                st.lists(
                    floats.filter(lambda _: True).map(lambda v: lo + (hi - lo) * (abs(v) % 1.0)),
                    min_size=count,
                    max_size=count,
                )
            )
        )

    capacity = draw(st.floats(1.0, 20.0))
    soe0 = draw(st.floats(0.0, 1.0)) * capacity
    battery = Battery(
        capacity,
        soe0,
        draw(st.floats(0.5, 6.0)),
        draw(st.floats(0.5, 6.0)),
        draw(st.floats(0.8, 1.0)),
        draw(st.floats(0.8, 1.0)),
    )
    low_price = 0.0 if comparable else -20.0
    import_price = arr(low_price, 60.0)
    if draw(st.booleans()):
        export_price = import_price - arr(0.0, 20.0)  # the usual: export below import
    else:
        export_price = arr(low_price - 10.0, 60.0)  # anything, inverted slots included
    floor = draw(st.floats(0.0, 1.0)) * (soe0 if comparable else capacity)
    kwargs = {}
    if not comparable:
        kwargs = {
            "grid_charge_allowed": arr(0, 1) > 0.3,
            "battery_export_allowed": arr(0, 1) > 0.3,
            "max_grid_charge_kw": arr(0.0, 6.0),
            "max_soe_kwh": arr(0, 1) * capacity,
            "export_limit_kw": arr(0.0, 5.0),
            "wear_cost_p_per_kwh": draw(st.floats(0.0, 5.0)),
        }
    else:
        kwargs = {"wear_cost_p_per_kwh": 0.0, "terminal_value_p_per_kwh": 0.0}
    return PlanInputs.build(
        grid(count),
        import_price=import_price,
        export_price=export_price,
        load_kw=arr(0.0, 4.0),
        solar_kw=arr(0.0, 5.0) * draw(st.sampled_from([0.0, 1.0])),
        battery=battery,
        reserve_floor_kwh=floor,
        **kwargs,
    )


@given(random_inputs())
def test_random_plans_are_physical(inp: PlanInputs) -> None:
    outcome = plan(inp)
    assert outcome.status.is_ok, outcome.message
    assert_physical(outcome.require(), inp)


@given(random_inputs(comparable=True))
def test_plan_costs_no_more_than_either_baseline(inp: PlanInputs) -> None:
    result = plan(inp).require()
    assert_physical(result, inp)
    assert result.cost_gbp <= no_battery_cost_gbp(inp) + 1e-6
    assert result.cost_gbp <= self_powered_cost_gbp(inp) + 1e-6
