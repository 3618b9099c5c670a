"""Start-up waits for a gateway that is down (after a power cut it can take minutes), with a
bounded, logged back-off, instead of exiting before the service exists; then the service
reads the gateway once to start, not twice."""

from __future__ import annotations

import logging
from datetime import timedelta
from http import HTTPMethod

import pytest
from pydantic import SecretStr

from optimiser.gateway import Gateway, GatewayApi, TlsPolicy
from optimiser.gateway.errors import AuthenticationError
from optimiser.service.startup import wait_for_site
from simulations.emulator.faults import FaultKind
from tests.optimiser.service.conftest import START, make_service


def _gateway_on_the_house_clock(house) -> Gateway:
    """A client whose rate-limit cool-down runs on the house's stepped clock."""
    emulator = house.emulator
    api = GatewayApi(
        "127.0.0.1",
        emulator.port,
        policy=TlsPolicy("127.0.0.1", fingerprint=emulator.fingerprint_sha256),
        password=SecretStr(emulator.installer_password),
        username="installer",
        timeout_s=5.0,
        monotonic=lambda: house.clock.now().timestamp(),
    )
    return Gateway(api)


def test_startup_retries_a_gateway_answering_500_429_and_resets(house, caplog):
    faults = house.emulator.faults
    faults.add(FaultKind.STATUS, code=500, count=2, path="/api/meters")
    faults.add(FaultKind.STATUS, code=429, count=1, path="/api/meters")
    faults.add(FaultKind.RESET, count=1, path="/api/meters")
    start = house.clock.now()
    with (
        caplog.at_level(logging.WARNING, logger="wattplan.run"),
        _gateway_on_the_house_clock(house) as gateway,
    ):
        state = wait_for_site(gateway.site_state, clock=house.clock, give_up_after_s=3600)
    assert state.capacity_kwh > 0
    waited = (house.clock.now() - start).total_seconds()
    assert 0 < waited <= 3600
    assert sum("retrying in" in r.getMessage() for r in caplog.records) >= 3


def test_startup_gives_up_after_its_bound(house):
    house.emulator.faults.add(FaultKind.STATUS, code=503, path="/api/meters")
    start = house.clock.now()
    with pytest.raises(Exception) as caught:
        wait_for_site(house.gateway.site_state, clock=house.clock, give_up_after_s=600)
    assert caught.value.next_step.keeps_running  # the last temporary error: exit 3
    assert (house.clock.now() - start).total_seconds() <= 600


def test_startup_does_not_retry_what_retrying_cannot_fix(house):
    calls = []

    def refused():
        calls.append(1)
        raise AuthenticationError("wrong password")

    with pytest.raises(AuthenticationError):
        wait_for_site(refused, clock=house.clock, give_up_after_s=600)
    assert calls == [1]


def meter_reads(house) -> int:
    """How many times the gateway emulator was asked for its meters (one per site reading)."""
    return house.emulator.api.requests[(HTTPMethod.GET, "/api/meters/aggregates")]


def test_the_start_reads_the_gateway_once_on_an_interval_boundary(house):
    service = make_service(house)  # the clock starts at 12:00, a whole multiple of 300 s
    service.run(until=START + timedelta(minutes=4))
    assert service.stats.polls == 1 and meter_reads(house) == 1
    service.run(until=START + timedelta(minutes=5))
    assert service.stats.polls == 2 and meter_reads(house) == 2


def test_the_start_takes_the_reading_the_start_up_wait_made(house):
    state = wait_for_site(house.gateway.site_state, clock=house.clock)
    service = make_service(house)
    service.first_state = state
    service.run(until=START + timedelta(minutes=4))
    assert meter_reads(house) == 1  # the wait's reading, not a second one
    assert service.stats.polls == service.stats.samples == 1
    assert house.store.samples()[0].time == state.time
