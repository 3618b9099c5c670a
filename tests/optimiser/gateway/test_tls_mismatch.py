"""A pin mismatch is named as one even when the certificate cannot be fetched again (the
gateway restarting, or back on the pinned certificate, by the time wattplan looks)."""

from __future__ import annotations

import socket

from optimiser.gateway.errors import CertificateMismatch
from optimiser.gateway.tls import TlsPolicy, explain_tls_failure


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_mismatch_reported_by_tls_is_a_mismatch_when_the_gateway_is_gone():
    pinned, got = "94" * 32, "d9" * 32
    failure = ConnectionError(
        f'SSLError(\'Fingerprints did not match. Expected "{pinned}", got "{got}"\')'
    )
    port = _closed_port()
    error = explain_tls_failure(
        failure, "127.0.0.1", port, TlsPolicy("127.0.0.1", fingerprint=pinned), 1.0
    )
    assert isinstance(error, CertificateMismatch)
    assert got in str(error)
