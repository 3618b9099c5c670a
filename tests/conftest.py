"""Shared test settings: hypothesis profiles and loopback-only networking."""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "ci"))


LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def _is_address_or_loopback(host: object) -> bool:
    """True for no host, an IP literal (unreachable test addresses are the tests' business) and
    loopback names; False for any other name (a real service on the internet)."""
    if host is None or isinstance(host, bytes | bytearray):
        host = None if host is None else bytes(host).decode("ascii", "replace")
    if not host or host in LOOPBACK_NAMES:
        return True
    try:
        ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return True


@pytest.fixture(autouse=True, scope="session")
def loopback_only():
    """Tests never resolve an internet name (a weather provider, Octopus, Tesla): a lookup
    is refused, and the session fails at its end naming it, even if the code fell back
    quietly. (Session-scoped: hypothesis refuses function-scoped fixtures.)"""
    refused: list[str] = []
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        if not _is_address_or_loopback(host):
            refused.append(str(host))
            raise socket.gaierror(socket.EAI_NONAME, f"tests are loopback-only: {host}")
        return real(host, *args, **kwargs)

    socket.getaddrinfo = guarded
    try:
        yield
    finally:
        socket.getaddrinfo = real
    assert not refused, f"expected loopback-only networking, got lookups of {sorted(set(refused))}"
