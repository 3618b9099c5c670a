"""``wattplan tariffs …`` end to end (offline snapshot and a loopback Octopus server)."""

from __future__ import annotations

import json
import socket

import pytest

from optimiser.cli import main
from tests.tariffs.octopus_server import OctopusServer


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))

    def write(base_url: str = "https://api.octopus.energy", offline: bool = True):
        path = tmp_path / "config.yaml"
        path.write_text(
            f"tariff:\n  region: E\n  offline: {str(offline).lower()}\n"
            f"  octopus_base_url: {base_url}\n",
            encoding="utf-8",
        )
        return str(path)

    return write


def test_list_names_products_and_snapshot(capsys):
    assert main(["tariffs", "list"]) == 0
    out = capsys.readouterr().out
    assert "octopus-snapshot-2025-03-01.json" in out and "agile" in out and "intelligent-go" in out


def test_show_json_has_local_and_utc_times_and_estimate_flags(capsys, config):
    assert (
        main(["--config", config(), "tariffs", "show", "flux", "--date", "2023-03-27", "--json"])
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["region"] == "E" and len(doc["slots"]) == 48
    assert "snapshot" in doc["source"] and "2025-03-01" in doc["source"]
    night = [s for s in doc["slots"] if s["import_price"] == 20.236]
    assert night[0]["start_utc"] == "2023-03-27T01:00:00Z"
    assert night[0]["start_local"] == "2023-03-27T02:00:00+01:00"
    assert doc["estimated"] is False


def test_show_table_marks_estimates_on_a_clock_change_day(capsys, config):
    args = [
        "--config",
        config(),
        "tariffs",
        "show",
        "agile",
        "--region",
        "K",
        "--date",
        "2025-10-26",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "(50 slots of 30 min)" in out and "ESTIMATED" in out
    assert (
        "01:00 BST" in out
        and "01:00 GMT" in out
        and sum(line.endswith(" *") for line in out.splitlines()) == 50
    )


def test_user_mistakes_exit_2(capsys, config):
    assert main(["--config", config(), "tariffs", "show", "fluxx"]) == 2
    assert "unknown product 'fluxx'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # a usage error, refused while parsing
        main(["--config", config(), "tariffs", "show", "flux", "--region", "O"])
    assert info.value.code == 2
    assert "expected a region letter A…P" in capsys.readouterr().err


def test_fetch_and_region_against_a_local_octopus(capsys, config):
    with OctopusServer() as server:
        cfg = config(server.url)
        assert main(["--config", cfg, "tariffs", "fetch", "outgoing", "--region", "E"]) == 0
        out = capsys.readouterr().out
        assert "E-1R-VAR-22-11-01-E" in out and "E-1R-OUTGOING-VAR-24-10-26-E" in out
        assert "known until: open-ended" in out
        assert main(["--config", cfg, "tariffs", "region", "CF10 1AA"]) == 0
        assert "region K (South Wales)" in capsys.readouterr().out
        assert main(["--config", cfg, "tariffs", "region", "ZZ1 1ZZ"]) == 2


def test_fetch_offline_is_a_temporary_error(capsys, config):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = config(f"http://127.0.0.1:{port}")
    assert main(["--config", cfg, "tariffs", "fetch", "flux"]) == 3
    err = capsys.readouterr().err
    assert "cannot connect" in err and "hint" in err


def test_tesla_command_prints_content_and_report(capsys, config):
    args = ["--config", config(), "tariffs", "tesla", "flux", "--date", "2025-07-01", "--doctor"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    summer = doc["tariff_content_v2"]["sell_tariff"]["energy_charges"]["Summer"]["rates"]
    buy = doc["tariff_content_v2"]["energy_charges"]["Summer"]["rates"]
    assert summer["ON_PEAK"] == buy["ON_PEAK"]
    assert any("doctored" in line for line in doc["report"])


def test_show_says_when_the_standing_charge_is_an_estimate(capsys):
    from optimiser.cli import main

    assert main(["tariffs", "show", "flux", "--region", "E", "--date", "2023-03-27", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["estimated"] is False  # the published 2023 unit rates
    assert doc["standing_charge_estimated"] is True  # the snapshot's standing charge is not
