"""The Octopus account: parser, login, and a tariff that follows the agreements over time."""

from __future__ import annotations

import copy
import io
import json
import stat
from datetime import UTC, date, datetime

import numpy as np
import pytest

from optimiser.cli import main
from optimiser.domain.slots import SlotGrid
from tariffs import (
    NotLoggedIn,
    OctopusAccess,
    OctopusAccountError,
    OctopusAuthError,
    OctopusProtocolError,
    get_account_tariff,
)
from tariffs.account import (
    normalise_account_number,
    parse_account,
    parse_tariff_code,
    saved_payload,
)
from tariffs.account_tariff import login
from tariffs.credentials import ApiKey, load_account, load_api_key
from tariffs.model import Direction
from tests.tariffs.octopus_server import (
    ACCOUNT,
    API_KEY,
    FLUX_2025,
    OctopusServer,
    agile_price,
    agile_rows,
    switching_account,
)

SWITCH = "2025-01-15T12:00:00Z"  # Agile → Flux, import and export
AGILE = "E-1R-AGILE-24-10-01-E"
FLUX = "E-1R-FLUX-IMPORT-23-02-14-E"
NOW = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def server():
    with OctopusServer() as srv:
        rows = agile_rows(utc(2025, 1, 14, 23), 96)  # 14th 23:00 → 16th 23:00
        srv.data["rates"][AGILE]["standard-unit-rates"] = rows
        srv.data["rates"]["E-1R-AGILE-OUTGOING-19-05-13-E"]["standard-unit-rates"] = [
            dict(r, value_inc_vat=r["value_inc_vat"] / 2) for r in rows
        ]
        srv.accounts[ACCOUNT] = {"key": API_KEY, "payload": switching_account(SWITCH)}
        yield srv


def access_for(server, tmp_path, now: datetime = NOW) -> OctopusAccess:
    return OctopusAccess(server.url, tmp_path / "state", now=lambda: now, sleep=lambda _: None)


# -- the parser ------------------------------------------------------------------------------


def test_the_current_property_gives_import_and_export_agreements_in_utc():
    account = parse_account(switching_account(SWITCH))
    assert account.number == ACCOUNT
    imports = account.meter_point(Direction.IMPORT)
    exports = account.meter_point(Direction.EXPORT)
    assert imports.mpan == "1200000000002" and exports.mpan == "1200000000003"
    assert [a.tariff_code for a in imports.agreements] == ["E-1R-VAR-22-11-01-E", AGILE, FLUX]
    assert imports.agreements[0].valid_from == utc(2021, 6, 30, 23)  # "+01:00" → UTC
    assert imports.agreements[-1].valid_to is None
    assert account.region(NOW) == "E"
    at_switch = [a for a in account.agreements if a.valid_from == utc(2025, 1, 15, 12)]
    assert [a.direction for a in at_switch] == [Direction.EXPORT, Direction.IMPORT]


def test_saved_payload_parses_to_the_same_account_without_the_address():
    payload = switching_account(SWITCH)
    saved = saved_payload(payload)
    assert parse_account(json.loads(json.dumps(saved))) == parse_account(payload)
    text = json.dumps(saved)
    assert "Solar Close" not in text and "WV1" not in text and "1100000000001" not in text


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("properties", 1, "electricity_meter_points", 0), "is_export"),
        (("properties", 1, "electricity_meter_points", 1, "agreements", 0), "tariff_code"),
        (("properties", 1, "electricity_meter_points", 1, "agreements", 0), "valid_to"),
        (("properties", 1), "moved_out_at"),
        ((), "properties"),
    ],
)
def test_a_missing_field_is_named(path, field):
    payload = copy.deepcopy(switching_account(SWITCH))
    node = payload
    for key in path:
        node = node[key]
    del node[field]
    with pytest.raises(OctopusProtocolError, match=f"expected field '{field}'"):
        parse_account(payload, "/v1/accounts/…/")


def test_accounts_wattplan_cannot_plan_on_are_refused_clearly():
    payload = switching_account(SWITCH)
    payload["properties"][1]["moved_out_at"] = "2025-01-01T00:00:00Z"
    with pytest.raises(OctopusAccountError, match="no current property"):
        parse_account(payload)
    payload = switching_account(SWITCH)
    points = payload["properties"][1]["electricity_meter_points"]
    points[0]["agreements"][0]["tariff_code"] = "E-2R-VAR-22-11-01-E"  # an old Economy 7
    assert parse_account(payload).region(NOW) == "E"  # history is fine…
    points[0]["agreements"][-1]["tariff_code"] = "E-2R-VAR-22-11-01-E"
    with pytest.raises(OctopusAccountError, match="2-register"):  # …pricing on it is not
        parse_tariff_code(
            parse_account(payload).agreements[-1].tariff_code
        ).require_single_register()
    payload = switching_account(SWITCH)
    points = payload["properties"][1]["electricity_meter_points"]
    points.append(dict(points[0], mpan="1200000000009"))
    with pytest.raises(OctopusAccountError, match="2 import meter points"):
        parse_account(payload)


def test_an_account_number_is_checked_and_never_echoed():
    assert normalise_account_number(" a-1234abcd ") == ACCOUNT
    with pytest.raises(OctopusAccountError) as info:
        normalise_account_number(API_KEY)
    assert "looks like an API key" in str(info.value) and API_KEY not in str(info.value)
    with pytest.raises(OctopusAccountError, match="like A-1234ABCD"):
        normalise_account_number("12345/../x")


# -- login and the key file --------------------------------------------------------------------


def test_login_stores_a_0600_key_and_the_account_only_when_the_key_works(server, tmp_path):
    access = access_for(server, tmp_path)
    with pytest.raises(OctopusAuthError, match="HTTP 401"):
        login(access, ACCOUNT, ApiKey("sk_live_wrong"))
    assert not (tmp_path / "state" / "octopus-api-key").exists()
    with pytest.raises(OctopusAuthError, match="no account A-9999ZZZZ"):
        login(access, "A-9999ZZZZ", ApiKey(API_KEY))
    saved = login(access, ACCOUNT, ApiKey(API_KEY))
    key_file = tmp_path / "state" / "octopus-api-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == API_KEY
    assert load_api_key(tmp_path / "state").reveal() == API_KEY
    assert load_account(tmp_path / "state").account == saved.account
    assert server.auth_headers[-1].startswith("Basic ")  # the key travels as basic auth only
    assert all(API_KEY not in r for r in server.requests)


def test_a_key_file_others_can_read_is_refused(tmp_path):
    from tariffs.credentials import save_api_key

    path = save_api_key(tmp_path, ApiKey(API_KEY))
    path.chmod(0o644)
    with pytest.raises(OctopusAuthError, match="readable by others") as info:
        load_api_key(tmp_path)
    assert API_KEY not in str(info.value) and "chmod 600" in info.value.hint
    assert repr(ApiKey(API_KEY)) == "ApiKey('********')" and API_KEY not in str(ApiKey(API_KEY))


def test_no_login_is_a_clear_error(server, tmp_path):
    with pytest.raises(NotLoggedIn, match="no Octopus account saved") as info:
        get_account_tariff(access_for(server, tmp_path))
    assert "wattplan octopus login" in info.value.hint


# -- the account's tariff ----------------------------------------------------------------------


def test_the_tariff_follows_the_agreements_across_a_switch(server, tmp_path):
    access = access_for(server, tmp_path)
    login(access, ACCOUNT, ApiKey(API_KEY))
    tariff = get_account_tariff(access, period_from=utc(2025, 1, 15), period_to=utc(2025, 1, 16))
    prices = tariff.prices(SlotGrid.local_days(date(2025, 1, 15)))
    assert not prices.estimated
    assert "account A-1234ABCD" in prices.source and "live (fetched" in prices.source
    morning = prices.import_price[:24]  # 00:00–12:00Z: Agile, rows from 14th 23:00
    np.testing.assert_allclose(morning, [agile_price(i + 2) for i in range(24)])
    np.testing.assert_allclose(prices.export_price[:24], morning / 2)
    afternoon = dict(zip(prices.grid.starts[24:], prices.import_price[24:], strict=True))
    assert afternoon[utc(2025, 1, 15, 12)] == FLUX_2025["day"]
    assert afternoon[utc(2025, 1, 15, 16)] == FLUX_2025["peak"]
    assert prices.export_price[-1] == pytest.approx(FLUX_2025["day"] - 11)
    assert tariff.agreement_at(Direction.IMPORT, utc(2025, 1, 15, 11, 30)).tariff_code == AGILE
    assert tariff.agreement_at(Direction.IMPORT, utc(2025, 1, 15, 12)).tariff_code == FLUX
    assert tariff.region == "E" and tariff.codes == (AGILE, "E-1R-AGILE-OUTGOING-19-05-13-E")
    assert tariff.standing_charge_p_per_day(date(2025, 1, 15)) == 46.36


def test_offline_the_saved_account_is_priced_from_the_snapshot_and_says_so(server, tmp_path):
    access = access_for(server, tmp_path)
    login(access, ACCOUNT, ApiKey(API_KEY))
    offline = OctopusAccess(server.url, tmp_path / "state", live=False, now=lambda: NOW)
    calls = len(server.requests)
    tariff = get_account_tariff(offline, period_from=utc(2025, 1, 15), period_to=utc(2025, 1, 16))
    prices = tariff.prices(SlotGrid.local_days(date(2025, 1, 15)))
    assert len(server.requests) == calls
    assert "as saved" in prices.source and "bundled snapshot" in prices.source
    assert prices.estimated_slots.all()  # synthetic Agile, then estimated Flux


def test_the_account_is_re_read_at_most_daily_and_kept_when_octopus_refuses(server, tmp_path):
    login(access_for(server, tmp_path), ACCOUNT, ApiKey(API_KEY))
    period = {"period_from": utc(2025, 1, 15), "period_to": utc(2025, 1, 16)}
    get_account_tariff(access_for(server, tmp_path, utc(2025, 1, 15, 20)), **period)
    assert sum("/accounts/" in r for r in server.requests) == 1  # the login's read only
    server.accounts[ACCOUNT]["key"] = "sk_live_rotated"
    later = access_for(server, tmp_path, utc(2025, 1, 16, 10))
    tariff = get_account_tariff(later, **period)
    assert sum("/accounts/" in r for r in server.requests) == 2
    assert "re-read failed" in tariff.source and "HTTP 401" in tariff.source


# -- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def cli(server, tmp_path, monkeypatch):
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))
    config = tmp_path / "config.yaml"
    config.write_text(f"tariff:\n  source: account\n  octopus_base_url: {server.url}\n")
    key_file = tmp_path / "key.txt"
    key_file.write_text(API_KEY + "\n")
    return {"config": str(config), "key": str(key_file), "state": tmp_path / "state"}


def test_cli_login_show_and_logout(cli, capsys, monkeypatch):
    args = ["--config", cli["config"], "octopus"]
    assert main([*args, "login", "--account", ACCOUNT, "--key-file", cli["key"]]) == 0
    out = capsys.readouterr().out
    assert "the key works" in out and "region E (West Midlands)" in out
    assert f"{AGILE:<34} 2024-11-01 00:00 UTC → 2025-01-15 12:00 UTC" in out
    assert "tariff: {source: account}" in out
    assert main([*args, "show", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["account"] == ACCOUNT and doc["api_key_stored"] is True
    assert [p["direction"] for p in doc["meter_points"]] == ["import", "export"]
    monkeypatch.setattr("sys.stdin", io.StringIO(API_KEY + "\n"))
    assert main([*args, "login", "--account", ACCOUNT, "--key-file", "-"]) == 0
    capsys.readouterr()
    assert main([*args, "logout"]) == 0
    assert "deleted" in capsys.readouterr().out
    assert not list(cli["state"].glob("octopus-a*"))
    assert main([*args, "show"]) == 2
    assert "wattplan octopus login" in capsys.readouterr().err


def test_cli_wrong_key_exits_4_and_stores_nothing(cli, capsys, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("sk_live_NotTheRightKey\n")
    args = ["--config", cli["config"], "octopus", "login", "--account", ACCOUNT]
    assert main([*args, "--key-file", str(bad)]) == 4
    err = capsys.readouterr().err
    assert "refused the API key" in err and "NotTheRightKey" not in err
    assert not (cli["state"] / "octopus-api-key").exists()


def test_tariffs_show_says_which_agreement_priced_each_slot(cli, capsys):
    assert main(["--config", cli["config"], "octopus", "login", "--account", ACCOUNT,
                 "--key-file", cli["key"]]) == 0  # fmt: skip
    capsys.readouterr()
    show = ["--config", cli["config"], "tariffs", "show", "--date", "2025-01-15"]
    assert main([*show, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["product"] == "account" and doc["estimated"] is False
    by_start = {s["start_utc"]: s for s in doc["slots"]}
    assert by_start["2025-01-15T11:30:00Z"]["import_agreement"] == AGILE
    assert by_start["2025-01-15T12:00:00Z"]["import_agreement"] == FLUX
    assert by_start["2025-01-15T12:00:00Z"]["export_agreement"] == "E-1R-FLUX-EXPORT-23-02-14-E"
    assert main(show) == 0
    out = capsys.readouterr().out
    assert f"-- priced by {AGILE} + E-1R-AGILE-OUTGOING-19-05-13-E" in out
    assert f"-- priced by {FLUX} + E-1R-FLUX-EXPORT-23-02-14-E" in out
