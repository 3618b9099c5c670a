"""Capture the gateway emulator's JSON into ``tests/data/gateway/`` (see ``tests/data/README.md``).

Each scenario starts the emulator on a stepped clock at a fixed instant, drives it through its
real HTTPS API with wattplan's raw endpoint layer (:class:`~optimiser.gateway.GatewayApi`),
and writes one file per endpoint, the body exactly as served. Deterministic: the default
house's day is seeded, so a re-run rewrites the same bytes unless the emulator changed.

Run from the repository root: ``.venv/bin/python tests/data/capture_gateway.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from optimiser.domain.clock import SteppedClock
from optimiser.gateway import GatewayApi, TlsPolicy
from simulations.emulator import GatewayEmulator
from simulations.emulator.gateway import default_site

OUT = Path(__file__).resolve().parent / "gateway"
PASSWORDS = {"customer": "ABCDE", "installer": "installer-pass"}
ENDPOINTS = (
    "/api/status",
    "/api/system_status",
    "/api/system_status/soe",
    "/api/system_status/grid_status",
    "/api/meters/aggregates",
    "/api/site_info",
    "/api/operation",
)


def _api(emulator: GatewayEmulator, username: str) -> GatewayApi:
    return GatewayApi(
        "127.0.0.1",
        emulator.port,
        policy=TlsPolicy("127.0.0.1", fingerprint=emulator.fingerprint_sha256),
        password=SecretStr(PASSWORDS[username]),
        username=username,
        timeout_s=5.0,
    )


def _sunny_noon(emulator: GatewayEmulator, clock: SteppedClock) -> None:
    """Self-powered at a 20 % app reserve; the sun covers the house and charges the battery."""
    clock.advance(timedelta(hours=2))


def _power_cut_evening(emulator: GatewayEmulator, clock: SteppedClock) -> None:
    """The grid went down at 18:30 UTC; at 19:00 the battery carries the house alone."""
    emulator.faults.power_cut(clock.now() + timedelta(hours=2, minutes=30))
    clock.advance(timedelta(hours=3))


def _backup_mode_night(emulator: GatewayEmulator, clock: SteppedClock) -> None:
    """An installer set backup mode at 01:00 UTC (legacy control sequence); an hour on, the
    battery charges from the grid towards full."""
    installer = _api(emulator, "installer")
    try:
        installer.get_sitemaster_stop()
        installer.post_operation("backup", 100.0)
        installer.get_config_completed()
        installer.get_sitemaster_run()
    finally:
        installer.close()
    clock.advance(timedelta(hours=1))


SCENARIOS: dict[str, tuple[datetime, Callable[[GatewayEmulator, SteppedClock], None]]] = {
    "sunny_noon": (datetime(2026, 6, 1, 10, 0, tzinfo=UTC), _sunny_noon),
    "power_cut_evening": (datetime(2026, 6, 1, 16, 0, tzinfo=UTC), _power_cut_evening),
    "backup_mode_night": (datetime(2026, 6, 2, 1, 0, tzinfo=UTC), _backup_mode_night),
}


def file_name(path: str) -> str:
    """``/api/system_status/soe`` → ``system_status_soe.json``."""
    return path.removeprefix("/api/").replace("/", "_") + ".json"


def capture(name: str) -> Path:
    """Run one scenario and write its payloads; returns the scenario's folder."""
    start, drive = SCENARIOS[name]
    clock = SteppedClock(start)
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    with GatewayEmulator(
        default_site(clock),
        customer_password=PASSWORDS["customer"],
        installer_password=PASSWORDS["installer"],
    ) as emulator:
        drive(emulator, clock)
        api = _api(emulator, "customer")
        try:
            for path in ENDPOINTS:
                body = api.request("GET", path)
                text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
                (folder / file_name(path)).write_text(text, encoding="utf-8")
        finally:
            api.close()
    return folder


def main() -> None:
    for name in SCENARIOS:
        print(f"wrote {capture(name).relative_to(Path.cwd())}")


if __name__ == "__main__":
    main()
