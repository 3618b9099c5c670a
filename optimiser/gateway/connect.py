"""Open a gateway from the configuration, or start the embedded emulator when there is none."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from optimiser.config import Config
from optimiser.gateway.api import GatewayApi
from optimiser.gateway.client import Gateway
from optimiser.gateway.tls import PINS_FILE, PinStore, TlsPolicy, resolve_policy
from simulations.clock import AcceleratedClock

log = logging.getLogger(__name__)


def embedded_emulator(now: datetime | None = None, *, clock=None):
    """A (not yet started) demo emulator on a free loopback port, its clock at real time
    (or ``clock``, e.g. the accelerated clock of ``wattplan run --speed``).

    Driven by the demo household (:func:`simulations.datasets.demo_trace`), the same data
    ``wattplan plan`` forecasts from.
    """
    from simulations.datasets import demo_trace
    from simulations.emulator import GatewayEmulator

    if clock is None:
        clock = AcceleratedClock(start=now or datetime.now(UTC), speed=1.0)
    start = clock.now()
    trace = demo_trace(start - timedelta(days=1), start + timedelta(days=7))
    return GatewayEmulator(clock=clock, trace=trace, host="127.0.0.1", port=0)


@contextmanager
def open_gateway(config: Config, *, username: str | None = None, clock=None) -> Iterator[Gateway]:
    """A logged-in-on-demand :class:`Gateway` for ``config``; closes it (and any emulator) after.

    With ``config.gateway`` None it starts the embedded emulator in-process, pins its fresh
    certificate in memory and uses its customer (or installer) password; ``clock`` drives the
    embedded emulator (ignored for a real gateway).
    """
    if config.gateway is None:
        emulator = embedded_emulator(clock=clock).start()
        try:
            role = username or "customer"
            password = (
                emulator.installer_password if role == "installer" else emulator.customer_password
            )
            api = GatewayApi(
                "127.0.0.1",
                emulator.port,
                policy=TlsPolicy("127.0.0.1", fingerprint=emulator.fingerprint_sha256),
                password=SecretStr(password),
                username=role,
                timeout_s=10.0,
            )
            with Gateway(api) as gateway:
                yield gateway
        finally:
            emulator.stop()
        return
    gw = config.gateway
    policy = resolve_policy(
        gw.host,
        gw.port,
        server_name=gw.server_name,
        ca_file=gw.ca_file,
        insecure=gw.insecure,
        pins=PinStore(config.state_path() / PINS_FILE),
        timeout_s=gw.timeout_s,
    )
    api = GatewayApi(
        gw.host,
        gw.port,
        policy=policy,
        password=gw.password(),
        username=username or gw.username,
        email=gw.email,
        timeout_s=gw.timeout_s,
        rate_limit_cooldown_s=gw.rate_limit_cooldown_s,
        max_login_attempts=gw.max_login_attempts,
    )
    with Gateway(api) as gateway:
        yield gateway
