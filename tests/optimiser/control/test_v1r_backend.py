"""The v1r backend against the HTTPS gateway emulator at night (the house draws from the
battery): changes confirmed by the battery's flows, a write stored but not acted on reported
or made again through the Fleet emulator, the gateway's faults turned into the control error
policy, the hourly write rate kept, the private key never shown."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from optimiser.config import Config
from optimiser.control import CommandBudget, FleetBackend, FleetClient, TokenSource
from optimiser.control.backends.v1r import V1rBackend
from optimiser.control.behaviour import Expectation
from optimiser.control.capabilities import BackendName
from optimiser.control.errors import ControlNotPermitted, ControlUnavailable
from optimiser.control.factory import backend_from_config
from optimiser.control.write_rate import WriteRate
from optimiser.domain.device import ExportRule, OperationMode, Settings
from optimiser.gateway import Gateway
from optimiser.gateway.errors import KeyFileError
from optimiser.gateway.v1r import V1rClient, V1rKey
from simulations.emulator import FaultKind, GatewayEmulator
from simulations.fleet_emulator import FleetEmulator
from tests.optimiser.gateway.conftest import CUSTOMER, FakeMonotonic, make_api, stepped_site
from tests.optimiser.gateway.v1r.keys import key_named

NIGHT = datetime(2026, 6, 1, 22, 0, tzinfo=UTC)
CHARGE = Settings(OperationMode.SELF_CONSUMPTION, 100.0, grid_charging=True)
SAFE = Settings(OperationMode.SELF_CONSUMPTION, 20.0)


@pytest.fixture
def emulator():
    with GatewayEmulator(stepped_site(NIGHT), customer_password=CUSTOMER) as emu:
        emu.authorize_key(key_named().public_der)
        yield emu


@pytest.fixture
def gateway(emulator):
    with Gateway(make_api(emulator, monotonic=FakeMonotonic())) as gw:
        yield gw


def backend(emulator, gateway, *, key: V1rKey | None = None, **kw) -> V1rBackend:
    clock = emulator.site.clock
    client = V1rClient(gateway.api, key or key_named(), clock=clock)
    kw.setdefault("rate", WriteRate(6))
    return V1rBackend(client, gateway, clock=clock, **kw)


def hold_at(emulator) -> Settings:
    """Hold: the reserve at the state of charge, rounded up (app scale)."""
    soc_app = (emulator.site.snapshot().state.soe_kwh / emulator.site.spec.capacity_kwh) * 100
    return Settings(OperationMode.SELF_CONSUMPTION, float(int(soc_app) + 1), grid_charging=False)


def test_capabilities_are_v1r_s_any_reserve_grid_and_export_no_daily_quota(emulator, gateway):
    caps = backend(emulator, gateway, rate=WriteRate(4)).capabilities
    assert caps.backend is BackendName.V1R and caps.writes_per_hour == 4
    assert caps.commands_per_day is None and not caps.fleet_reserve_rule
    assert caps.accepts_reserve(95.0) and caps.can_set_grid_charging and caps.can_set_export_rule
    assert not caps.can_upload_tariff  # config.json carries no tariff


def test_a_charge_is_one_write_and_confirmed_by_the_battery_charging(emulator, gateway):
    v1r = backend(emulator, gateway)
    report = v1r.apply(CHARGE, reason="charge")
    assert report.ok and emulator.v1r.writes == 1
    assert emulator.site.settings.backup_reserve_raw_percent == pytest.approx(100.0)
    assert v1r.checks == [(Expectation.CHARGE, True)] and v1r.confirmed == 1
    assert emulator.site.snapshot().flows.battery_kw < 0


def test_a_hold_is_confirmed_by_the_battery_not_discharging(emulator, gateway):
    v1r = backend(emulator, gateway)
    assert emulator.site.snapshot().flows.battery_kw > 0  # self-powering the night
    report = v1r.apply(hold_at(emulator), reason="hold")
    assert report.ok and v1r.checks == [(Expectation.HOLD, True)]


def test_a_write_stored_but_not_acted_on_is_reported_and_counted(emulator, gateway, caplog):
    emulator.v1r.store_only = True
    v1r = backend(emulator, gateway, behaviour_timeout_s=60, behaviour_poll_s=20)
    start = emulator.site.clock.now()
    with caplog.at_level(logging.WARNING):
        report = v1r.apply(CHARGE, reason="charge")
    assert report.after is not None and report.after.backup_reserve_app_percent == 100.0
    assert not report.ok and "stored, not acted on" in report.unconfirmed[0]
    assert "not acted on" in report.describe()
    assert v1r.unacted == 1 and v1r.checks == [(Expectation.CHARGE, False)]
    assert (emulator.site.clock.now() - start).total_seconds() == pytest.approx(60.0)  # bounded
    assert "stored, not acted on" in caplog.text
    emulator.v1r.open_app()
    assert emulator.site.snapshot().flows.battery_kw < 0  # the owner opened the app


def test_a_write_not_acted_on_is_made_again_through_fleet_when_configured(
    emulator, gateway, tmp_path
):
    emulator.v1r.store_only = True
    with FleetEmulator(emulator.site, clock=emulator.site.clock) as fleet:
        token = tmp_path / "token.json"
        token.write_text(json.dumps({"access_token": fleet.access_token}))
        client = FleetClient(fleet.url, fleet.site_id, TokenSource(token_file=token), 5)
        budget = CommandBudget(20, tmp_path / "budget.json", safety_reserve=3)
        fallback = FleetBackend(client, budget, clock=emulator.site.clock.now)
        v1r = backend(emulator, gateway, fallback=fallback, behaviour_timeout_s=40)
        report = v1r.apply(CHARGE, reason="charge")
        assert fleet.post_count() >= 1
    assert report.ok and v1r.unacted == 1 and v1r.fell_back == 1
    assert any("made again through fleet" in note for note in report.notes)
    assert emulator.site.snapshot().flows.battery_kw < 0


def test_gateway_unreachable_mid_change_reports_the_error_and_changes_nothing(emulator, gateway):
    emulator.faults.add(FaultKind.RESET, path="/tedapi/v1r", skip=1, count=3)
    before = emulator.site.settings
    report = backend(emulator, gateway).apply(CHARGE, reason="charge")
    assert not report.ok and report.errors and report.sent
    assert emulator.site.settings == before


def test_gateway_unreachable_before_a_change_is_control_unavailable(emulator, gateway):
    emulator.stop()
    with pytest.raises(ControlUnavailable, match="v1r"):
        backend(emulator, gateway).apply(SAFE, reason="safe")


def test_a_429_backs_off_without_calling_the_gateway_again(emulator, gateway):
    v1r = backend(emulator, gateway)
    emulator.faults.add(FaultKind.STATUS, code=429, path="/tedapi/v1r", skip=1, count=1)
    report = v1r.apply(CHARGE, reason="charge")  # read, then the write answered 429
    assert not report.ok and "429" in report.errors[0] and report.after is None
    seen = emulator.v1r.reads + emulator.v1r.writes
    with pytest.raises(ControlUnavailable):  # still cooling down: fails fast
        v1r.apply(CHARGE, reason="charge again")
    assert emulator.v1r.reads + emulator.v1r.writes == seen


def test_an_unknown_key_stops_with_the_pairing_hint(emulator, gateway):
    with pytest.raises(ControlNotPermitted) as caught:
        backend(emulator, gateway, key=key_named("stranger")).apply(CHARGE, reason="charge")
    assert "wattplan pair" in caught.value.hint


def test_a_pending_key_stops_telling_to_switch_the_powerwall_off_and_on(emulator, gateway):
    pending = V1rKey.generate(1024)
    emulator.site.authorized_clients.register(pending.public_der)
    with pytest.raises(ControlNotPermitted) as caught:
        backend(emulator, gateway, key=pending).apply(CHARGE, reason="charge")
    assert "switch the Powerwall off" in caught.value.hint


def test_the_write_rate_skips_changes_and_keeps_the_last_write_for_a_revert(emulator, gateway):
    v1r = backend(emulator, gateway, rate=WriteRate(2, safety_reserve=1))
    assert v1r.apply(CHARGE, reason="charge").ok
    skipped = v1r.apply(hold_at(emulator), reason="hold")
    assert skipped.skipped and not skipped.sent
    assert v1r.apply(SAFE, reason="revert", safety=True).ok
    assert emulator.v1r.writes == 2


def test_export_rule_and_mode_in_one_write(emulator, gateway):
    target = Settings(OperationMode.AUTONOMOUS, 30.0, export_rule=ExportRule.BATTERY_OK)
    report = backend(emulator, gateway).apply(target, reason="export")
    assert report.ok and emulator.v1r.writes == 1 and len(report.sent) == 3
    assert emulator.site.settings.export_rule is ExportRule.BATTERY_OK


def test_the_private_key_never_shows_in_logs_errors_or_reports(emulator, gateway, caplog):
    from cryptography.hazmat.primitives import serialization

    stranger = key_named("stranger")
    secret = stranger._private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body = "".join(secret.splitlines()[1:-1])
    emulator.v1r.store_only = True
    with caplog.at_level(logging.DEBUG):
        report = backend(emulator, gateway, behaviour_timeout_s=20).apply(CHARGE, reason="x")
        with pytest.raises(ControlNotPermitted) as caught:
            backend(emulator, gateway, key=stranger).apply(CHARGE, reason="y")
    shown = caplog.text + str(caught.value) + repr(caught.value) + repr(report)
    for chunk in (body[i : i + 40] for i in range(0, len(body), 40)):
        assert chunk not in shown


def test_the_factory_builds_v1r_from_the_key_file(emulator, gateway, tmp_path):
    key_file = tmp_path / "v1r-key.pem"
    key_named().save(key_file)
    config = Config(control={"backend": "v1r", "v1r": {"key_file": key_file}})
    built = backend_from_config(
        config, gateway=gateway, state_dir=tmp_path, v1r_clock=emulator.site.clock
    )
    assert isinstance(built, V1rBackend) and built.capabilities.writes_per_hour == 6
    assert built.read().backup_reserve_app_percent == pytest.approx(20.0)
    missing = Config(control={"backend": "v1r", "v1r": {"key_file": tmp_path / "none.pem"}})
    with pytest.raises(KeyFileError, match="no v1r key file"):
        backend_from_config(missing, gateway=gateway, state_dir=tmp_path)
