"""The signed bytes and the protobuf subset, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from pypowerwall.tedapi.protobuf.V2024_06 import tedapi_combined_pb2 as pypowerwall_pb2

from optimiser.gateway.v1r import frames
from optimiser.gateway.v1r.messages import RoutableMessage
from optimiser.gateway.v1r.signing import expires_at, signed_bytes, verifies
from tests.optimiser.gateway.v1r.keys import key_named


def test_signed_bytes_follow_the_documented_layout():
    assert (
        signed_bytes("DIN-1", 0x01020304, b"ENVELOPE")
        == (bytes.fromhex("0001070101070205") + b"DIN-1" + bytes.fromhex("040401020304ff"))
        + b"ENVELOPE"
    )


def test_messages_expire_twelve_seconds_after_the_next_whole_second():
    assert expires_at(datetime(2026, 6, 1, 12, 0, 0, 1, tzinfo=UTC)) == 1780315201 + 12


def test_a_signed_frame_parses_with_pypowerwalls_classes_and_its_signature_verifies():
    key = key_named()
    raw = frames.sign_frame(key, "DIN-1", frames.read_config_request("DIN-1"), 1780315213)
    theirs = pypowerwall_pb2.RoutableMessage()
    theirs.ParseFromString(raw)
    assert theirs.to_destination.domain == pypowerwall_pb2.DOMAIN_ENERGY_DEVICE
    assert theirs.signature_data.signer_identity.public_key == key.public_der
    inner = pypowerwall_pb2.MessageEnvelope()
    inner.ParseFromString(theirs.protobuf_message_as_bytes)
    assert inner.filestore.readFileRequest.name == "config.json"
    assert inner.deliveryChannel == pypowerwall_pb2.DELIVERY_CHANNEL_HERMES_COMMAND
    public = serialization.load_der_public_key(key.public_der)
    data = signed_bytes("DIN-1", 1780315213, theirs.protobuf_message_as_bytes)
    assert verifies(public, theirs.signature_data.rsa_data.signature, data)
    ours = RoutableMessage()
    ours.ParseFromString(theirs.SerializeToString())
    assert ours.SerializeToString() == raw
