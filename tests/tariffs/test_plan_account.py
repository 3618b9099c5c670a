"""``wattplan plan`` on a recorded Octopus account: every slot priced by the agreement in force
and the live rates, and said so; with Octopus gone, priced from the cache, and said so."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from optimiser.cli import main
from tests.tariffs.octopus_server import (
    ACCOUNT,
    API_KEY,
    FLUX_2025,
    LONDON,
    OctopusServer,
    Z,
    agile_price,
    agile_rows,
    flux_rows,
    switching_account,
)


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), LONDON).astimezone(UTC)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("WATTPLAN_CONFIG", raising=False)
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def test_plan_follows_the_account_live_then_from_the_cache(home, capsys):
    today = datetime.now(LONDON).date()
    switch = midnight(today + timedelta(days=1))  # Agile today, Flux from tomorrow
    halves = int((switch - midnight(today)).total_seconds() // 1800)
    with OctopusServer() as server:
        rows = agile_rows(midnight(today), halves)
        rates = server.data["rates"]
        rates["E-1R-AGILE-24-10-01-E"]["standard-unit-rates"] = rows
        rates["E-1R-AGILE-OUTGOING-19-05-13-E"]["standard-unit-rates"] = [
            dict(r, value_inc_vat=r["value_inc_vat"] / 2) for r in rows
        ]
        for code, offset in (("IMPORT", 0), ("EXPORT", -11)):
            rates[f"E-1R-FLUX-{code}-23-02-14-E"]["standard-unit-rates"] = [
                dict(r, value_inc_vat=round(r["value_inc_vat"] + offset, 6))
                for r in flux_rows(today - timedelta(days=1), 4, FLUX_2025)
            ]
        server.accounts[ACCOUNT] = {
            "key": API_KEY,
            "payload": switching_account(switch.strftime(Z)),
        }
        config = home / "config.yaml"
        config.write_text(f"tariff:\n  source: account\n  octopus_base_url: {server.url}\n")
        key = home / "key.txt"
        key.write_text(API_KEY)
        login = ["octopus", "login", "--account", ACCOUNT, "--key-file", str(key)]
        assert main(["--config", str(config), *login]) == 0
        capsys.readouterr()
        assert main(["--config", str(config), "plan", "--json"]) == 0
        live = json.loads(capsys.readouterr().out)
    assert live["prices"]["estimated_slots"] == 0
    assert f"account {ACCOUNT}" in live["prices"]["source"]
    assert "live (fetched" in live["prices"]["source"]
    for slot in live["slots"]:
        start = datetime.fromisoformat(slot["start"])
        if start < switch:
            index = int((start - midnight(today)).total_seconds() // 1800)
            assert slot["import_price"] == pytest.approx(agile_price(index), abs=1e-3)
            assert slot["export_price"] == pytest.approx(agile_price(index) / 2, abs=1e-3)
        else:
            hour = start.astimezone(LONDON).hour
            band = "night" if 2 <= hour < 5 else "peak" if 16 <= hour < 19 else "day"
            assert slot["import_price"] == pytest.approx(FLUX_2025[band], abs=1e-3)
            assert slot["export_price"] == pytest.approx(FLUX_2025[band] - 11, abs=1e-3)

    # Octopus is gone (the server has stopped): the cache prices the same slots, and says so.
    assert main(["--config", str(config), "plan"]) == 0
    out = capsys.readouterr().out
    assert "prices: account A-1234ABCD as saved" in out and "cache (fetched" in out
    assert "ESTIMATED" not in out  # no slot priced with an estimate, none said to be
