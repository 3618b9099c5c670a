"""V1rClient against the HTTPS emulator: settings read and changed over signed messages,
each refusal translated into the gateway's error tree, the hash lock kept."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import ExportRule, OperationMode
from optimiser.gateway import GatewayError, GatewayUnavailable, ProtocolError, RateLimited
from optimiser.gateway.errors import (
    ConfigChanged,
    KeyNotRecognised,
    KeyNotVerified,
    MessageExpired,
    SignatureRejected,
)
from optimiser.gateway.v1r import SettingsChange, V1rClient, V1rKey
from simulations.emulator import FaultKind
from tests.optimiser.gateway.conftest import FakeMonotonic, make_api
from tests.optimiser.gateway.v1r.keys import key_named


def client(emulator, key: V1rKey | None = None, **kw) -> V1rClient:
    kw.setdefault("clock", emulator.site.clock)
    return V1rClient(
        make_api(emulator, monotonic=kw.pop("monotonic", None)), key or key_named(), **kw
    )


@pytest.fixture
def paired(emulator):
    emulator.authorize_key(key_named().public_der)
    return emulator


def test_reads_the_settings_on_the_app_scale(paired):
    paired.site.apply(replace(paired.site.settings, backup_reserve_app_percent=20.0))
    settings = client(paired).settings()
    assert settings.mode is OperationMode.SELF_CONSUMPTION
    assert settings.backup_reserve_app_percent == pytest.approx(20.0)
    assert settings.grid_charging is True and settings.export_rule is ExportRule.PV_ONLY


def test_a_change_lands_on_the_powerwall_and_reserve_100_is_not_capped(paired):
    v1r = client(paired)
    change = SettingsChange(
        mode=OperationMode.AUTONOMOUS,
        backup_reserve_app_percent=100.0,
        grid_charging=True,
        export_rule=ExportRule.BATTERY_OK,
    )
    after = v1r.change(change)
    assert change.is_done_in(after)
    site = paired.site.settings
    assert (site.mode, site.backup_reserve_raw_percent, site.export_rule) == (
        OperationMode.AUTONOMOUS,
        100.0,
        ExportRule.BATTERY_OK,
    )
    writes = v1r.writes
    v1r.change(change)  # already so: read, no write
    assert v1r.writes == writes


def test_the_din_is_read_once_with_the_customer_login(paired):
    v1r = client(paired)
    v1r.settings()
    v1r.settings()
    assert v1r.din == "1232100-00-E--TG123456789ABC"
    assert paired.logins == 1


def test_a_stale_hash_is_re_read_and_the_change_made_on_top_of_the_apps(paired):
    paired.v1r.edit_after_reads(lambda s: replace(s, export_rule=ExportRule.NEVER))
    v1r = client(paired)
    v1r.change(SettingsChange(backup_reserve_app_percent=50.0))
    site = paired.site.settings
    assert site.export_rule is ExportRule.NEVER  # the app's change survives
    assert site.backup_reserve_raw_percent == pytest.approx(52.5)  # and ours is made
    assert v1r.conflicts == 1


def test_a_hash_stale_twice_raises_config_changed_and_overwrites_nothing(paired):
    paired.v1r.edit_after_reads(lambda s: replace(s, grid_charging=not s.grid_charging), reads=3)
    before = paired.site.settings.backup_reserve_raw_percent
    with pytest.raises(ConfigChanged, match="twice in a row"):
        client(paired).change(SettingsChange(backup_reserve_app_percent=50.0))
    assert paired.site.settings.backup_reserve_raw_percent == before
    assert paired.v1r.refusals["stale hash"] == 2


def test_an_unregistered_key_is_key_not_recognised_with_the_pairing_hint(paired):
    with pytest.raises(KeyNotRecognised) as caught:
        client(paired, key_named("stranger")).settings()
    assert caught.value.fault == 3 and "wattplan pair" in caught.value.hint


def test_a_pending_key_is_key_not_verified_telling_to_power_cycle(emulator):
    emulator.site.authorized_clients.register(key_named().public_der)
    with pytest.raises(KeyNotVerified) as caught:
        client(emulator).settings()
    assert "switch the Powerwall off" in caught.value.hint
    emulator.power_cycle()
    client(emulator).settings()


def test_a_signature_for_another_gateway_is_signature_rejected(paired):
    with pytest.raises(SignatureRejected, match="INVALID_SIGNATURE"):
        client(paired, din="1232100-00-E--TG000000000000").settings()


@pytest.mark.parametrize("skew_s", [-30, 300])
def test_clock_skew_is_message_expired_naming_both_times(paired, skew_s):
    skewed = SteppedClock(paired.site.clock.now() + timedelta(seconds=skew_s))
    with pytest.raises(MessageExpired) as caught:
        client(paired, clock=skewed).settings()
    assert "NTP" in caught.value.hint
    assert skewed.now().isoformat(timespec="seconds") in str(caught.value)


def test_429_cools_down_without_calling_again(paired):
    paired.faults.add(FaultKind.STATUS, code=429, path="/tedapi/v1r", count=1)
    monotonic = FakeMonotonic()
    v1r = client(paired, monotonic=monotonic)
    with pytest.raises(RateLimited):
        v1r.settings()
    posts = paired.api.requests.copy()
    with pytest.raises(RateLimited):
        v1r.settings()
    assert paired.api.requests == posts
    monotonic.value += 301
    v1r.settings()


def test_unreachable_between_read_and_write_raises_unavailable_and_changes_nothing(paired):
    paired.faults.add(FaultKind.RESET, path="/tedapi/v1r", skip=1, count=1)
    before = paired.site.settings
    v1r = client(paired)
    with pytest.raises(GatewayUnavailable):
        v1r.change(SettingsChange(mode=OperationMode.BACKUP))
    assert paired.site.settings == before
    v1r.change(SettingsChange(mode=OperationMode.BACKUP))
    assert paired.site.settings.mode is OperationMode.BACKUP


def test_a_stored_but_not_acted_write_reads_back_right(paired):
    paired.v1r.store_only = True
    v1r = client(paired)
    v1r.change(SettingsChange(mode=OperationMode.BACKUP))
    assert v1r.settings().mode is OperationMode.BACKUP  # read-back alone cannot tell
    assert paired.site.settings.mode is OperationMode.SELF_CONSUMPTION


def test_an_endpoint_missing_on_old_firmware_is_a_protocol_error(paired):
    paired.faults.add(FaultKind.STATUS, code=404, path="/tedapi/v1r")
    with pytest.raises(ProtocolError, match="404"):
        client(paired).settings()


def test_the_private_key_never_appears_in_errors_or_logs(paired, caplog, tmp_path):
    key = key_named("stranger")
    key.save(tmp_path / "key.pem")
    secret = (tmp_path / "key.pem").read_text().splitlines()[1:-1]
    caplog.set_level(logging.DEBUG)
    texts = [repr(key), str(key)]
    for make in (
        lambda: client(paired, key).settings(),
        lambda: client(paired, key, din="OTHER").settings(),
        lambda: client(paired, key, clock=SteppedClock(paired.site.clock.now())).change(
            SettingsChange(mode=OperationMode.BACKUP)
        ),
    ):
        with pytest.raises(GatewayError) as caught:
            make()
        texts += [str(caught.value), repr(caught.value), caught.value.hint or ""]
    texts.append(caplog.text)
    for line in secret:
        assert all(line not in text for text in texts)
