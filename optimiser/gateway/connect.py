"""Open the configured gateway: TLS policy from the config and the pin store, then log in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from optimiser.config import Config
from optimiser.gateway.api import GatewayApi
from optimiser.gateway.client import Gateway
from optimiser.gateway.failed_logins import FILE_NAME as FAILED_LOGINS_FILE
from optimiser.gateway.failed_logins import FailedLogins
from optimiser.gateway.tls import PINS_FILE, PinStore, resolve_policy


@contextmanager
def open_gateway(config: Config, *, username: str | None = None) -> Iterator[Gateway]:
    """A logged-in-on-demand :class:`Gateway` for the configured gateway; closed after.

    Trust follows the config: a CA file, the opt-in ``insecure``, or the pinned fingerprint
    (pinned on first use). The embedded emulator is wired by the CLI, not here.
    """
    if config.gateway is None:
        raise ValueError("open_gateway needs a gateway section in the config")
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
        failed_logins=FailedLogins(config.state_path() / FAILED_LOGINS_FILE),
    )
    with Gateway(api) as gateway:
        yield gateway
