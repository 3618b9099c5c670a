"""The JSON API and /metrics over a running service: schema, units, bad parameters → 400."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from optimiser.web.views import parse_iso

STATE_KEYS = {
    "time",
    "load_kw",
    "solar_kw",
    "battery_kw",
    "grid_kw",
    "soe_kwh",
    "capacity_kwh",
    "soc_percent",
    "reserve_percent",
    "grid_status",
    "grid_up",
    "mode",
}


def test_state_is_the_last_reading_in_kw_kwh_and_app_percent(served):
    served.run(60)
    doc = served.get("api/state").json()
    reading = served.view.take().state
    state = doc["state"]
    assert set(state) == STATE_KEYS
    assert parse_iso(state["time"]) == reading.time
    assert state["load_kw"] == pytest.approx(reading.load_kw, abs=1e-3)
    assert state["battery_kw"] == pytest.approx(reading.battery_kw, abs=1e-3)
    assert state["grid_kw"] == pytest.approx(reading.site_kw, abs=1e-3)
    assert state["soe_kwh"] == pytest.approx(reading.soe_kwh, abs=1e-3)
    assert state["soc_percent"] == pytest.approx(reading.app_percent, abs=0.05)
    assert state["reserve_percent"] == pytest.approx(20.0, abs=0.05)  # app scale, not raw 24
    assert state["grid_up"] is True
    assert doc["live"] is True and doc["gateway_up"] is True
    assert doc["action"]["action"] in {
        "charge_from_grid",
        "charge_from_solar",
        "hold",
        "self_power",
        "export",
        "idle",
    }
    assert doc["action"]["why"]
    assert doc["device"]["target"]["backup_reserve_app_percent"] >= 20.0
    change = doc["next_change"]
    assert change is None or parse_iso(change["time"]) > served.house.clock.now()


def test_plan_is_the_plan_json_with_one_row_per_slot(served):
    served.run(30)
    plan = served.get("api/plan").json()["plan"]
    latest = served.service.current_plan.outcome.plan
    assert len(plan["slots"]) == latest.grid.count
    assert parse_iso(plan["made_at"]) == served.service.plans[-1].made_at
    assert plan["capacity_kwh"] == pytest.approx(13.5)
    assert set(plan["costs"]) >= {"plan_gbp", "no_battery_gbp", "self_powered_gbp"}
    for slot in plan["slots"]:
        assert 0 <= slot["soe_kwh"] <= plan["capacity_kwh"] + 1e-6
        assert parse_iso(slot["end"]) > parse_iso(slot["start"])


def test_plan_vs_actual_covers_today_and_tomorrow(served):
    served.run(120)
    doc = served.get("api/plan-vs-actual").json()
    slots = doc["slots"]
    assert len(slots) == 96  # a winter day in London: 48 half hours, twice
    realised = [s for s in slots if s["actual_soe_kwh"] is not None]
    # 12:00 → 14:00 UTC recorded: four half hours (and the one the clock is in).
    assert 4 <= len(realised) <= 5
    assert all(s["planned_battery_kwh"] is not None for s in realised)
    assert all(s["import_price"] > 0 for s in slots)


def test_history_is_downsampled_with_units(served):
    served.run(120)
    now = served.house.clock.now()
    doc = served.get(
        "api/history",
        params={"from": (now - timedelta(hours=2)).isoformat(), "to": now.isoformat(), "points": 8},
    ).json()
    series = doc["series"]
    assert doc["samples"] == 24  # every 5 min for two hours
    assert 1 <= len(series["time"]) <= 8
    assert {len(v) for v in series.values()} == {len(series["time"])}
    assert doc["units"]["grid_kw"].startswith("kW")
    assert all(0 <= v <= 13.5 for v in series["soe_kwh"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("from=2025-01-15T10:00:00", "from"),  # no UTC offset
        ("to=2025-13-01T00:00:00Z", "to"),
        ("from=2025-01-15T12:00:00Z&to=2025-01-15T11:00:00Z", "from"),
        ("from=2024-11-01T00:00:00Z&to=2025-01-15T00:00:00Z", "from"),  # more than 31 days
        ("points=1", "points"),
        ("points=many", "points"),
        ("points=99999", "points"),
    ],
)
def test_bad_history_parameters_are_400_naming_the_field(served, query, field):
    response = served.get(f"api/history?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["field"] == field
    assert field in body["error"]


def test_an_unencoded_plus_offset_is_understood(served):
    served.run(10)
    response = served.get("api/history?from=2025-01-15T13:00:00+01:00&to=2025-01-15T13:10:00+01:00")
    assert response.status_code == 200
    assert response.json()["from"] == "2025-01-15T13:00:00+01:00"


def test_decisions_newest_first_and_limit_checked(served):
    served.run(90)
    doc = served.get("api/decisions", params={"limit": 2}).json()
    assert len(doc["decisions"]) == 2
    first, second = doc["decisions"]
    assert parse_iso(first["time"]) >= parse_iso(second["time"])
    assert first["line"].startswith("decision ")
    assert first["readback"]
    bad = served.get("api/decisions", params={"limit": 0})
    assert bad.status_code == 400 and bad.json()["field"] == "limit"


def test_every_decision_says_the_commands_left_today(served):
    served.run(90)
    budget = served.service.budget
    now = served.house.clock.now()
    decisions = served.get("api/decisions").json()["decisions"]
    assert decisions and all(isinstance(d["commands_left_today"], int) for d in decisions)
    newest = decisions[0]
    assert newest["commands_left_today"] == budget.remaining(now)
    assert newest["commands_used_today"] == budget.used(now)
    page = served.get("decisions").text
    assert "<th>Budget left</th>" in page
    assert f'<td class="budget-left">{budget.remaining(now)}</td>' in page
    now_page = served.get("").text
    assert f"{budget.remaining(now)} commands left today" in now_page
    health = {c["name"]: c for c in served.get("api/health").json()["checks"]}
    assert health["command budget"]["ok"] is True
    assert (
        f"{budget.remaining(now)} of {budget.per_day} commands left today"
        in (health["command budget"]["detail"])
    )


def test_money_and_health_documents(served):
    served.run(120)
    money = served.get("api/money").json()
    assert [p["period"] for p in money["periods"]] == ["today", "this week", "this month"]
    today = money["periods"][0]
    assert today["hours_recorded"] == pytest.approx(2.0, abs=0.5)
    assert today["saving_gbp"] == pytest.approx(
        today["no_battery_gbp"] - today["actual_gbp"], abs=0.011
    )
    assert money["tomorrow"]["hours_planned"] == 24
    health = served.get("api/health").json()
    names = [c["name"] for c in health["checks"]]
    assert names[:4] == ["gateway", "grid", "certificate", "backend"]
    assert "recorder" in names and "last plan" in names
    assert health["ok"] is True


def test_metrics_are_prometheus_text_in_base_units_with_a_site_label(served):
    served.run(30)
    reading = served.view.take().state
    response = served.get("metrics")
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert families and all(name.startswith("wattplan_") for name in families)
    for family in families.values():
        for sample in family.samples:
            assert sample.labels["site"] == "test"
    value = {name: f.samples[0].value for name, f in families.items()}
    assert value["wattplan_load_watts"] == pytest.approx(reading.load_kw * 1000, abs=1)
    assert value["wattplan_battery_stored_energy_joules"] == pytest.approx(
        reading.soe_kwh * 3.6e6, rel=1e-3
    )
    assert 0 <= value["wattplan_battery_charge_ratio"] <= 1
    assert value["wattplan_grid_up"] == 1
    assert value["wattplan_polls"] == served.view.take().polls


def test_unknown_paths_and_methods_answer_json(served):
    missing = served.get("api/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"].startswith("not found")
    wrong = served.post("api/state")
    assert wrong.status_code == 405
    assert "error" in wrong.json()


def test_the_openapi_description_lists_the_api(served):
    paths = served.get("api/openapi.json").json()["paths"]
    for path in ("/api/state", "/api/plan", "/api/history", "/api/decisions", "/api/health"):
        assert path in paths
    assert {p["name"] for p in paths["/api/history"]["get"]["parameters"]} == {
        "from",
        "to",
        "points",
    }
