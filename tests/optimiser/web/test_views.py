"""The pure documents behind the pages: what the battery does and why, the next change, rule
windows, downsampling and per-slot energies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from optimiser.domain.slots import SlotGrid
from optimiser.recorder import Sample
from optimiser.web.history import downsample, slot_energies
from optimiser.web.views import explain, next_change, now_view, rule_windows

T0 = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def slot(t: int, action: str, buy: float, sell: float = 5.0) -> dict:
    start = T0 + timedelta(minutes=30 * t)
    return {
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": (start + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
        "action": action,
        "import_price": buy,
        "export_price": sell,
    }


PLAN = {
    "slots": [
        slot(0, "charge_from_grid", 7.5),
        slot(1, "charge_from_grid", 7.5),
        slot(2, "hold", 24.0),
        slot(3, "export", 35.0, 28.0),
        slot(4, "self_power", 35.0),
    ],
    "rules": {
        "fired": {
            "storm": [slot(1, "", 0)["start"], slot(2, "", 0)["start"], slot(4, "", 0)["start"]]
        }
    },
}


def test_the_why_names_the_prices():
    assert explain(PLAN, 0) == (
        "Grid energy costs 7.5p/kWh now; it rises to 35.0p/kWh later, so the battery stores it now."
    )
    assert "keeps its charge for later, when it costs up to 35.0p/kWh" in explain(PLAN, 2)
    assert explain(PLAN, 3).startswith("Export pays 28.0p/kWh now")
    assert explain(PLAN, 4) == "The battery covers the house instead of buying at 35.0p/kWh."


def test_the_next_change_is_the_first_different_action():
    assert next_change(PLAN, 0) == {
        "time": PLAN["slots"][2]["start"],
        "action": "hold",
        "words": "Holding its charge",
    }
    assert next_change(PLAN, 4) is None


def test_rule_windows_join_adjacent_slots():
    assert rule_windows(PLAN) == [
        {"rule": "storm", "start": PLAN["slots"][1]["start"], "end": PLAN["slots"][2]["end"]},
        {"rule": "storm", "start": PLAN["slots"][4]["start"], "end": PLAN["slots"][4]["end"]},
    ]


def test_a_power_cut_replaces_the_plans_action():
    state = {"grid_up": False}
    doc = now_view(state, PLAN, (), T0 + timedelta(minutes=10))
    assert doc["action"]["action"] == "outage"
    assert "grid is down" in doc["action"]["why"]
    assert now_view(None, None, (), T0)["action"] is None


def samples(count: int, step_s: float, **values) -> list[Sample]:
    return [Sample(time=T0 + timedelta(seconds=i * step_s), **values) for i in range(count)]


def test_downsampling_averages_into_at_most_n_buckets():
    rows = samples(100, 60, load_kw=1.0, solar_kw=-0.01, site_kw=0.5, soe_kwh=5.0)
    doc = downsample(rows, 10)
    assert len(doc["time"]) == 10
    assert doc["load_kw"] == [1.0] * 10
    assert doc["solar_kw"] == [0.0] * 10  # night-time meter noise clipped
    assert doc["battery_kw"] == [None] * 10  # unknown stays unknown
    assert downsample([], 10)["time"] == []


def test_slot_energies_integrate_power_and_skip_long_silences():
    grid = SlotGrid(T0, 30, 3)
    rows = samples(6, 300, load_kw=1.2, site_kw=-2.0, battery_kw=0.6, soe_kwh=4.0)
    rows.append(Sample(time=T0 + timedelta(minutes=60), load_kw=1.0, site_kw=1.0, soe_kwh=3.0))
    energies = slot_energies(rows, grid)
    assert list(energies.covered) == [True, False, True]
    assert energies.load_kwh[0] == pytest.approx(1.2 * 0.5)
    assert energies.export_kwh[0] == pytest.approx(2.0 * 0.5)
    assert energies.import_kwh[0] == 0
    assert energies.battery_kwh[0] == pytest.approx(0.3)
    assert energies.soe_kwh[0] == 4.0
    # The last sample has no successor: it stands for no time.
    assert energies.load_kwh[2] == 0 and energies.soe_kwh[2] == 3.0
