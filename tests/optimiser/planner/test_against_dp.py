"""The LP's optimum against an independent dynamic-programming search on small cases.

The DP knows nothing of the LP: it walks stored energy on a fine grid, and for each slot and
each change in stored energy works out the cheapest grid flows by hand (import the deficit;
export the surplus up to the limit, curtailing the rest of the solar, or curtail instead of
exporting at a negative price).
"""

from __future__ import annotations

import numpy as np
import pytest

from optimiser.planner import Battery, plan
from tests.optimiser.planner.helpers import inputs

BIG = 1e18


def dp_optimum(
    *,
    import_price: np.ndarray,
    export_price: np.ndarray,
    load_kwh: np.ndarray,
    solar_kwh: np.ndarray,
    battery: Battery,
    hours: float,
    export_limit_kw: float,
    wear: float,
    terminal: float,
    step: float,
) -> float:
    """Minimum of cost + wear − terminal value over stored-energy paths on a ``step`` grid. [p]"""
    levels = np.arange(0.0, battery.capacity_kwh + step / 2, step)
    value = -terminal * levels
    delta = levels[None, :] - levels[:, None]  # [from, to]
    charge = np.where(delta > 0, delta / battery.charge_efficiency, 0.0)
    discharge = np.where(delta < 0, -delta * battery.discharge_efficiency, 0.0)
    feasible = (charge <= battery.max_charge_kw * hours + 1e-9) & (
        discharge <= battery.max_discharge_kw * hours + 1e-9
    )
    for t in reversed(range(import_price.size)):
        net = load_kwh[t] + charge - discharge - solar_kwh[t]
        surplus = np.maximum(-net, 0.0)
        export_lo = np.maximum(surplus - solar_kwh[t], 0.0)  # only solar can be curtailed
        export_hi = np.minimum(surplus, export_limit_kw * hours)
        export = export_hi if export_price[t] > 0 else export_lo
        cost = np.maximum(net, 0.0) * import_price[t] - export * export_price[t]
        cost = cost + wear * discharge
        ok = feasible & (export_lo <= export_hi + 1e-9)
        total = np.where(ok, cost + value[None, :], BIG)
        value = total.min(axis=1)
    start = round(battery.soe_kwh / step)
    assert abs(levels[start] - battery.soe_kwh) < 1e-9
    return float(value[start])


def _case(seed: int, efficiency: float):
    rng = np.random.default_rng(seed)
    count = int(rng.integers(4, 7))
    # Energies on a 0.1 kWh lattice (0.2 kW over half an hour) so lossless optima sit on it.
    load = rng.integers(0, 10, count) * 0.2
    solar = rng.integers(0, 12, count) * 0.2 * (rng.random(count) < 0.6)
    import_price = rng.integers(5, 60, count).astype(float)
    export_price = import_price - rng.integers(0, 30, count)
    battery = Battery(3.0, float(rng.integers(0, 31)) * 0.1, 2.0, 2.4, efficiency, efficiency)
    wear = float(rng.integers(0, 3))
    terminal = float(rng.integers(0, 20))
    inp = inputs(
        import_price,
        export_price,
        load,
        solar,
        battery=battery,
        export_limit_kw=1.6,
        wear_cost_p_per_kwh=wear,
        terminal_value_p_per_kwh=terminal,
    )
    return inp, {
        "import_price": import_price,
        "export_price": export_price,
        "load_kwh": load * 0.5,
        "solar_kwh": solar * 0.5,
        "battery": battery,
        "hours": 0.5,
        "export_limit_kw": 1.6,
        "wear": wear,
        "terminal": terminal,
    }


@pytest.mark.parametrize("seed", range(8))
def test_lossless_optimum_equals_dp_exactly(seed: int) -> None:
    inp, case = _case(seed, 1.0)
    lp = plan(inp).require().objective_p
    assert lp == pytest.approx(dp_optimum(**case, step=0.1), abs=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_lossy_optimum_brackets_fine_dp(seed: int) -> None:
    inp, case = _case(100 + seed, 0.9)
    lp = plan(inp).require().objective_p
    dp = dp_optimum(**case, step=0.002)
    # The DP only visits grid points, so it can only be worse, and by little.
    assert lp <= dp + 1e-6
    assert dp - lp < 0.5
