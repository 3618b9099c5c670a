"""pypowerwall (PyPI), the most used gateway library, reads the emulator correctly.

pypowerwall takes ``host`` as ``address[:port]`` (it defaults to 443 only when no port is
given), logs in with a form body, keeps the cookies, and calls with ``verify=False``. Its
``cachefile`` would land in the working directory, so it goes to ``tmp_path``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pypowerwall
import pytest

from tests.optimiser.gateway.conftest import CUSTOMER


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("authmode", ["cookie", "token"])
def test_pypowerwall_reads_flows_soe_grid_mode_reserve(emulator, tmp_path, authmode):
    emulator.site.clock.advance(timedelta(hours=1))
    emulator.site.apply(replace(emulator.site.settings, backup_reserve_app_percent=20.0))
    pw = pypowerwall.Powerwall(
        host=f"127.0.0.1:{emulator.port}",
        password=CUSTOMER,
        email="me@example.com",
        timezone="Europe/London",
        cachefile=str(tmp_path / ".powerwall"),
        authmode=authmode,
        auto_select=False,
        failover=False,
        pwcacheexpire=0,
        timeout=5,
    )
    assert pw.is_connected()
    snap = emulator.site.snapshot()
    power = pw.power()
    assert power["site"] == pytest.approx(snap.flows.grid_kw * 1000, abs=1)
    assert power["battery"] == pytest.approx(snap.flows.battery_kw * 1000, abs=1)
    assert power["solar"] == pytest.approx(snap.flows.solar_kw * 1000, abs=1)
    assert power["load"] == pytest.approx(power["site"] + power["battery"] + power["solar"])
    assert power["solar"] > 500
    assert pw.level() == pytest.approx(100 * snap.state.soe_kwh / snap.spec.capacity_kwh)
    assert pw.level(scale=True) == pytest.approx((pw.level() - 5) / 0.95)
    assert pw.grid_status() == "UP"
    assert pw.get_mode() == "self_consumption"
    assert pw.get_reserve(scale=False) == pytest.approx(24.0)
    assert pw.get_reserve() == pytest.approx((24.0 - 5) / 0.95)
    assert pw.site_name() == "wattplan demo home"
    emulator.site.cut_power()
    pw2 = pypowerwall.Powerwall(
        host=f"127.0.0.1:{emulator.port}",
        password=CUSTOMER,
        cachefile=str(tmp_path / ".powerwall2"),
        auto_select=False,
        failover=False,
        pwcacheexpire=0,
    )
    assert pw2.grid_status() == "DOWN"
