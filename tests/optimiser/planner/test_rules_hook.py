"""Every rule action and condition, shown by its effect on a real plan (HiGHS via plan_cycle)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from optimiser.config import Config, PlannerConfig
from optimiser.domain.slots import SlotGrid
from optimiser.domain.units import app_percent_to_kwh
from optimiser.planning import PlanRequest, plan_cycle
from rules import loads_rules
from rules.schema import ForceMode

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)  # a Monday; London is on GMT
GRID = SlotGrid(NOW, 30, 24)  # 12:00–24:00 local
CONFIG = Config(planner=PlannerConfig(terminal_value_p_per_kwh=0.0, wear_cost_p_per_kwh=0.0))
CAP = 13.5


@dataclass(frozen=True)
class State:
    soe_kwh: float = CAP
    capacity_kwh: float = CAP
    max_charge_kw: float = 5.0
    max_discharge_kw: float = 5.0
    round_trip_efficiency: float = 0.9
    app_percent: float = 100.0
    grid_up: bool = True


def request(text: str | None = None, *, state: State = State(), **arrays) -> PlanRequest:
    n = GRID.count
    context = arrays.pop("context", None)
    values = {
        "import_price": np.full(n, 30.0),
        "export_price": np.full(n, 5.0),
        "load_kw": np.full(n, 0.6),
        "solar_kw": np.zeros(n),
    }
    values.update(arrays)
    return PlanRequest(
        now=NOW,
        grid=GRID,
        state=state,
        rules=loads_rules(text) if text else None,
        context=context or {},
        **values,
    )


def run(text: str | None = None, **kw):
    result = plan_cycle(request(text, **kw), CONFIG)
    assert result.outcome.status.is_ok, result.outcome
    return result, result.outcome.plan


def slots(hh_from: int, hh_to: int) -> list[int]:
    """Slot indices from local hh_from:00 to hh_to:00 (the grid starts at 12:00)."""
    return list(range((hh_from - 12) * 2, (hh_to - 12) * 2))


def rule(when: str, do: str) -> str:
    return f"rules:\n  - name: r\n    when: {when}\n    do: {do}\n"


# --- actions -------------------------------------------------------------------------------


def test_baseline_discharges_all_afternoon():
    _, plan = run()
    assert np.all(plan.discharge_kwh > 0.25)


def test_hold_stops_discharge_in_its_slots_only():
    _, plan = run(rule("{time: '16:00-19:00'}", "{hold: true}"))
    held = slots(16, 19)
    assert np.allclose(plan.discharge_kwh[held], 0)
    others = [t for t in range(GRID.count) if t not in held]
    assert np.all(plan.discharge_kwh[others] > 0.25)


def test_soft_min_reserve_keeps_energy_and_hard_is_never_crossed():
    floor = app_percent_to_kwh(90, CAP)
    _, plan = run(rule("{time: '12:00-24:00'}", "{min_reserve: {percent: 90, hard: true}}"))
    assert np.all(plan.soe_kwh >= floor - 1e-6)
    _, soft = run(
        rule("{}", "{min_reserve: {percent: 90, penalty_p_per_kwh: 0.5}}")
    )  # 0.5 p per kWh short per slot is cheaper than importing at 30p: the floor gives way
    assert soft.soe_kwh[-1] < floor - 1


def test_unreachable_hard_floor_is_softened_and_reported():
    result, plan = run(
        rule("{}", "{min_reserve: {percent: 100, hard: true}}"),
        state=State(soe_kwh=4.0, app_percent=25.9),
    )
    assert any("cannot be met" in note for note in result.rules.shortfalls)
    assert plan.charge_from_grid_kwh.sum() > 5  # climbs as fast as it can


def test_reach_target_by_time():
    target = app_percent_to_kwh(80, CAP)
    _, plan = run(
        rule("{}", "{reach: {percent: 80, by: '20:00'}}"),
        state=State(soe_kwh=3.0, app_percent=18.1),
    )
    assert plan.soe_kwh[slots(12, 20)[-1]] >= target - 1e-6


def test_hard_floor_without_grid_charging_is_never_infeasible():
    """Solar below the load cannot lift the battery: the plan still exists and says so."""
    text = (
        "rules:\n  - name: floor\n    do: {min_reserve: {percent: 90, hard: true}}\n"
        "  - name: ban\n    do: {no_grid_charge: true}\n"
    )
    result, plan = run(text, state=State(soe_kwh=7.0, app_percent=49.3), solar_kw=np.full(24, 0.5))
    assert plan.discharge_kwh.sum() < 1e-6  # it holds what it has
    assert any("'floor'" in note and "cannot be met" in note for note in result.rules.shortfalls)


def test_max_soc_caps_stored_energy():
    cap = app_percent_to_kwh(50, CAP)
    _, plan = run(
        rule("{}", "{max_soc_percent: 50}"),
        state=State(soe_kwh=2.0, app_percent=10.3),
        import_price=np.full(24, 1.0),  # so cheap that filling up would pay
    )
    assert plan.soe_kwh.max() <= cap + 1e-6
    _, free = run(state=State(soe_kwh=2.0, app_percent=10.3), import_price=np.full(24, 1.0))
    assert free.soe_kwh.max() > cap + 1


def test_no_export_battery_and_all():
    sunny = {"solar_kw": np.full(24, 3.0), "export_price": np.full(24, 40.0)}
    _, free = run(**sunny)
    assert free.export_kwh.sum() > free.solar_kwh.sum() - free.load_kwh.sum()  # battery exports
    _, battery = run(rule("{}", "{no_export: battery}"), **sunny)
    surplus = battery.solar_kwh - battery.load_kwh
    assert np.all(battery.export_kwh <= np.maximum(surplus, 0) + 1e-6)
    _, none = run(rule("{}", "{no_export: all}"), **sunny)
    assert np.allclose(none.export_kwh, 0)


def test_no_grid_charge():
    cheap = {"import_price": np.r_[np.full(12, 5.0), np.full(12, 50.0)]}
    low = State(soe_kwh=3.0, app_percent=18.1)
    _, free = run(state=low, **cheap)
    assert free.charge_from_grid_kwh[:12].sum() > 3
    _, banned = run(rule("{time: '12:00-18:00'}", "{no_grid_charge: true}"), state=low, **cheap)
    assert np.allclose(banned.charge_from_grid_kwh[:12], 0)


def test_force_backup_fills_holds_and_reaches_control():
    result, plan = run(
        rule("{time: '14:00-24:00'}", "{force_mode: backup}"),
        state=State(soe_kwh=6.0, app_percent=41.5),
    )
    forced = slots(14, 24)
    assert np.allclose(plan.discharge_kwh[forced], 0)
    assert plan.soe_kwh[-1] > CAP - 0.1
    assert result.force_mode[forced[0]] is ForceMode.BACKUP and result.force_mode[0] is None


def test_extra_load_and_scale_load_change_the_forecast_not_the_bill_of_the_rules():
    result, plan = run(rule("{time: '18:00-20:00'}", "{extra_load: {kw: 7}}"))
    ev = slots(18, 20)
    assert np.allclose(plan.load_kwh[ev], (0.6 + 7) * 0.5)
    assert result.rules.without_rules_gbp == pytest.approx(plan.cost_gbp, abs=1e-6)
    _, half = run(rule("{}", "{scale_load: 0.5}"))
    assert np.allclose(half.load_kwh, 0.15)


def test_export_bonus_makes_a_saving_session_worth_exporting():
    _, plan = run(rule("{time: '17:00-18:00'}", "{export_bonus_p_per_kwh: 200}"))
    session = slots(17, 18)
    assert np.allclose(plan.export_price[session], 205)
    assert plan.export_kwh[session].sum() > 3


def test_rules_cost_is_reported():
    result, plan = run(rule("{}", "{min_reserve: {percent: 100, hard: true}}"))
    doc = result.to_json_dict()["rules"]
    assert doc["rules_cost_gbp"] == pytest.approx(
        plan.cost_gbp - doc["without_rules_gbp"], abs=1e-3
    )
    assert doc["rules_cost_gbp"] > 0.5
    assert len(doc["fired"]["r"]) == 24


# --- conditions: each one decides where a hold applies -------------------------------------

CONDITIONS = [
    ("{time: '22:00-02:00'}", slots(22, 24)),  # crosses midnight; the grid ends at 24:00
    ("{days: [mon]}", list(range(24))),
    ("{days: [tue, sun]}", []),
    ("{dates: [2026-12-07]}", list(range(24))),
    ("{between: {from: 2026-12-08, to: 2026-12-31}}", []),
    ("{context: storm_warning}", list(range(24))),
    ("{context: {holiday: true}}", []),
    ("{price: {import: {above: 40}}}", slots(16, 19)),
    ("{forecast: {load_today_kwh: {above: 5}}}", list(range(24))),
    ("{soc_percent: {below: 50}}", []),
    ("{grid: up}", list(range(24))),
    ("{grid: down}", []),
]


@pytest.mark.parametrize(("when", "expected"), CONDITIONS)
def test_condition_decides_where_the_rule_acts(when, expected):
    prices = np.full(24, 30.0)
    prices[slots(16, 19)] = 45.0
    result, plan = run(
        rule(when, "{hold: true}"), import_price=prices, context={"storm_warning": True}
    )
    assert list(result.rules.effects.fired["r"]) == expected
    if expected:
        assert np.allclose(plan.discharge_kwh[expected], 0)
    free = [t for t in range(24) if t not in expected]
    assert np.all(plan.discharge_kwh[free] > 0.25)


def test_context_expiry_ends_the_rule_mid_horizon():
    req = request(rule("{context: storm_warning}", "{hold: true}"))
    from dataclasses import replace

    req = replace(
        req,
        context={"storm_warning": True},
        context_expires={"storm_warning": NOW + timedelta(hours=3)},
    )
    result = plan_cycle(req, CONFIG)
    assert list(result.rules.effects.fired["r"]) == list(range(6))
    assert np.allclose(result.outcome.plan.discharge_kwh[:6], 0)
