"""The pure payload builders: units and signs, the plan cut to Home Assistant's 16 kB, the
decision in words and fields, repeated events dropped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from optimiser.config import Config
from optimiser.domain.device import OperationMode
from optimiser.gateway.models import SiteState
from optimiser.mqtt.payloads import (
    PLAN_MAX_BYTES,
    EventFilter,
    decision_payload,
    encode,
    plan_payload,
    rules_firing,
    state_payload,
)
from optimiser.planning import PlanRequest, horizon, plan_cycle
from optimiser.service import HomeInputs, ManualMode, ModeOverride
from optimiser.service.records import CommandCount, DecisionRecord
from rules.schema import RulesFile

NOW = datetime(2025, 1, 15, 12, 10, tzinfo=UTC)


def site(**over) -> SiteState:
    values = dict(
        time=NOW,
        capacity_kwh=13.5,
        soe_kwh=6.75,
        soc_percent=52.5,
        max_charge_kw=5.0,
        max_discharge_kw=5.0,
        mode=OperationMode.SELF_CONSUMPTION,
        backup_reserve_percent=24.0,
        grid_status="SystemGridConnected",
        grid_up=True,
        load_kw=1.2345,
        solar_kw=0.5,
        battery_kw=-0.25,
        site_kw=0.9846,
        battery_charged_kwh=100.0,
        battery_discharged_kwh=90.0,
        site_imported_kwh=5000.0,
        site_exported_kwh=3000.0,
        solar_exported_kwh=9000.0,
        load_imported_kwh=11000.0,
    )
    return SiteState(**{**values, **over})


def planned(minutes: int = 30, rules: RulesFile | None = None, context=None):
    config = Config(planner={"slot_minutes": minutes})
    grid = horizon(NOW, minutes, ZoneInfo(config.site.timezone))
    n = grid.count
    t = np.arange(n)
    price = np.where((t // (120 // minutes)) % 3 == 0, 30.0, 12.0)
    request = PlanRequest(
        now=NOW,
        grid=grid,
        state=site(),
        import_price=price,
        export_price=price / 2,
        load_kw=np.full(n, 0.8),
        solar_kw=np.zeros(n),
        rules=rules,
        context=context or {},
    )
    return plan_cycle(request, config, cost_rules=False)


def test_state_in_home_assistant_units_and_signs():
    result = planned()
    home, _ = HomeInputs().taking([ModeOverride(ManualMode.HOLD, timedelta(minutes=30))], NOW)
    state = state_payload(
        site(), NOW, plan=result, decision=None, home=home, commands=CommandCount(4, 13)
    )
    assert state["grid_power_w"] == 985 and state["battery_power_w"] == -250
    assert state["load_power_w"] == 1234 and state["solar_power_w"] == 500
    assert state["battery_percent"] == round((52.5 - 5) / 0.95, 1)  # the app's scale
    assert state["backup_reserve_percent"] == 20.0
    assert state["stored_energy_kwh"] == 6.75
    assert state["import_price_p_per_kwh"] == float(result.request.import_price[0])
    assert state["import_price_gbp_per_kwh"] == round(state["import_price_p_per_kwh"] / 100, 4)
    assert (state["commands_used_today"], state["commands_left_today"]) == (4, 13)
    assert state["action"] == "safe" and state["held"] is True  # held by the home's override
    assert state["override"]["mode"] == "hold"
    assert state["energy"]["grid_imported_kwh"] == 5000.0
    json.dumps(state)  # plain JSON


def test_a_long_plan_is_cut_to_fit_home_assistant_never_the_json():
    result = planned(minutes=5)  # to the end of tomorrow in 5-minute slots
    document = plan_payload(result, NOW)
    data = encode(document)
    assert len(data) <= PLAN_MAX_BYTES
    assert json.loads(data) == document
    assert 0 < document["slots_shown"] < document["slots_total"] == result.request.grid.count
    first = document["slots"][0]
    assert first["start"] == result.request.grid.start.isoformat()
    assert set(first) == {
        "start",
        "import_p",
        "export_p",
        "load_kwh",
        "solar_kwh",
        "grid_kwh",
        "battery_kwh",
        "action",
        "soe_kwh",
    }
    # One more slot would not have fitted.
    more = {**document, "slots_shown": document["slots_shown"] + 1}
    more["slots"] = plan_payload(result, NOW, max_bytes=10**9)["slots"][: more["slots_shown"]]
    assert len(encode(more)) > PLAN_MAX_BYTES


def test_a_half_hour_plan_fits_whole_with_its_costs():
    result = planned()
    document = plan_payload(result, NOW)
    assert document["slots_shown"] == document["slots_total"] == result.request.grid.count
    plan = result.outcome.plan
    assert document["plan_gbp"] == round(plan.cost_gbp, 2)
    assert document["saving_vs_no_battery_gbp"] == round(result.no_battery_gbp - plan.cost_gbp, 2)
    slot = document["slots"][0]
    assert slot["grid_kwh"] == round(float(plan.import_kwh[0] - plan.export_kwh[0]), 3)


def test_rules_firing_now():
    rules = RulesFile.model_validate(
        {"rules": [{"name": "storm", "when": {"context": {"storm": True}}, "do": {"hold": True}}]}
    )
    assert rules_firing(planned(rules=rules, context={"storm": True}), NOW) == ("storm",)
    assert rules_firing(planned(rules=rules, context={"storm": False}), NOW) == ()
    document = plan_payload(planned(rules=rules, context={"storm": True}), NOW)
    assert document["rules_now"] == ["storm"]


def test_a_decision_that_applied_nothing_says_why():
    record = DecisionRecord(NOW, "slot", None, error="gateway lost for 300 s")
    document = decision_payload(record)
    assert document["action"] == "safe" and document["error"] == "gateway lost for 300 s"
    assert "nothing applied" in document["summary"]
    assert len(document["short"]) <= 250


@pytest.mark.parametrize("gap", [timedelta(minutes=59), timedelta(minutes=60)])
def test_repeated_events_are_dropped_within_the_window(gap):
    events = EventFilter(window=timedelta(hours=1))
    assert events.passes("budget_exhausted", NOW, "skipped: backup")
    assert not events.passes("budget_exhausted", NOW + timedelta(minutes=5), "skipped: backup")
    assert events.passes("budget_exhausted", NOW + timedelta(minutes=5), "skipped: operation")
    assert events.passes("budget_exhausted", NOW + gap, "skipped: backup") is (
        gap >= timedelta(hours=1)
    )
