"""Building signed v1r frames and reading the gateway's answers: pure, no I/O.

A request is a :class:`MessageEnvelope` (what to do) inside a signed :class:`RoutableMessage`
(who asks, until when). An answer is either a refusal — ``signed_message_status`` with a
fault, or for a registered but unconfirmed key the plain text "v1r: client authorization not
verified" — or a RoutableMessage carrying the answering envelope.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from optimiser.gateway.errors import (
    KeyNotRecognised,
    KeyNotVerified,
    MessageExpired,
    ProtocolError,
    SignatureRejected,
    SignedMessageRefused,
)
from optimiser.gateway.v1r.config_file import CONFIG_JSON
from optimiser.gateway.v1r.keys import V1rKey
from optimiser.gateway.v1r.messages import (
    DecodeError,
    DeliveryChannel,
    Domain,
    FileStoreDomain,
    MessageEnvelope,
    MessageFault,
    RoutableMessage,
)
from optimiser.gateway.v1r.signing import signed_bytes

ENDPOINT = "/tedapi/v1r"
NOT_VERIFIED = b"authorization not verified"
_AUTHORIZED_CLIENT = 1  # sender.authorizedClient: a customer's paired client
_PAIR_HINT = "run `wattplan pair` to register this key again"


def envelope(din: str) -> MessageEnvelope:
    """An empty command envelope from a paired client to the gateway ``din``."""
    message = MessageEnvelope()
    message.deliveryChannel = DeliveryChannel.HERMES_COMMAND
    message.sender.authorizedClient = _AUTHORIZED_CLIENT
    message.recipient.din = din
    return message


def read_config_request(din: str) -> MessageEnvelope:
    """``filestore.readFileRequest`` for config.json."""
    message = envelope(din)
    request = message.filestore.readFileRequest
    request.domain = FileStoreDomain.CONFIG_JSON
    request.name = CONFIG_JSON
    return message


def update_config_request(din: str, blob: bytes, hash_: bytes) -> MessageEnvelope:
    """``filestore.updateFileRequest`` replacing config.json, locked on ``hash_``."""
    message = envelope(din)
    request = message.filestore.updateFileRequest
    request.domain = FileStoreDomain.CONFIG_JSON
    request.file.name = CONFIG_JSON
    request.file.blob = blob
    request.hash = hash_
    return message


def sign_frame(key: V1rKey, din: str, inner: MessageEnvelope, expires_at: int) -> bytes:
    """``inner`` in a RoutableMessage signed by ``key`` for ``din``, serialised."""
    frame = RoutableMessage()
    frame.to_destination.domain = Domain.ENERGY_DEVICE
    frame.protobuf_message_as_bytes = inner.SerializeToString()
    frame.uuid = str(uuid.uuid4()).encode()
    frame.signature_data.signer_identity.public_key = key.public_der
    frame.signature_data.rsa_data.expires_at = expires_at
    frame.signature_data.rsa_data.signature = key.sign(
        signed_bytes(din, expires_at, frame.protobuf_message_as_bytes)
    )
    return frame.SerializeToString()


def read_answer(raw: bytes, *, expires_at: int, sent_at: datetime) -> MessageEnvelope:
    """The envelope a gateway answered with; raises the refusal or :class:`ProtocolError`.

    ``expires_at`` and ``sent_at`` (this machine's clock) go into the clock-skew message.
    """
    if NOT_VERIFIED in raw.lower():
        raise KeyNotVerified(
            "the gateway knows this v1r key but it has not been confirmed at the Powerwall "
            f"(answer: {_preview(raw)})",
            fault=None,
            hint="switch the Powerwall off for about 15 s and on again within 10 minutes of "
            f"pairing; if that window has passed, {_PAIR_HINT}",
        )
    frame = RoutableMessage()
    try:
        frame.ParseFromString(raw)
    except DecodeError as exc:
        raise ProtocolError(
            f"POST {ENDPOINT}: expected a RoutableMessage, got {len(raw)} bytes: {_preview(raw)}",
            endpoint=ENDPOINT,
        ) from exc
    fault = frame.signed_message_status.message_fault
    if fault != MessageFault.NONE:
        raise _refusal(fault, expires_at, sent_at)
    inner = MessageEnvelope()
    try:
        inner.ParseFromString(frame.protobuf_message_as_bytes)
    except DecodeError as exc:
        raise ProtocolError(
            f"POST {ENDPOINT}: the answer's protobuf_message_as_bytes is not a MessageEnvelope",
            endpoint=ENDPOINT,
            field="protobuf_message_as_bytes",
        ) from exc
    if inner.WhichOneof("payload") is None:
        raise ProtocolError(
            f"POST {ENDPOINT}: expected an answering envelope, got an empty one ({_preview(raw)})",
            endpoint=ENDPOINT,
            field="protobuf_message_as_bytes",
        )
    return inner


def _refusal(fault: int, expires_at: int, sent_at: datetime) -> SignedMessageRefused:
    name = MessageFault(fault).name if fault in set(MessageFault) else f"fault {fault}"
    said = f"the gateway refused the signed message ({name})"
    if fault in (MessageFault.UNKNOWN_KEY_ID, MessageFault.INACTIVE_KEY):
        return KeyNotRecognised(
            f"{said}: it does not know this v1r key (never registered, or removed)",
            fault=fault,
            hint=_PAIR_HINT,
        )
    if fault in (MessageFault.INVALID_SIGNATURE, MessageFault.WRONG_PERSONALIZATION):
        return SignatureRejected(
            f"{said}: the signature does not verify for this gateway's DIN",
            fault=fault,
            hint="check that the key file is the one registered for this gateway",
        )
    if fault in (MessageFault.TIME_EXPIRED, MessageFault.TIME_TO_LIVE_TOO_LONG):
        expiry = datetime.fromtimestamp(expires_at, UTC).isoformat(timespec="seconds")
        return MessageExpired(
            f"{said}: signed at {sent_at.isoformat(timespec='seconds')} by this machine's "
            f"clock to expire at {expiry}; the gateway's clock disagrees by more than the "
            "message's 12 s lifetime",
            fault=fault,
            hint="synchronise this machine's clock (NTP); `wattplan doctor` measures the skew",
        )
    return SignedMessageRefused(said, fault=fault)


def _preview(raw: bytes, limit: int = 60) -> str:
    text = raw[:limit].decode("utf-8", errors="replace")
    return repr(text) if text.isprintable() else raw[:limit].hex()
