"""Octopus REST client against a loopback server with the API's recorded response shapes."""

from __future__ import annotations

import json
import socket
from datetime import UTC, date, datetime

import numpy as np
import pytest

from optimiser.domain.slots import SlotGrid
from tariffs import (
    OctopusAccess,
    OctopusProtocolError,
    OctopusUnavailable,
    PricesUnknown,
    TariffError,
    UnknownProduct,
    UnknownRegion,
    UnknownTariffCode,
    get_tariff,
)
from tariffs.octopus import OctopusClient
from tariffs.octopus_parse import parse_rates, read_saved_rates
from tests.tariffs.octopus_server import DAY, NIGHT, PEAK, OctopusServer

IMPORT = ("FLUX-IMPORT-23-02-14", "E-1R-FLUX-IMPORT-23-02-14-E")
T0, T1 = datetime(2023, 3, 25, tzinfo=UTC), datetime(2023, 3, 29, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def server():
    with OctopusServer() as srv:
        yield srv


def client_for(server, tmp_path=None, **kwargs) -> OctopusClient:
    sleeps: list[float] = []
    client = OctopusClient(
        server.url,
        cache_dir=tmp_path,
        timeout_s=2,
        sleep=sleeps.append,
        **kwargs,
    )
    client.sleeps = sleeps  # type: ignore[attr-defined]
    return client


def fetch_tariff(product: str, region: str, server, start: datetime, end: datetime):
    """Published rates only, fetched now (as `wattplan tariffs fetch`), nothing kept on disk."""
    access = OctopusAccess(server.url, state_dir=None, sleep=lambda _: None)
    return get_tariff(product, region, access=access, period_from=start, period_to=end, strict=True)


def test_pagination_follows_next_and_returns_oldest_first(server):
    server.page_cap = 3
    rates = client_for(server).get_unit_rates(*IMPORT, T0, T1)
    assert len(rates) == 16
    assert len([r for r in server.requests if "standard-unit-rates" in r]) == 6  # 16 rows / 3
    assert [r.valid_from for r in rates] == sorted(r.valid_from for r in rates)
    assert rates[0].valid_from == utc(2023, 3, 25, 2) and rates[-1].valid_to == utc(2023, 3, 29, 1)
    assert "period_from=2023-03-25T00%3A00%3A00Z" in server.requests[0]


def test_period_to_is_exclusive(server):
    rates = client_for(server).get_unit_rates(*IMPORT, utc(2023, 3, 27, 1), utc(2023, 3, 27, 4))
    assert [(r.valid_from, r.value) for r in rates] == [(utc(2023, 3, 27, 1), NIGHT)]


def test_fetched_flux_lands_in_the_right_utc_slots_across_the_clock_change(server):
    tariff = fetch_tariff("flux", "E", server, T0, T1)
    day = tariff.prices(SlotGrid.local_days(date(2023, 3, 27)))
    assert not day.estimated and "Octopus API" in day.source
    by_hour = {
        s.hour + s.minute / 60: p for s, p in zip(day.grid.starts, day.import_price, strict=True)
    }
    assert by_hour[1.0] == by_hour[3.5] == NIGHT and by_hour[4.0] == by_hour[14.5] == DAY
    assert by_hour[15.0] == by_hour[17.5] == PEAK and by_hour[18.0] == by_hour[0.5] == DAY
    np.testing.assert_allclose(day.import_price - day.export_price, 11.0)
    change = tariff.prices(SlotGrid.local_days(date(2023, 3, 26)))  # GMT → BST
    assert len(change.grid) == 46
    night = [s for s, p in zip(change.grid.starts, change.import_price, strict=True) if p == NIGHT]
    assert night[0] == utc(2023, 3, 26, 1) and len(night) == 6
    before = tariff.prices(SlotGrid(utc(2023, 3, 25, 2), 30, 7)).import_price  # GMT: 02:00Z
    assert list(before) == [NIGHT] * 6 + [DAY]


def test_duplicate_payment_method_rows_keep_direct_debit_and_open_ended_record(server):
    client = client_for(server)
    standing = client.get_standing_charges(*IMPORT, T0, T1)
    assert [(r.value, r.valid_to) for r in standing] == [(46.36, None)]
    flexible = client.get_unit_rates(
        "VAR-22-11-01", "E-1R-VAR-22-11-01-E", utc(2023, 6, 1), utc(2030, 1, 1)
    )
    assert [(r.value, r.valid_to) for r in flexible] == [(30.0, utc(2024, 1, 1)), (24.5, None)]
    tariff = fetch_tariff("outgoing", "E", server, utc(2023, 6, 1), utc(2030, 1, 1))
    assert tariff.known_until is None
    far = tariff.prices(SlotGrid(utc(2029, 6, 1), 30, 2))
    assert list(far.import_price) == [24.5, 24.5] and list(far.export_price) == [15.0, 15.0]
    assert tariff.standing_charge_p_per_day(date(2025, 1, 1)) == 46.36


def test_unpublished_day_is_count_zero_and_prices_unknown(server):
    client = client_for(server)
    code = ("AGILE-24-10-01", "E-1R-AGILE-24-10-01-E")
    assert client.get_unit_rates(*code, utc(2025, 1, 17), utc(2025, 1, 18)) == ()
    tariff = fetch_tariff("agile", "E", server, utc(2025, 1, 15, 23), utc(2025, 1, 18))
    assert tariff.known_until == utc(2025, 1, 16, 23)
    day = tariff.prices(SlotGrid(utc(2025, 1, 15, 23), 30, 48))
    assert day.import_price.min() == -2.5 and len(day.import_price) == 48
    with pytest.raises(PricesUnknown, match="2025-01-16T23:00:00"):
        tariff.prices(SlotGrid(utc(2025, 1, 16), 30, 48))


def test_server_error_is_retried_with_back_off(server):
    server.fail_next = [500, 502, 503]
    client = client_for(server, retries=3, backoff_s=0.25)
    rates = client.get_unit_rates(*IMPORT, T0, T1)
    assert len(rates) == 16
    assert client.sleeps == [0.25, 0.5, 1.0]


def test_persistent_server_error_and_refused_connection_are_unavailable(server):
    server.fail_next = [500] * 10
    with pytest.raises(OctopusUnavailable, match=r"HTTP 500 \(3 attempts\)"):
        client_for(server, retries=2).get_unit_rates(*IMPORT, T0, T1)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = OctopusClient(f"http://127.0.0.1:{port}", retries=1, sleep=lambda _: None)
    with pytest.raises(OctopusUnavailable, match="cannot connect") as info:
        closed.get_products()
    assert isinstance(info.value, TariffError)


def test_unknown_product_tariff_code_and_region(server):
    client = client_for(server)
    with pytest.raises(UnknownProduct, match="no product 'NOPE-1'"):
        client.get_product("NOPE-1")
    with pytest.raises(UnknownTariffCode, match="E-1R-FLUX-IMPORT-23-02-14-Z"):
        client.get_unit_rates(IMPORT[0], "E-1R-FLUX-IMPORT-23-02-14-Z", T0, T1)
    with pytest.raises(UnknownRegion, match="no tariff in region P; it has A, B, C, E"):
        client.get_tariff_code("AGILE-24-10-01", "P")
    with pytest.raises(UnknownRegion, match="one letter of"):
        client.get_tariff_code("AGILE-24-10-01", "O")
    with pytest.raises(UnknownProduct, match="unknown product 'nope'"):
        fetch_tariff("nope", "E", server, T0, T1)


def test_region_from_postcode(server):
    client = client_for(server)
    assert client.get_region("cf10  1aa") == "K"
    assert "postcode=CF10+1AA" in server.requests[-1]
    with pytest.raises(UnknownRegion, match="ZZ9 9ZZ"):
        client.get_region("zz9 9zz")


def test_products_listing(server):
    codes = [p.code for p in client_for(server).get_products()]
    assert "FLUX-IMPORT-23-02-14" in codes and "AGILE-24-10-01" in codes


def test_disk_cache_avoids_a_second_call_and_shares_the_parser(server, tmp_path):
    first = client_for(server, tmp_path).get_unit_rates(*IMPORT, T0, T1)
    calls = len(server.requests)
    again = client_for(server, tmp_path).get_unit_rates(*IMPORT, T0, T1)
    assert again == first and len(server.requests) == calls
    saved = list(tmp_path.glob("*.json"))
    assert len(saved) == 1
    assert read_saved_rates(saved[0]) == first  # saved responses go through the same parser


def test_protocol_errors_name_the_endpoint_and_field(server):
    path = f"/v1/products/{IMPORT[0]}/electricity-tariffs/{IMPORT[1]}/standard-unit-rates/"
    server.bodies[path] = json.dumps({"count": 1, "next": None, "results": [{"value_inc_vat": 3}]})
    with pytest.raises(
        OctopusProtocolError, match="standard-unit-rates/: expected field 'valid_from'"
    ):
        client_for(server).get_unit_rates(*IMPORT, T0, T1)
    server.bodies[path] = "<html>oops</html>"
    with pytest.raises(OctopusProtocolError, match="expected JSON"):
        client_for(server).get_unit_rates(*IMPORT, T0, T1)
    with pytest.raises(OctopusProtocolError, match="'value_inc_vat' should be int or float"):
        parse_rates([{"count": 1, "results": [{"value_inc_vat": "x", "valid_from": "2023"}]}])


def test_pagination_stays_on_the_api_s_origin(server):
    path = f"/v1/products/{IMPORT[0]}/electricity-tariffs/{IMPORT[1]}/standard-unit-rates/"
    with OctopusServer() as elsewhere:
        page = {"count": 2, "results": [], "next": f"{elsewhere.url}{path}?page=2"}
        server.bodies[path] = json.dumps(page)
        with pytest.raises(OctopusProtocolError, match=r"'next'.*same origin") as info:
            client_for(server).get_unit_rates(*IMPORT, T0, T1)
        assert elsewhere.requests == []
    assert server.url in str(info.value) and elsewhere.url in str(info.value)


@pytest.mark.parametrize("value", [1e308, -5000.0, float("nan")])
def test_an_absurd_rate_is_a_protocol_error_naming_it(server, value):
    path = f"/v1/products/{IMPORT[0]}/electricity-tariffs/{IMPORT[1]}/standard-unit-rates/"
    row = {"value_inc_vat": value, "valid_from": "2023-03-25T00:00:00Z", "valid_to": None}
    server.bodies[path] = json.dumps({"count": 1, "next": None, "results": [row]})
    with pytest.raises(OctopusProtocolError, match=r"standard-unit-rates/: .*value_inc_vat"):
        client_for(server).get_unit_rates(*IMPORT, T0, T1)


def test_get_tariff_online_uses_the_configured_base_url(server, tmp_path):
    access = OctopusAccess(server.url, state_dir=tmp_path)
    tariff = get_tariff("flux", "E", access=access, period_from=T0, period_to=T1)
    assert tariff.codes == ("E-1R-FLUX-IMPORT-23-02-14-E", "E-1R-FLUX-EXPORT-23-02-14-E")
    assert tariff.prices(SlotGrid(utc(2023, 3, 27, 15), 60, 1)).import_price[0] == PEAK


def test_slow_server_times_out_as_unavailable(server):
    server.delay_s = 0.3
    client = OctopusClient(server.url, timeout_s=0.05, retries=1, sleep=lambda _: None)
    with pytest.raises(OctopusUnavailable, match=r"timed out after 0.05 s \(2 attempts\)"):
        client.get_products()


def test_payment_method_duplicates_with_different_ends_do_not_depend_on_row_order():
    from datetime import UTC, datetime

    dd = {
        "value_exc_vat": 19.0,
        "value_inc_vat": 20.0,
        "valid_from": "2024-01-02T00:00:00Z",
        "valid_to": "2025-01-01T00:00:00Z",
        "payment_method": "DIRECT_DEBIT",
    }
    ndd = {**dd, "value_inc_vat": 30.0, "valid_to": None, "payment_method": "NON_DIRECT_DEBIT"}
    when = datetime(2024, 6, 1, tzinfo=UTC)
    for rows in ([dd, ndd], [ndd, dd]):
        rates = parse_rates([{"count": 2, "next": None, "results": rows}])
        assert [r.value for r in rates if r.valid_from <= when] == [20.0]
