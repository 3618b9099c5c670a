"""The gateway client against the HTTPS emulator: readings, auth, control, islanding."""

from __future__ import annotations

from datetime import timedelta

import pytest

from optimiser.domain.device import OperationMode
from optimiser.gateway import AccessDenied, AuthenticationError, Gateway, LoginLockedOut
from optimiser.gateway.models import SiteState
from simulations.emulator import GatewayEmulator
from tests.optimiser.gateway.conftest import CUSTOMER, INSTALLER, make_api, stepped_site


def test_site_state_is_self_consistent(gateway: Gateway, emulator):
    emulator.site.clock.advance(timedelta(hours=1))  # 13:00, solar shining
    state = gateway.site_state()
    assert isinstance(state, SiteState)
    assert state.time.utcoffset() == timedelta(0)
    assert state.capacity_kwh == pytest.approx(13.5)
    assert state.soc_percent == pytest.approx(100 * state.soe_kwh / state.capacity_kwh)
    assert state.app_percent == pytest.approx((state.soc_percent - 5) / 0.95)
    assert state.load_kw == pytest.approx(state.site_kw + state.battery_kw + state.solar_kw)
    assert state.solar_kw > 0.5
    assert state.mode is OperationMode.SELF_CONSUMPTION
    assert state.grid_up and state.grid_status == "SystemGridConnected"
    assert state.max_charge_kw == 5.0
    snap = emulator.site.snapshot()
    assert state.soe_kwh == pytest.approx(snap.state.soe_kwh)
    assert state.battery_charged_kwh == pytest.approx(snap.state.charged_kwh)
    assert state.round_trip_efficiency == pytest.approx(
        snap.state.discharged_kwh / snap.state.charged_kwh
    )


def test_relogin_after_token_expiry(gateway: Gateway, emulator):
    gateway.operation()
    assert gateway.api.logins == 1
    emulator.expire_tokens()
    assert gateway.operation().real_mode is OperationMode.SELF_CONSUMPTION
    assert gateway.api.logins == 2
    assert emulator.logins == 2


def test_relogin_after_token_lifetime():
    with GatewayEmulator(stepped_site(), customer_password=CUSTOMER, token_lifetime_s=600) as emu:
        api = make_api(emu)
        api.get_operation()
        emu.site.clock.advance(timedelta(minutes=11))
        api.get_operation()
    assert api.logins == 2 and emu.logins == 2


def test_wrong_password_stops_before_the_gateway_locks_out(emulator):
    gateway = Gateway(make_api(emulator, password="WRONG", max_login_attempts=3))
    raised = []
    for _ in range(10):
        with pytest.raises(AuthenticationError) as info:
            gateway.site_state()
        raised.append(type(info.value))
    assert raised[:2] == [AuthenticationError, AuthenticationError]
    assert set(raised[2:]) == {LoginLockedOut}
    assert "check the gateway password" in (info.value.hint or "")
    assert emulator.bad_logins == 3  # no storm: the gateway saw three attempts only
    make_api(emulator).get_operation()  # and it is not locked for the right password


def test_customer_control_is_denied_with_an_explanation(gateway: Gateway, emulator):
    gateway.site_state()
    logins = emulator.logins
    with pytest.raises(AccessDenied) as info:
        gateway.set_operation(OperationMode.BACKUP, 80.0)
    assert emulator.logins == logins, "a role denial must not open another session"
    assert "installer" in info.value.hint and "Fleet" in info.value.hint
    assert emulator.site.settings.mode is OperationMode.SELF_CONSUMPTION
    assert emulator.sitemaster_running


def test_installer_sequence_changes_mode_and_reserve(emulator):
    gateway = Gateway(make_api(emulator, password=INSTALLER, username="installer"))
    operation = gateway.set_operation(OperationMode.AUTONOMOUS, 42.5)
    assert operation.real_mode is OperationMode.AUTONOMOUS
    assert operation.backup_reserve_percent == 42.5
    assert emulator.site.settings.mode is OperationMode.AUTONOMOUS
    assert emulator.sitemaster_running
    assert gateway.sitemaster().running


def test_backup_mode_through_installer_charges_from_grid(emulator):
    gateway = Gateway(make_api(emulator, password=INSTALLER, username="installer"))
    emulator.site.clock.advance(timedelta(hours=8))  # 20:00, no solar
    gateway.set_operation(OperationMode.BACKUP, 100.0)
    emulator.site.clock.advance(timedelta(minutes=10))
    state = gateway.site_state()
    assert state.battery_kw < 0  # charging toward full
    assert state.site_kw > state.load_kw


def test_islanding_takes_the_site_off_grid_and_back(gateway: Gateway, emulator):
    clock = emulator.site.clock
    clock.advance(timedelta(hours=8))
    assert gateway.set_island_mode(True) == {"island_mode": "backup"}
    clock.advance(timedelta(minutes=5))
    state = gateway.site_state()
    assert not state.grid_up and state.grid_status == "SystemIslandedActive"
    assert state.site_kw == 0 and state.battery_kw == pytest.approx(state.load_kw)
    gateway.set_island_mode(False)
    clock.advance(timedelta(minutes=5))
    assert gateway.site_state().grid_up


def test_power_cut_at_a_given_time(gateway: Gateway, emulator):
    clock = emulator.site.clock
    emulator.faults.power_cut(clock.now() + timedelta(minutes=10))
    clock.advance(timedelta(minutes=5))
    assert gateway.site_state().grid_up
    clock.advance(timedelta(minutes=10))
    state = gateway.site_state()
    assert state.grid_status == "SystemIslandedActive" and state.site_kw == 0


def test_typed_readings_of_every_endpoint(gateway: Gateway):
    assert gateway.status().version.startswith("23.")
    assert gateway.site_info().timezone == "Europe/London"
    assert len(gateway.powerwalls().powerwalls) == 1
    assert len(gateway.system_status().battery_blocks) == 1
    assert gateway.sitemaster().running
    assert gateway.api.get_system_status_grid_faults() == []


def test_server_name_powerwall_for_a_host_name(emulator):
    # The emulator refuses any TLS server name but an IP, teg, powerwall or powerpack.
    api = make_api(emulator, host="localhost")
    assert api.session.headers["Host"] == "powerwall"
    assert "real_mode" in api.get_operation()


@pytest.mark.parametrize("code", [401, 403])
def test_a_data_endpoint_refusing_a_fresh_session_is_a_gap_not_a_stop(emulator, code):
    # The password was accepted; the gateway refused this endpoint twice (before and right
    # after a new login): the recorder and the service must record a gap and carry on.
    from simulations.emulator.faults import FaultKind

    gateway = Gateway(make_api(emulator))
    gateway.site_state()
    emulator.faults.add(FaultKind.STATUS, code=code, count=2, path="/api/meters")
    with pytest.raises(Exception) as info:
        gateway.site_state()
    assert info.value.next_step.keeps_running, info.value
    assert isinstance(gateway.site_state(), SiteState)
