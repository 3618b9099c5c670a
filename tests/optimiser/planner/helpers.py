"""Small builders for planner tests."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from optimiser.domain.slots import SlotGrid
from optimiser.planner import Battery, Plan, PlanInputs

START = datetime(2026, 3, 1, tzinfo=UTC)


def grid(count: int, minutes: int = 30) -> SlotGrid:
    return SlotGrid(START, minutes, count)


def inputs(
    import_price,
    export_price=None,
    load_kw=0.0,
    solar_kw=0.0,
    *,
    battery: Battery | None = None,
    minutes: int = 30,
    **kwargs,
) -> PlanInputs:
    """Inputs over ``len(import_price)`` slots; the rest broadcast."""
    import_price = np.asarray(import_price, dtype=float)
    if export_price is None:
        export_price = import_price - 10.0
    return PlanInputs.build(
        grid(import_price.size, minutes),
        import_price=import_price,
        export_price=export_price,
        load_kw=load_kw,
        solar_kw=solar_kw,
        battery=battery or Battery(10.0, 5.0, 5.0, 5.0),
        **kwargs,
    )


def assert_physical(plan: Plan, inp: PlanInputs, tol: float = 1e-6) -> None:
    """Energy balance, stored-energy dynamics, bounds and no simultaneous flows."""
    bat = inp.battery
    lhs = plan.load_kwh + plan.charge_kwh + plan.export_kwh
    rhs = plan.solar_kwh - plan.curtailed_kwh + plan.discharge_kwh + plan.import_kwh
    np.testing.assert_allclose(lhs, rhs, atol=tol)
    start = np.concatenate([[bat.soe_kwh], plan.soe_kwh[:-1]])
    expected = (
        start
        + bat.charge_efficiency * plan.charge_kwh
        - plan.discharge_kwh / bat.discharge_efficiency
    )
    np.testing.assert_allclose(plan.soe_kwh, expected, atol=1e-5)
    assert (plan.soe_kwh >= -tol).all()
    ceiling = np.minimum(bat.capacity_kwh, inp.max_soe_kwh)
    soft = ceiling < bat.soe_kwh  # a battery starting above a ceiling may stay above it
    assert (plan.soe_kwh[~soft] <= ceiling[~soft] + tol).all()
    assert (plan.soe_kwh <= bat.capacity_kwh + tol).all()
    h = inp.hours
    assert (plan.charge_kwh <= bat.max_charge_kw * h + tol).all()
    assert (plan.discharge_kwh <= bat.max_discharge_kw * h + tol).all()
    assert (plan.import_kwh <= inp.import_limit_kw * h + tol).all()
    assert (plan.export_kwh <= inp.export_limit_kw * h + tol).all()
    assert (plan.curtailed_kwh <= plan.solar_kwh + tol).all()
    assert (np.minimum(plan.import_kwh, plan.export_kwh) <= tol).all(), "import and export"
    assert (np.minimum(plan.charge_kwh, plan.discharge_kwh) <= tol).all(), "charge and discharge"
    grid_charge_cap = np.where(
        inp.grid_charge_allowed, np.minimum(inp.max_grid_charge_kw, bat.max_charge_kw) * h, 0.0
    )
    assert (plan.charge_from_grid_kwh <= grid_charge_cap + tol).all()
    surplus = np.maximum(plan.solar_kwh - plan.load_kwh, 0.0)
    banned = ~inp.battery_export_allowed
    assert (plan.export_kwh[banned] <= surplus[banned] + tol).all()
