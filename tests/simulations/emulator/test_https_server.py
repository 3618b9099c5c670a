"""The HTTPS server: certificate, server-name rule, acted-out faults, the plain-HTTP redirect."""

from __future__ import annotations

import http.client
import socket
import ssl
from datetime import timedelta

import pytest
import requests
from cryptography import x509

from simulations.emulator import FaultKind, GatewayEmulator
from tests.optimiser.gateway.conftest import stepped_site


def test_certificate_names_and_fingerprint(emulator, raw):
    # verify= the emulator's PEM checks the chain and that 127.0.0.1 is in the SAN.
    assert raw.get("/api/status").status_code == 200
    cert = x509.load_pem_x509_certificate(emulator.certificate.cert_pem)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"teg", "powerwall", "powerpack"} <= set(san.get_values_for_type(x509.DNSName))
    assert len(emulator.fingerprint_sha256) == 64


@pytest.mark.parametrize(
    ("name", "accepted"),
    [("powerwall", True), ("teg", True), ("127.0.0.1", True), ("localhost", False)],
)
def test_server_name_rule(emulator, name, accepted):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as sock:
        if accepted:
            with context.wrap_socket(sock, server_hostname=name) as tls:
                assert tls.version() in {"TLSv1.2", "TLSv1.3"}
        else:
            with pytest.raises(ssl.SSLError, match="UNRECOGNIZED_NAME"):
                context.wrap_socket(sock, server_hostname=name)


def test_restart_keeps_certificate_and_port():
    emulator = GatewayEmulator(stepped_site()).start()
    try:
        port, fingerprint = emulator.port, emulator.fingerprint_sha256
        emulator.stop()
        emulator.start()
        assert (emulator.port, emulator.fingerprint_sha256) == (port, fingerprint)
    finally:
        emulator.stop()


def test_faults_reset_malformed_latency(emulator, raw):
    raw.login()
    emulator.faults.add(FaultKind.RESET, count=1)
    with pytest.raises(requests.ConnectionError):
        raw.get("/api/operation")
    emulator.faults.add(FaultKind.MALFORMED, count=1)
    with pytest.raises(ValueError):
        raw.get("/api/operation").json()
    fault = emulator.faults.add(FaultKind.LATENCY, seconds=0.2, count=1)
    response = raw.get("/api/operation")
    assert response.status_code == 200 and response.elapsed >= timedelta(seconds=0.2)
    assert fault.hits == 1
    emulator.faults.add(FaultKind.STATUS, code=503, path="/api/meters", count=2)
    assert raw.get("/api/operation").status_code == 200  # other paths unaffected
    assert raw.get("/api/meters/aggregates").json()["code"] == 503


def test_unknown_fault_kind_is_refused(emulator):
    with pytest.raises(ValueError, match="unknown fault kind 'slow'"):
        emulator.faults.add("slow")


def test_plain_http_answers_301_to_https():
    """DOMAIN.md §1: the gateway's plain-HTTP port redirects to HTTPS."""
    with GatewayEmulator(http_port=0) as emu:
        host, port = emu.http_url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        conn.request("GET", "/api/status")
        answer = conn.getresponse()
        assert answer.status == 301
        assert answer.getheader("Location") == f"{emu.url}/api/status"
        conn.close()


def test_site_and_default_site_arguments_do_not_mix():
    with pytest.raises(ValueError, match="clock and trace describe the default site"):
        GatewayEmulator(stepped_site(), trace=stepped_site().trace)
