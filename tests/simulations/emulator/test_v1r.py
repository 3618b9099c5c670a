"""The emulator's TEDAPI v1r: signatures, keys, expiry, DIN, config.json and its hash lock.

Frames are built with wattplan's pure frame builders and posted raw, so each check of the
gateway's (signature, key state, expiry, personalisation) is seen as the bytes it answers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from optimiser.domain.device import ExportRule, OperationMode
from optimiser.gateway.v1r import frames
from optimiser.gateway.v1r.config_file import encode
from optimiser.gateway.v1r.messages import MessageEnvelope, MessageFault, RoutableMessage
from optimiser.gateway.v1r.pairing import KeyState
from optimiser.gateway.v1r.signing import expires_at
from simulations.emulator import payloads
from tests.optimiser.gateway.v1r.keys import key_named

DIN = payloads.DIN


def post(raw, emulator, inner: MessageEnvelope, *, key=None, din=DIN, expiry=None, mangle=None):
    """Sign ``inner`` and POST it; (HTTP status, body bytes)."""
    key = key or key_named()
    expiry = expiry if expiry is not None else expires_at(emulator.site.clock.now())
    frame = frames.sign_frame(key, din, inner, expiry)
    if mangle is not None:
        frame = mangle(frame)
    response = raw.post(
        "/tedapi/v1r", data=frame, headers={"Content-Type": "application/octet-stream"}
    )
    return response.status_code, response.content


def fault_of(body: bytes) -> MessageFault:
    frame = RoutableMessage()
    frame.ParseFromString(body)
    return MessageFault(frame.signed_message_status.message_fault)


def answer_of(body: bytes) -> MessageEnvelope:
    frame = RoutableMessage()
    frame.ParseFromString(body)
    assert frame.signed_message_status.message_fault == MessageFault.NONE
    inner = MessageEnvelope()
    inner.ParseFromString(frame.protobuf_message_as_bytes)
    return inner


def read_config(raw, emulator, **kw) -> tuple[dict, bytes]:
    status, body = post(raw, emulator, frames.read_config_request(DIN), **kw)
    assert status == 200
    response = answer_of(body).filestore.readFileResponse
    return json.loads(response.file.blob), bytes(response.hash)


@pytest.fixture
def paired(emulator):
    emulator.authorize_key(key_named().public_der)
    return emulator


def test_din_needs_a_login_and_answers_the_din_as_text(raw, emulator):
    assert raw.get("/tedapi/din").status_code == 401
    token = raw.login().json()["token"]
    response = raw.get("/tedapi/din", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.text == DIN


def test_config_read_shows_the_site_settings_on_the_raw_scale_with_the_hash_of_its_bytes(
    raw, paired
):
    paired.site.apply(replace(paired.site.settings, backup_reserve_app_percent=20.0))
    document, hash_ = read_config(raw, paired)
    assert document["default_real_mode"] == "self_consumption"
    assert document["site_info"]["backup_reserve_percent"] == 24.0
    assert document["vin"] == DIN
    assert hash_ == hashlib.sha256(encode(document)).digest()


def test_a_locked_update_changes_what_the_powerwall_does_and_keeps_unknown_keys(raw, paired):
    document, hash_ = read_config(raw, paired)
    document["default_real_mode"] = "autonomous"
    document["site_info"]["backup_reserve_percent"] = 100.0
    document["site_info"]["disallow_charge_from_grid_with_solar_installed"] = True
    document["site_info"]["customer_preferred_export_rule"] = "battery_ok"
    document["installer"] = {"company": "kept"}
    status, body = post(raw, paired, frames.update_config_request(DIN, encode(document), hash_))
    assert status == 200
    assert answer_of(body).filestore.WhichOneof("message") == "updateFileResponse"
    settings = paired.site.settings
    assert settings.mode is OperationMode.AUTONOMOUS
    assert settings.backup_reserve_raw_percent == 100.0
    assert settings.grid_charging is False
    assert settings.export_rule is ExportRule.BATTERY_OK
    again, _ = read_config(raw, paired)
    assert again["installer"] == {"company": "kept"}


def test_a_stale_hash_is_refused_and_changes_nothing(raw, paired):
    reserve = paired.site.settings.backup_reserve_raw_percent
    document, hash_ = read_config(raw, paired)
    paired.site.apply(replace(paired.site.settings, export_rule=ExportRule.NEVER))  # the app
    document["site_info"]["backup_reserve_percent"] = 80.0
    status, body = post(raw, paired, frames.update_config_request(DIN, encode(document), hash_))
    error = answer_of(body).common.error_response.status
    assert status == 200 and error.code == 9 and "hash" in error.message
    assert paired.site.settings.backup_reserve_raw_percent == reserve
    assert paired.site.settings.export_rule is ExportRule.NEVER


def test_an_unregistered_key_gets_unknown_key_id(raw, paired):
    status, body = post(raw, paired, frames.read_config_request(DIN), key=key_named("stranger"))
    assert status == 200 and fault_of(body) is MessageFault.UNKNOWN_KEY_ID


def test_a_pending_key_gets_not_verified_until_the_powerwall_is_power_cycled(raw, emulator):
    clients = emulator.site.authorized_clients
    assert clients.register(key_named().public_der) is KeyState.PENDING
    status, body = post(raw, emulator, frames.read_config_request(DIN))
    frame = RoutableMessage()
    frame.ParseFromString(body)
    assert status == 200 and frame.signed_message_status.message_fault == MessageFault.NONE
    assert frame.protobuf_message_as_bytes == b"v1r: client authorization not verified"
    assert emulator.power_cycle() == 1
    assert clients.state(key_named().public_der) is KeyState.VERIFIED
    read_config(raw, emulator)


def test_a_key_not_confirmed_within_ten_minutes_times_out_and_a_removed_key_is_unknown(
    raw, emulator
):
    clients = emulator.site.authorized_clients
    clients.register(key_named().public_der)
    emulator.site.clock.advance(timedelta(minutes=10, seconds=1))
    assert clients.state(key_named().public_der) is KeyState.TIMED_OUT
    assert emulator.power_cycle() == 0
    assert b"authorization not verified" in post(raw, emulator, frames.read_config_request(DIN))[1]
    assert clients.register(key_named().public_der) is KeyState.PENDING  # reopens the window
    clients.remove(key_named().public_der)
    assert clients.state(key_named().public_der) is KeyState.REMOVED
    _, body = post(raw, emulator, frames.read_config_request(DIN))
    assert fault_of(body) is MessageFault.UNKNOWN_KEY_ID


def test_a_tampered_signature_or_body_gets_invalid_signature(raw, paired):
    def flip_last_byte_of_signature(frame: bytes) -> bytes:
        message = RoutableMessage()
        message.ParseFromString(frame)
        signature = bytearray(message.signature_data.rsa_data.signature)
        signature[-1] ^= 1
        message.signature_data.rsa_data.signature = bytes(signature)
        return message.SerializeToString()

    def change_the_body(frame: bytes) -> bytes:
        message = RoutableMessage()
        message.ParseFromString(frame)
        inner = MessageEnvelope()
        inner.ParseFromString(message.protobuf_message_as_bytes)
        inner.filestore.readFileRequest.name = "other.json"
        message.protobuf_message_as_bytes = inner.SerializeToString()
        return message.SerializeToString()

    request = frames.read_config_request(DIN)
    for mangle in (flip_last_byte_of_signature, change_the_body):
        _, body = post(raw, paired, request, mangle=mangle)
        assert fault_of(body) is MessageFault.INVALID_SIGNATURE


def test_a_signature_for_another_din_is_invalid_and_a_message_for_another_din_is_refused(
    raw, paired
):
    _, body = post(raw, paired, frames.read_config_request("OTHER-DIN"), din="OTHER-DIN")
    assert fault_of(body) is MessageFault.INVALID_SIGNATURE
    _, body = post(raw, paired, frames.read_config_request("OTHER-DIN"))
    assert fault_of(body) is MessageFault.WRONG_PERSONALIZATION


def test_expiry_is_judged_on_the_gateway_clock(raw, paired):
    now = paired.site.clock.now()
    signed = expires_at(now)
    paired.site.clock.advance(timedelta(seconds=13))  # in transit longer than the lifetime
    _, body = post(raw, paired, frames.read_config_request(DIN), expiry=signed)
    assert fault_of(body) is MessageFault.TIME_EXPIRED
    far = expires_at(paired.site.clock.now() + timedelta(minutes=5))  # a clock 5 min fast
    _, body = post(raw, paired, frames.read_config_request(DIN), expiry=far)
    assert fault_of(body) is MessageFault.TIME_TO_LIVE_TOO_LONG


def test_garbage_gets_a_decoding_fault(raw, paired):
    response = raw.post("/tedapi/v1r", data=b"\xff\xff\xff not protobuf")
    assert response.status_code == 200 and fault_of(response.content) is MessageFault.DECODING


def test_store_only_keeps_the_write_in_config_json_but_the_powerwall_acts_on_the_old(raw, paired):
    paired.v1r.store_only = True
    document, hash_ = read_config(raw, paired)
    document["default_real_mode"] = "backup"
    post(raw, paired, frames.update_config_request(DIN, encode(document), hash_))
    assert read_config(raw, paired)[0]["default_real_mode"] == "backup"
    assert paired.site.settings.mode is OperationMode.SELF_CONSUMPTION
    paired.v1r.open_app()
    assert paired.site.settings.mode is OperationMode.BACKUP
    assert paired.v1r.stored_settings is None


def test_an_app_edit_after_a_read_makes_the_readers_hash_stale(raw, paired):
    paired.v1r.edit_after_reads(lambda s: replace(s, export_rule=ExportRule.NEVER))
    _, first = read_config(raw, paired)
    assert paired.site.settings.export_rule is ExportRule.NEVER
    _, second = read_config(raw, paired)
    assert first != second


def test_faults_are_counted(raw, paired):
    post(raw, paired, frames.read_config_request(DIN), key=key_named("stranger"))
    assert paired.v1r.refusals["UNKNOWN_KEY_ID"] == 1
