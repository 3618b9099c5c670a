"""Where the CLI wires the embedded emulator: the one place production meets ``simulations``
(imported lazily, so a configured gateway never loads the emulator).

With no ``gateway`` section in the config, ``plan``, ``run``, ``status``, ``record`` and
``doctor`` talk HTTPS to an in-process gateway emulator driven by the demo household, and
forecast from that household's last fortnight. Everything below the CLI only ever sees a
:class:`~optimiser.gateway.Gateway` and a :class:`~optimiser.forecast.History`.

Fake data never lands in real places: while a command talks to the embedded emulator,
:func:`emulator_sandbox` points the state directory (command budget, lease, dashboard journal,
caches) and the recorder database at a throw-away directory, removed when the command ends
(the real Octopus key, account and caches are copied in, and what Octopus answered is copied
back: real data; the site's budget, lease and journal never are).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import SecretStr

from optimiser.config import Config
from optimiser.domain.clock import AcceleratedClock, Clock
from optimiser.domain.history import History
from optimiser.gateway import Gateway, GatewayApi, open_gateway
from optimiser.gateway.tls import TlsPolicy
from optimiser.live import read_recorded_history

if TYPE_CHECKING:
    from optimiser.gateway.v1r import V1rKey
    from simulations.emulator import GatewayEmulator

DEMO_HISTORY_DAYS = 14
DEMO_V1R_KEY_BITS = 2048
"""The embedded emulator's demo v1r key (made in memory; a real gateway expects 4096)."""


@contextmanager
def emulator_sandbox(config: Config) -> Iterator[Config]:
    """``config`` unchanged for a real gateway; for the embedded emulator, ``config`` with its
    state directory and recorder database in a throw-away directory (whatever the config or
    ``$WATTPLAN_STATE_DIR`` name), so emulator samples, command budget, lease and dashboard
    journal never reach the real ones."""
    if not config.uses_emulator:
        yield config
        return
    real = config.state_dir.expanduser()
    with tempfile.TemporaryDirectory(prefix="wattplan-emulator-") as tmp:
        state = Path(tmp) / "state"
        _copy_real_data(real, state)
        recorder = config.recorder.model_copy(update={"database": Path(tmp) / "recordings.sqlite"})
        try:
            yield config.model_copy(update={"recorder": recorder, "state_dir": state})
        finally:
            _copy_real_data(state, real)


SITE_STATE_FILES = frozenset({"lease.json", "command-budget.json", "dashboard.json"})
"""What a site leaves in the state directory (the demo site's stay in its sandbox)."""


def _copy_real_data(source: Path, target: Path) -> None:
    """Copy what in a state directory is not about a site (the Octopus API key and account,
    tariff and weather caches: real data) from ``source`` to ``target``, modes kept."""
    if not source.is_dir():
        return
    entries = [p for p in source.iterdir() if p.name not in SITE_STATE_FILES]
    if entries:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in entries:
        if path.is_dir():
            shutil.copytree(path, target / path.name, dirs_exist_ok=True)
        elif path.is_file():
            shutil.copy2(path, target / path.name)


def embedded_emulator(
    now: datetime | None = None, *, clock: Clock | None = None
) -> GatewayEmulator:
    """A (not yet started) demo emulator on a free loopback port, its clock at real time
    (or ``clock``, e.g. the accelerated clock of ``wattplan run --speed``).

    Driven by the demo household, the same data :func:`site_history` forecasts from.
    """
    from simulations.datasets import demo_trace
    from simulations.emulator import GatewayEmulator

    if clock is None:
        clock = AcceleratedClock(start=now or datetime.now(UTC), speed=1.0)
    start = clock.now()
    trace = demo_trace(start - timedelta(days=1), start + timedelta(days=7))
    return GatewayEmulator(clock=clock, trace=trace, host="127.0.0.1", port=0)


@contextmanager
def open_site(
    config: Config,
    *,
    username: str | None = None,
    clock: Clock | None = None,
    v1r_key: V1rKey | None = None,
) -> Iterator[Gateway]:
    """The configured gateway, or the embedded emulator when none is configured.

    The emulator's fresh certificate is pinned in memory and its customer (or installer)
    password used; ``clock`` drives it (ignored for a real gateway). ``v1r_key`` is
    registered with the emulator already verified, as after ``wattplan pair``.
    """
    if config.gateway is not None:
        with open_gateway(config, username=username) as gateway:
            yield gateway
        return
    emulator = embedded_emulator(clock=clock).start()
    if v1r_key is not None:
        emulator.authorize_key(v1r_key.public_der)
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


def demo_v1r_key(config: Config) -> V1rKey | None:
    """A fresh in-memory v1r key for the embedded emulator with ``control.backend: v1r``
    (no pairing, no key file); None otherwise."""
    if not config.uses_emulator or config.control.backend != "v1r":
        return None
    from optimiser.gateway.v1r import V1rKey

    return V1rKey.generate(DEMO_V1R_KEY_BITS)


def site_history(config: Config, now: datetime) -> History | None:
    """Load and solar before ``now``: the demo household's fortnight for the embedded
    emulator (a newcomer has no recordings yet), else the recorder's database, if any."""
    if config.uses_emulator:
        from simulations.datasets import demo_trace

        trace = demo_trace(now - timedelta(days=DEMO_HISTORY_DAYS), now, step_minutes=5)
        return trace
    return read_recorded_history(config)
