"""``wattplan pair`` against the Fleet emulator: the key is made 0600, registered, and the
state followed until the owner power-cycles the Powerwall, or the bounded wait ends."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import pytest

from optimiser.cli import main
from optimiser.cli.pair_cmd import pair
from optimiser.config import Config, ConfigError
from optimiser.domain.clock import SteppedClock
from optimiser.gateway.errors import PairingFailed
from optimiser.gateway.v1r import V1rKey
from optimiser.gateway.v1r.pairing import KeyState
from simulations.fleet_emulator import FleetEmulator, FleetEndpoint
from tests.optimiser.cli.conftest import write_config
from tests.optimiser.gateway.v1r.keys import TEST_KEY_BITS, key_named
from tests.simulations.fleet_emulator.conftest import START, flat_site


class Owner(SteppedClock):
    """The pair command's clock; the owner power-cycles the Powerwall ``after`` into it."""

    def __init__(self, emulator: FleetEmulator, after: timedelta | None) -> None:
        super().__init__(emulator.clock.now())
        self.emulator = emulator
        self.at = None if after is None else self.now() + after

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.emulator.clock.advance(timedelta(seconds=seconds))
        if self.at is not None and self.now() >= self.at:
            self.emulator.site.authorized_clients.power_cycle()
            self.at = None


@pytest.fixture
def fleet():
    clock = SteppedClock(START)
    with FleetEmulator(flat_site(clock), clock=clock) as emu:
        yield emu


def config_for(emu: FleetEmulator, tmp_path, **v1r) -> Config:
    token = tmp_path / "fleet-token.json"
    token.write_text(json.dumps({"access_token": emu.access_token}))
    return Config.model_validate(
        {
            "control": {
                "fleet": {"base_url": emu.url, "site_id": emu.site_id, "token_file": token},
                "v1r": {"key_file": tmp_path / "keys" / "v1r.pem", **v1r},
            }
        }
    )


def test_pairing_creates_a_0600_key_registers_it_and_waits_for_the_power_cycle(fleet, tmp_path):
    config = config_for(fleet, tmp_path, pairing_poll_s=10)
    said: list[str] = []
    paired = pair(
        config, clock=Owner(fleet, timedelta(seconds=45)), key_bits=TEST_KEY_BITS, say=said.append
    )
    assert paired.state is KeyState.VERIFIED and paired.created
    assert stat.S_IMODE(paired.key_file.stat().st_mode) == 0o600
    key = V1rKey.load(paired.key_file)
    assert fleet.site.authorized_clients.state(key.public_der) is KeyState.VERIFIED
    assert any("switch the Powerwall off for about 15 seconds" in line for line in said)
    polls = [p for m, p, _ in fleet.requests if p == FleetEndpoint.COMMAND]
    assert len(polls) == 1 + 5  # register, then a poll every 10 s until 50 s


def test_an_existing_key_is_reused_and_an_already_verified_key_needs_no_wait(fleet, tmp_path):
    config = config_for(fleet, tmp_path)
    key_named().save(config.control.v1r.key_file)
    fleet.site.authorized_clients.authorize(key_named().public_der)
    paired = pair(config, clock=Owner(fleet, None), key_bits=TEST_KEY_BITS, say=lambda _: None)
    assert paired.state is KeyState.VERIFIED and not paired.created
    assert paired.fingerprint == key_named().fingerprint


def test_our_timeout_bounds_the_wait_when_nobody_power_cycles(fleet, tmp_path):
    config = config_for(fleet, tmp_path, pairing_timeout_s=120, pairing_poll_s=10)
    clock = Owner(fleet, None)
    start = clock.now()
    with pytest.raises(PairingFailed, match="still pending after 120 s") as caught:
        pair(config, clock=clock, key_bits=TEST_KEY_BITS, say=lambda _: None)
    assert caught.value.state == KeyState.PENDING
    assert clock.now() - start == timedelta(seconds=120)
    assert "wattplan pair` again" in caught.value.hint


def test_the_gateways_window_closing_ends_pairing_and_pairing_again_reopens_it(fleet, tmp_path):
    config = config_for(fleet, tmp_path, pairing_timeout_s=3600, pairing_poll_s=60)
    with pytest.raises(PairingFailed, match="reports the key timed out") as caught:
        pair(config, clock=Owner(fleet, None), key_bits=TEST_KEY_BITS, say=lambda _: None)
    assert caught.value.state == KeyState.TIMED_OUT
    paired = pair(
        config, clock=Owner(fleet, timedelta(seconds=60)), key_bits=TEST_KEY_BITS, say=print
    )
    assert paired.state is KeyState.VERIFIED and not paired.created


def test_a_rate_limited_poll_waits_and_carries_on(fleet, tmp_path):
    config = config_for(fleet, tmp_path, pairing_poll_s=10)
    clock = Owner(fleet, timedelta(seconds=30))
    real_sleep = clock.sleep
    calls = []

    def sleep(seconds: float) -> None:
        calls.append(seconds)
        if len(calls) == 1:
            fleet.faults.answer[FleetEndpoint.COMMAND] = 429
        elif len(calls) == 2:
            del fleet.faults.answer[FleetEndpoint.COMMAND]
        real_sleep(seconds)

    clock.sleep = sleep
    paired = pair(config, clock=clock, key_bits=TEST_KEY_BITS, say=lambda _: None)
    assert paired.state is KeyState.VERIFIED
    assert calls[:2] == [10, 60]  # the poll, then the emulator's Retry-After


def test_pairing_needs_the_fleet_site(tmp_path):
    with pytest.raises(ConfigError, match=r"control\.fleet\.site_id"):
        pair(Config(), clock=SteppedClock(START), key_bits=TEST_KEY_BITS, say=print)


def test_cli_json_shows_the_fingerprint_and_never_the_key(fleet, tmp_path, env, capsys):
    key_named().save(tmp_path / "v1r.pem")
    fleet.site.authorized_clients.authorize(key_named().public_der)
    token = tmp_path / "fleet-token.json"
    token.write_text(json.dumps({"access_token": fleet.access_token}))
    config = write_config(
        tmp_path,
        f"control:\n  fleet:\n    base_url: {fleet.url}\n    site_id: '{fleet.site_id}'\n"
        f"    token_file: {token}\n  v1r:\n    key_file: {tmp_path / 'v1r.pem'}\n",
    )
    assert main(["--config", str(config), "pair", "--json"]) == 0
    out = capsys.readouterr()
    shown = json.loads(out.out)
    assert shown["fingerprint_sha256"] == key_named().fingerprint
    assert shown["state"] == "verified" and shown["created"] is False
    secret = (tmp_path / "v1r.pem").read_text().splitlines()[1:-1]
    assert all(line not in out.out + out.err for line in secret)


def test_cli_pairing_timeout_exits_1_with_the_hint(fleet, tmp_path, env, capsys):
    token = tmp_path / "fleet-token.json"
    token.write_text(json.dumps({"access_token": fleet.access_token}))
    config = write_config(
        tmp_path,
        f"control:\n  fleet:\n    base_url: {fleet.url}\n    site_id: '{fleet.site_id}'\n"
        f"    token_file: {token}\n  v1r:\n    key_file: {tmp_path / 'new.pem'}\n"
        "    pairing_timeout_s: 0.05\n    pairing_poll_s: 0.05\n",
    )
    argv = ["--config", str(config), "pair", "--key-bits", str(TEST_KEY_BITS)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "still pending after 0 s" in err and "hint: run `wattplan pair` again" in err
    assert stat.S_IMODE((tmp_path / "new.pem").stat().st_mode) == 0o600
