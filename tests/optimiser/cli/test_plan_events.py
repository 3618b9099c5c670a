"""``wattplan plan`` with events: a saving session changes the plan for its hour (the battery
covers the house), and says which slots and why; on Intelligent Octopus a dispatch under way is
cheap for the house and holds the battery (the example rules), a planned one is not cheap."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from optimiser.cli import main
from optimiser.domain.slots import LONDON
from tests.optimiser.cli.conftest import ROOT, write_config


def local(day_offset: int, hour: int, minute: int = 0) -> datetime:
    today = datetime.now(LONDON).date() + timedelta(days=day_offset)
    return datetime.combine(today, datetime.min.time(), LONDON).replace(hour=hour, minute=minute)


def z(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan(capsys, config, *extra: str) -> dict:
    assert main(["--config", str(config), "plan", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def slots_in(document: dict, start: datetime, end: datetime) -> list[dict]:
    return [s for s in document["slots"] if start <= datetime.fromisoformat(s["start"]) < end]


def test_a_saving_session_makes_the_battery_cover_the_house_for_its_hour(env, capsys):
    config = write_config(env, "tariff:\n  product: flux\n  offline: true\n")
    start, end = local(1, 17, 30), local(1, 18, 30)
    events = env / "events.yaml"
    events.write_text(
        "version: 1\nevents:\n"
        f"  - {{kind: saving_session, start: {z(start)}, end: {z(end)}, price: 300, code: S1}}\n"
    )
    with_session = plan(capsys, config, "--events", str(events))
    session = slots_in(with_session, start, end)
    assert len(session) == 2
    for slot in session:
        assert slot["import_kwh"] == pytest.approx(0, abs=1e-6)
        assert slot["discharge_kwh"] >= slot["load_kwh"] - slot["solar_kwh"] - 1e-6
    [event] = with_session["events"]["events"]
    assert event["code"] == "S1" and "modelled as import price +300 p/kWh" in event["why"]
    assert [s["start"] for s in event["slots"]] == [s["start"] for s in session]
    for priced, slot in zip(event["slots"], session, strict=True):
        assert priced["import_after_p"] == pytest.approx(priced["import_before_p"] + 300)
        assert slot["import_price"] == pytest.approx(priced["import_after_p"], abs=1e-3)
    assert "saving session" in with_session["prices"]["source"]

    assert main(["--config", str(config), "plan", "--events", str(events)]) == 0
    printed = capsys.readouterr().out
    assert "events:" in printed and "saving session S1" in printed


def test_intelligent_dispatches_cheap_when_under_way_and_the_car_holds_the_battery(env, capsys):
    config = write_config(env, "tariff:\n  product: intelligent-go\n  offline: true\n")
    now = datetime.now(UTC)
    slot_start = now.replace(minute=now.minute // 30 * 30, second=0, microsecond=0)
    under_way = (slot_start, slot_start + timedelta(minutes=70))  # began with this slot
    planned = (local(1, 13), local(1, 14))  # tomorrow afternoon: may yet be cancelled
    events = env / "events.yaml"
    events.write_text(
        "version: 1\ndispatches:\n"
        f"  - {{start: {z(under_way[0])}, end: {z(under_way[1])}, status: planned}}\n"
        f"  - {{start: {z(planned[0])}, end: {z(planned[1])}, status: planned}}\n"
    )
    rules = str(ROOT / "examples" / "rules.yaml")
    document = plan(capsys, config, "--events", str(events), "--rules", rules)
    [dispatch] = document["events"]["events"]
    assert dispatch["kind"] == "dispatch" and "whole house" in dispatch["why"]
    first = document["slots"][0]
    assert first["import_price"] == pytest.approx(7.0)  # the dispatch rate, for the house
    for slot in slots_in(document, *planned):
        assert slot["import_price"] > 7.0  # planned only: not cheap
    held = [
        datetime.fromisoformat(t)
        for t in document["rules"]["fired"]["EV charging holds the battery"]
    ]
    assert held and held[0] <= datetime.fromisoformat(first["start"]) < held[0] + timedelta(
        minutes=30
    )
    assert held[-1] < under_way[1] <= held[-1] + timedelta(minutes=30)  # until the dispatch ends
    for slot in slots_in(document, datetime.min.replace(tzinfo=UTC), under_way[1]):
        assert slot["discharge_kwh"] == pytest.approx(0, abs=1e-6)
