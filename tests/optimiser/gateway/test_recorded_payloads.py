"""The gateway client's pure parsers on recorded payloads (tests/data/gateway), no server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from optimiser.domain.device import OperationMode
from optimiser.gateway import ProtocolError
from optimiser.gateway.models import (
    GridStatus,
    MetersAggregates,
    Operation,
    Payload,
    SiteInfo,
    SiteState,
    Soe,
    Status,
    SystemStatus,
    parse,
    site_state,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "gateway"
SCENARIOS = ("sunny_noon", "power_cut_evening", "backup_mode_night")
MODELS: dict[str, type[Payload]] = {
    "/api/status": Status,
    "/api/system_status": SystemStatus,
    "/api/system_status/soe": Soe,
    "/api/system_status/grid_status": GridStatus,
    "/api/meters/aggregates": MetersAggregates,
    "/api/site_info": SiteInfo,
    "/api/operation": Operation,
}


def recorded(scenario: str, endpoint: str) -> Any:
    name = endpoint.removeprefix("/api/").replace("/", "_") + ".json"
    return json.loads((DATA / scenario / name).read_text(encoding="utf-8"))


def recorded_state(scenario: str) -> SiteState:
    """What ``Gateway.site_state`` builds from these payloads."""

    def read(model: type[Payload], endpoint: str) -> Any:
        return parse(model, recorded(scenario, endpoint), endpoint)

    meters = read(MetersAggregates, "/api/meters/aggregates")
    when = datetime.fromisoformat(meters.site.last_communication_time).astimezone(UTC)
    return site_state(
        when,
        read(SystemStatus, "/api/system_status"),
        read(Soe, "/api/system_status/soe"),
        read(GridStatus, "/api/system_status/grid_status"),
        meters,
        read(Operation, "/api/operation"),
    )


def test_every_scenario_is_on_disk():
    assert sorted(p.name for p in DATA.iterdir() if p.is_dir()) == sorted(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("endpoint", MODELS)
def test_every_recorded_payload_parses(scenario, endpoint):
    model = MODELS[endpoint]
    assert isinstance(parse(model, recorded(scenario, endpoint), endpoint), model)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_site_state_is_self_consistent(scenario):
    state = recorded_state(scenario)
    assert state.capacity_kwh == pytest.approx(13.5)
    assert 0 < state.soe_kwh <= state.capacity_kwh
    assert state.soc_percent == pytest.approx(100 * state.soe_kwh / state.capacity_kwh)
    assert state.app_percent == pytest.approx((state.soc_percent - 5) / 0.95)
    assert state.load_kw == pytest.approx(
        state.site_kw + state.battery_kw + state.solar_kw, abs=1e-6
    )
    assert (state.max_charge_kw, state.max_discharge_kw) == (5.0, 5.0)
    assert state.round_trip_efficiency == pytest.approx(0.9, abs=0.01)


def test_sunny_noon_charges_from_the_sun():
    state = recorded_state("sunny_noon")
    assert state.time == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert state.grid_up and state.grid_status == "SystemGridConnected"
    assert state.mode is OperationMode.SELF_CONSUMPTION
    assert state.app_reserve_percent == pytest.approx(20.0)
    assert state.solar_kw > state.load_kw and state.battery_kw < 0
    assert state.site_kw == pytest.approx(0.0, abs=0.05)


def test_power_cut_evening_runs_on_the_battery():
    state = recorded_state("power_cut_evening")
    assert not state.grid_up and state.grid_status == "SystemIslandedActive"
    assert state.site_kw == 0 and state.battery_kw > 0
    assert state.load_kw == pytest.approx(state.battery_kw + state.solar_kw)


def test_backup_mode_night_charges_from_the_grid():
    state = recorded_state("backup_mode_night")
    assert state.mode is OperationMode.BACKUP and state.backup_reserve_percent == 100
    assert state.battery_kw < 0 and state.site_kw > state.load_kw


def test_status_and_site_info_identify_the_gateway():
    status = parse(Status, recorded("sunny_noon", "/api/status"), "/api/status")
    assert status.din.startswith("1232100-") and status.device_type == "teg"
    assert status.up_time_seconds == "2h0m0.000000s"
    info = parse(SiteInfo, recorded("sunny_noon", "/api/site_info"), "/api/site_info")
    assert info.timezone == "Europe/London" and info.nominal_system_energy_kWh == 13.5


def test_fields_firmware_adds_are_ignored():
    payload = recorded("sunny_noon", "/api/system_status/soe") | {"new_in_24_4": [1, 2]}
    assert parse(Soe, payload, "/api/system_status/soe").percentage == pytest.approx(
        recorded("sunny_noon", "/api/system_status/soe")["percentage"]
    )


@pytest.mark.parametrize(
    ("endpoint", "field"),
    [
        ("/api/system_status", "nominal_full_pack_energy"),
        ("/api/operation", "real_mode"),
        ("/api/status", "din"),
    ],
)
def test_a_missing_field_names_the_endpoint_and_field(endpoint, field):
    payload = recorded("sunny_noon", endpoint)
    del payload[field]
    with pytest.raises(ProtocolError) as info:
        parse(MODELS[endpoint], payload, endpoint)
    assert (info.value.endpoint, info.value.field) == (endpoint, field)


def test_a_mistyped_meter_names_the_nested_field():
    payload = recorded("power_cut_evening", "/api/meters/aggregates")
    payload["battery"]["instant_power"] = "lots"
    with pytest.raises(ProtocolError) as info:
        parse(MetersAggregates, payload, "/api/meters/aggregates")
    assert info.value.field == "battery.instant_power"
    assert "'lots'" in str(info.value)
