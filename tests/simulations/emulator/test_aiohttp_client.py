"""The emulator serves an aiohttp-based client too (pypowerwall-style async clients): its
cookie jar sends base64 tokens in RFC 6265's quoted form."""

from __future__ import annotations

import asyncio
import ssl

import pytest

from tests.optimiser.gateway.conftest import CUSTOMER

aiohttp = pytest.importorskip("aiohttp")


def test_an_aiohttp_client_logs_in_and_reads_with_the_cookie(emulator, tmp_path):
    ca = tmp_path / "emulator.pem"
    ca.write_bytes(emulator.certificate.cert_pem)
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False

    async def session() -> tuple[int, dict]:
        connector = aiohttp.TCPConnector(ssl=context)
        jar = aiohttp.CookieJar(unsafe=True)  # keep cookies from an IP address, as clients do
        async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as client:
            body = {
                "username": "customer",
                "password": CUSTOMER,
                "email": "a@b",
                "force_sm_off": False,
            }
            async with client.post(f"{emulator.url}/api/login/Basic", json=body) as login:
                assert login.status == 200
            async with client.get(f"{emulator.url}/api/meters/aggregates") as reply:
                return reply.status, await reply.json(content_type=None)

    status, data = asyncio.run(session())
    assert status == 200, data
    assert "site" in data
