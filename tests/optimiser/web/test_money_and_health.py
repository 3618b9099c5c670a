"""Money from recorded samples and the tariff; the Health page's checks from files."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from optimiser.config import Config
from optimiser.domain.slots import SlotGrid
from optimiser.recorder import Gap, Sample
from optimiser.web.health import Seen, checks, jwt_claims
from optimiser.web.money import Periods, money_view
from tariffs import get_tariff

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 1, 15, 18, 0, tzinfo=UTC)  # a Wednesday


def test_periods_start_at_local_midnight_monday_and_the_first():
    summer = datetime(2025, 7, 2, 12, 0, tzinfo=UTC)
    periods = Periods.at(summer, LONDON)
    assert periods.today == datetime(2025, 7, 2, tzinfo=LONDON)
    assert periods.week == datetime(2025, 6, 30, tzinfo=LONDON)  # reaches into June
    assert periods.month == datetime(2025, 7, 1, tzinfo=LONDON)
    assert periods.today.astimezone(UTC).hour == 23  # BST


def house(hours: float, grid_kw: float, load_kw: float, solar_kw: float) -> list[Sample]:
    start = NOW - timedelta(hours=hours)
    return [
        Sample(
            time=start + timedelta(minutes=5 * i),
            load_kw=load_kw,
            solar_kw=solar_kw,
            site_kw=grid_kw,
            battery_kw=load_kw - solar_kw - grid_kw,
            soe_kwh=6.0,
            capacity_kwh=13.5,
        )
        for i in range(int(hours * 12))
    ]


def test_money_prices_the_recorded_grid_against_no_battery():
    config = Config()
    tariff = get_tariff("flux", "C")
    # Two hours (16:00–18:00 UTC, the Flux peak): the battery covers a 1 kW house.
    doc = money_view(house(2, 0.0, 1.0, 0.0), tariff, config, NOW, None)
    today = doc["periods"][0]
    assert today["period"] == "today"
    assert today["actual_gbp"] == 0.0
    assert today["hours_recorded"] == pytest.approx(2.0)
    peak = tariff.prices(SlotGrid(datetime(2025, 1, 15, 16, tzinfo=UTC), 30, 4)).import_price
    assert today["no_battery_gbp"] == pytest.approx(sum(peak) * 0.5 / 100, abs=0.01)
    assert today["saving_gbp"] == today["no_battery_gbp"]
    # Self-powered from 6 kWh covers the same two hours: it also pays nothing.
    assert today["self_powered_gbp"] == pytest.approx(0.0, abs=0.01)
    assert [d["day"] for d in doc["days"]] == ["2025-01-15"]
    assert money_view([], tariff, config, NOW, None)["periods"] == []


def token(claims: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{body}.sig"


def test_jwt_claims_are_read_without_verifying():
    assert jwt_claims(token({"exp": 1700000000, "scp": ["energy_cmds"]}))["exp"] == 1700000000
    assert jwt_claims("not-a-jwt") is None
    assert jwt_claims("a.!!!.c") is None


def seen(**changes) -> Seen:
    values = {
        "live": True,
        "now": NOW,
        "last_reading": NOW - timedelta(seconds=30),
        "gateway_up": True,
        "grid_status": "SystemGridConnected",
        "plan_made_at": NOW - timedelta(minutes=5),
        "plan_status": "optimal",
    }
    return Seen(**(values | changes))


def by_name(found) -> dict:
    return {c.name: c for c in found}


def test_health_flags_a_silent_gateway_a_power_cut_an_old_plan_and_gaps(tmp_path):
    config = Config(state_dir=tmp_path, recorder={"database": tmp_path / "rec.sqlite"})
    ok = by_name(checks(config, seen(), gaps=[], samples=10))
    assert ok["gateway"].ok and ok["grid"].ok and ok["last plan"].ok and ok["recorder"].ok
    assert ok["backend"].ok is None  # dry-run: nothing to check
    bad = by_name(
        checks(
            config,
            seen(
                last_reading=NOW - timedelta(minutes=10),
                grid_status="SystemIslandedActive",
                plan_made_at=NOW - timedelta(hours=4),
            ),
            gaps=[
                Gap(NOW - timedelta(hours=3), NOW - timedelta(hours=1), "GatewayUnreachable", "")
            ],
            samples=10,
        )
    )
    assert bad["gateway"].ok is False and "10 min ago" in bad["gateway"].detail
    assert bad["grid"].ok is False and "POWER CUT" in bad["grid"].detail
    assert bad["last plan"].ok is False
    assert bad["recorder"].ok is False and "1 gap(s)" in bad["recorder"].detail


def test_health_reads_the_fleet_tokens_expiry_and_the_budget(tmp_path):
    token_file = tmp_path / "fleet.json"
    expiry = NOW + timedelta(days=2)
    token_file.write_text(json.dumps({"access_token": token({"exp": expiry.timestamp()})}))
    config = Config(
        state_dir=tmp_path,
        control={"backend": "fleet", "fleet": {"token_file": token_file}},
    )
    found = by_name(checks(config, seen(), gaps=None, samples=0))
    assert found["fleet token"].ok is False  # two days left and no client id to refresh it
    assert "expires in 2.0 days" in found["fleet token"].detail
    assert found["command budget"].ok is True
    assert (
        "2 of 5 commands left today (0 used, 3 kept for safety; documented limits)"
        in found["command budget"].detail
    )
    assert found["recorder"].ok is None


def test_health_says_how_the_mqtt_link_stands(tmp_path):
    plain = Config(state_dir=tmp_path)
    assert by_name(checks(plain, seen(), gaps=None, samples=0))["mqtt"].detail == "not configured"
    config = Config(state_dir=tmp_path, mqtt={"host": "broker.lan", "port": 1883})
    link = {"broker": "broker.lan:1883", "connected": True, "connects": 2, "refused": None}
    up = by_name(checks(config, seen(mqtt=link), gaps=None, samples=0))["mqtt"]
    assert up.ok is True and up.detail == "connected to broker broker.lan:1883 (reconnected 1×)"
    down = by_name(checks(config, seen(mqtt=link | {"connected": False}), gaps=None, samples=0))[
        "mqtt"
    ]
    assert down.ok is False and "not connected to broker broker.lan:1883" in down.detail
    assert "control go on" in down.hint
    journal = by_name(checks(config, seen(live=False, mqtt=link), gaps=None, samples=0))["mqtt"]
    assert journal.ok is None and "connected when `wattplan run` last wrote" in journal.detail
    never = by_name(checks(config, seen(live=False), gaps=None, samples=0))["mqtt"]
    assert never.ok is None and "not connected yet" in never.detail
