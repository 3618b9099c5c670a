"""pypowerwall's own v1r client (a real third-party client) drives the emulator.

pypowerwall signs with the wall clock, so the emulated site runs on real time here; the
house is flat (0.5 kW load, no sun) so what the battery does follows from the settings
alone. pypowerwall's v1r session sets ``verify=False``, which requests overrides with
``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` when they are set; the test clears them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pypowerwall
import pytest

from optimiser.domain.clock import RealClock
from optimiser.domain.device import ExportRule, OperationMode, Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.domain.traces import Trace
from simulations.emulator import EmulatedSite, GatewayEmulator
from tests.optimiser.gateway.conftest import CUSTOMER
from tests.optimiser.gateway.v1r.keys import key_named


def flat_house_now() -> EmulatedSite:
    start = datetime.now(UTC).timestamp()
    trace = Trace(np.array([start - 3600, start + 3600]), np.array([0.5, 0.5]), np.zeros(2))
    return EmulatedSite(
        PowerwallSpec.powerwall2(1),
        PowerwallState(soe_kwh=8.1),  # 60 % raw
        Settings(backup_reserve_app_percent=20.0),
        trace,
        RealClock(),
    )


@pytest.fixture
def emulator() -> Iterator[GatewayEmulator]:
    with GatewayEmulator(flat_house_now(), customer_password=CUSTOMER) as emu:
        yield emu


def battery_kw(emulator: GatewayEmulator) -> float:
    emulator.site.advance()
    return emulator.site.flows.battery_kw


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_pypowerwall_reads_config_sets_reserve_and_mode_and_the_powerwall_follows(
    emulator, tmp_path, monkeypatch
):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    key_file = tmp_path / "tedapi_rsa_private.pem"
    key_named().save(key_file)
    emulator.authorize_key(key_named().public_der)
    pw = pypowerwall.Powerwall(
        host=f"127.0.0.1:{emulator.port}",
        password=CUSTOMER,
        rsa_key_path=str(key_file),
        cachefile=str(tmp_path / ".powerwall"),
        auto_select=False,
        failover=False,
        pwcacheexpire=0,
        timeout=5,
    )
    assert pw.tedapi_mode == "v1r"

    assert pw.get_mode() == "self_consumption"
    assert pw.get_reserve(scale=False) == pytest.approx(24.0)
    assert pw.get_reserve() == pytest.approx(20.0)
    assert battery_kw(emulator) == pytest.approx(0.5, abs=0.01)  # covering the house

    assert pw.set_reserve(100) is not None
    assert emulator.site.settings.backup_reserve_raw_percent == pytest.approx(100.0)
    assert battery_kw(emulator) < -0.5  # below the reserve: charging from the grid

    pw.set_reserve(0)
    assert pw.set_mode("backup") is not None
    assert emulator.site.settings.mode is OperationMode.BACKUP
    assert battery_kw(emulator) < -0.5  # backup keeps the battery full

    assert pw.set_grid_export("battery_ok")
    assert pw.set_grid_charging(False)
    assert pw.get_grid_export() == "battery_ok" and pw.get_grid_charging() is False
    assert emulator.site.settings.export_rule is ExportRule.BATTERY_OK
    assert emulator.site.settings.grid_charging is False
    assert emulator.v1r.writes == 5
    assert not emulator.v1r.refusals  # nothing refused: signatures, DIN, expiry all good


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_pypowerwall_with_an_unconfirmed_key_writes_nothing(emulator, tmp_path, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    key_file = tmp_path / "tedapi_rsa_private.pem"
    key_named("pending").save(key_file)
    emulator.site.authorized_clients.register(key_named("pending").public_der)
    with pytest.warns(UserWarning, match="not yet VERIFIED"):
        pw = pypowerwall.Powerwall(
            host=f"127.0.0.1:{emulator.port}",
            password=CUSTOMER,
            rsa_key_path=str(key_file),
            cachefile=str(tmp_path / ".powerwall"),
            auto_select=False,
            failover=False,
            pwcacheexpire=0,
            timeout=5,
        )
    pw.set_reserve(100)
    assert emulator.site.settings.backup_reserve_raw_percent == pytest.approx(24.0)
    assert emulator.v1r.writes == 0
    assert emulator.v1r.refusals["not verified"] >= 1
