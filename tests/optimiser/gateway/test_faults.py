"""Every fault ends in the gateway's own error tree; nothing from requests/ssl/json escapes."""

from __future__ import annotations

import time

import pytest

from optimiser.config import Config, GatewayConfig
from optimiser.gateway import (
    CertificateMismatch,
    GatewayError,
    GatewayRestarting,
    GatewayTimeout,
    GatewayUnavailable,
    ProtocolError,
    RateLimited,
    TrustError,
    open_gateway,
)
from optimiser.gateway.models import SystemStatus, parse
from optimiser.gateway.tls import PINS_FILE, PinStore, fetch_fingerprint
from simulations.emulator import FaultKind, GatewayEmulator
from tests.optimiser.gateway.conftest import CUSTOMER, FakeMonotonic, make_api, stepped_site


def test_429_starts_a_cool_down_that_fails_fast(emulator):
    clock = FakeMonotonic()
    api = make_api(emulator, monotonic=clock)
    api.get_operation()
    emulator.faults.add(FaultKind.STATUS, code=429, count=1)
    with pytest.raises(RateLimited) as info:
        api.get_operation()
    assert info.value.retry_after_s == 300
    # During the cool-down no request reaches the gateway (a reset here would show otherwise).
    emulator.faults.add(FaultKind.RESET)
    clock.value += 299
    with pytest.raises(RateLimited):
        api.get_system_status_soe()
    emulator.faults.clear()
    clock.value += 2
    assert "percentage" in api.get_system_status_soe()


def test_502_means_restarting(emulator):
    api = make_api(emulator)
    emulator.faults.add(FaultKind.RESTART, count=1)
    with pytest.raises(GatewayRestarting):
        api.get_system_status_soe()
    assert "percentage" in api.get_system_status_soe()


def test_timeout_on_a_hanging_gateway(emulator):
    api = make_api(emulator, timeout_s=0.3)
    api.get_operation()
    emulator.faults.add(FaultKind.HANG, seconds=1.5, count=1)
    started = time.monotonic()
    with pytest.raises(GatewayTimeout):
        api.get_operation()
    assert time.monotonic() - started < 1.2
    assert "real_mode" in api.get_operation()


def test_malformed_json_names_the_endpoint(emulator):
    api = make_api(emulator)
    api.get_operation()
    emulator.faults.add(FaultKind.MALFORMED, count=1, path="/api/system_status/soe")
    with pytest.raises(ProtocolError) as info:
        api.get_system_status_soe()
    assert info.value.endpoint == "/api/system_status/soe"
    assert "expected JSON" in str(info.value)


def test_missing_field_names_endpoint_and_field(emulator):
    payload = make_api(emulator).get_system_status()
    del payload["nominal_energy_remaining"]
    with pytest.raises(ProtocolError) as info:
        parse(SystemStatus, payload, "/api/system_status")
    assert info.value.field == "nominal_energy_remaining"
    assert "/api/system_status" in str(info.value) and "nominal_energy_remaining" in str(info.value)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"kind": FaultKind.STATUS, "code": 500}, GatewayUnavailable),
        ({"kind": FaultKind.STATUS, "code": 503}, GatewayUnavailable),
        ({"kind": FaultKind.STATUS, "code": 429}, RateLimited),
        ({"kind": FaultKind.STATUS, "code": 418}, ProtocolError),
        ({"kind": FaultKind.RESTART}, GatewayRestarting),
        ({"kind": FaultKind.MALFORMED}, ProtocolError),
        ({"kind": FaultKind.RESET}, GatewayUnavailable),
        ({"kind": FaultKind.HANG, "seconds": 1.0}, GatewayTimeout),
        ({"kind": FaultKind.LATENCY, "seconds": 1.0}, GatewayTimeout),
    ],
)
def test_no_lower_level_exception_escapes(emulator, fault, expected):
    api = make_api(emulator, timeout_s=0.3)
    api.get_operation()
    emulator.faults.add(count=1, **fault)
    # pytest.raises(GatewayError) fails the test if anything else (requests, ssl, json) escapes.
    with pytest.raises(GatewayError) as info:
        api.get_meters_aggregates()
    assert isinstance(info.value, expected)
    assert "requests" not in type(info.value).__module__


def test_unknown_endpoint_and_stopped_gateway_are_gateway_errors(emulator):
    api = make_api(emulator)
    with pytest.raises(ProtocolError, match="404"):
        api.request("GET", "/api/devices/vitals")
    emulator.stop()
    with pytest.raises(GatewayUnavailable):
        api.get_operation()
    with pytest.raises(GatewayUnavailable):
        fetch_fingerprint("127.0.0.1", api.port, "127.0.0.1", 0.5)


def test_wrong_server_name_is_a_trust_error(emulator):
    with pytest.raises(TrustError, match="server name"):
        fetch_fingerprint("127.0.0.1", emulator.port, "localhost", 1.0)


def test_trust_on_first_use_then_changed_certificate(tmp_path, monkeypatch):
    monkeypatch.setenv("WATTPLAN_GATEWAY_PASSWORD", CUSTOMER)
    monkeypatch.delenv("WATTPLAN_STATE_DIR", raising=False)
    first = GatewayEmulator(stepped_site(), customer_password=CUSTOMER).start()
    port = first.port
    config = Config(gateway=GatewayConfig(host="127.0.0.1", port=port), state_dir=tmp_path)
    try:
        with open_gateway(config) as gateway:
            gateway.operation()
            pins = PinStore(tmp_path / PINS_FILE)
            assert pins.get(f"127.0.0.1:{port}") == first.fingerprint_sha256
            first.stop()
            second = GatewayEmulator(stepped_site(), port=port, customer_password=CUSTOMER)
            with second:
                assert second.fingerprint_sha256 != first.fingerprint_sha256
                with pytest.raises(CertificateMismatch) as info:
                    gateway.operation()  # same client, a new connection: pin checked again
                with pytest.raises(CertificateMismatch), open_gateway(config) as again:
                    again.operation()
    finally:
        first.stop()
    message = str(info.value)
    assert first.fingerprint_sha256 in message and second.fingerprint_sha256 in message
    assert "wattplan trust --reset" in info.value.hint


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"kind": FaultKind.RESET}, GatewayUnavailable),
        ({"kind": FaultKind.MALFORMED}, ProtocolError),
        ({"kind": FaultKind.RESTART}, GatewayRestarting),
        ({"kind": FaultKind.HANG, "seconds": 1.0}, GatewayTimeout),
        ({"kind": FaultKind.STATUS, "code": 429}, RateLimited),
    ],
)
def test_faults_during_login_are_gateway_errors(emulator, fault, expected):
    api = make_api(emulator, timeout_s=0.3)
    emulator.faults.add(count=1, path="/api/login", **fault)
    with pytest.raises(GatewayError) as info:
        api.get_operation()
    assert isinstance(info.value, expected)


def _config(tmp_path, port, **gateway):
    return Config(
        gateway=GatewayConfig(host="127.0.0.1", port=port, timeout_s=2, **gateway),
        state_dir=tmp_path,
    )


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_ca_file_and_insecure_modes(emulator, tmp_path, monkeypatch):
    monkeypatch.setenv("WATTPLAN_GATEWAY_PASSWORD", CUSTOMER)
    monkeypatch.delenv("WATTPLAN_STATE_DIR", raising=False)
    ca = tmp_path / "gateway-ca.pem"
    ca.write_bytes(emulator.certificate.cert_pem)
    with open_gateway(_config(tmp_path, emulator.port, ca_file=ca)) as gateway:
        assert gateway.operation().backup_reserve_percent == 24.0  # app 20%
    with open_gateway(_config(tmp_path, emulator.port, insecure=True)) as gateway:
        assert gateway.soe().percentage > 0
    assert not (tmp_path / PINS_FILE).exists()  # neither mode pins
    other = GatewayEmulator(stepped_site()).start()
    other.stop()
    wrong = tmp_path / "other-ca.pem"
    wrong.write_bytes(other.certificate.cert_pem)
    with (
        pytest.raises(TrustError),
        open_gateway(_config(tmp_path, emulator.port, ca_file=wrong)) as gw,
    ):
        gw.operation()
