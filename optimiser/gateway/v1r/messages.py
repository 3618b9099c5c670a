"""The protobuf messages of TEDAPI v1r: the minimal subset wattplan speaks (DOMAIN.md §2).

Field names and numbers are those of pypowerwall's ``tedapi_combined.proto`` (MIT licence,
copyright Jason Cox; see ``LICENSE-pypowerwall`` beside this file), cut down to the
signed envelope and the file store. The schema is declared here as a table and built into
a private descriptor pool at import, so wattplan needs only the ``protobuf`` runtime (no
``protoc``, no generated code tied to one runtime version) and cannot clash with another
library's copy of the same messages. Messages are wire-compatible with pypowerwall's.

::

    RoutableMessage                      the signed frame POSTed to /tedapi/v1r
      to_destination.domain = 7          DOMAIN_ENERGY_DEVICE
      protobuf_message_as_bytes          a serialised MessageEnvelope
      signature_data.signer_identity.public_key   PKCS#1 DER
      signature_data.rsa_data{expires_at, signature}
      signed_message_status.message_fault          in answers: why it was refused
      request_uuid, uuid
    MessageEnvelope                      deliveryChannel, sender, recipient, one payload:
      common.error_response.status{code, message}
      filestore.{readFileRequest, readFileResponse, updateFileRequest, updateFileResponse}
"""

from __future__ import annotations

from enum import IntEnum

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

_PACKAGE = "wattplan.tedapi.v1r"
_F = descriptor_pb2.FieldDescriptorProto

# (message, [(field, number, type, enum-or-message type name, oneof)])
_SCHEMA: dict[str, list[tuple[str, int, int, str | None, str | None]]] = {
    "Destination": [
        ("domain", 1, _F.TYPE_ENUM, "Domain", "sub_destination"),
        ("routing_address", 2, _F.TYPE_BYTES, None, "sub_destination"),
    ],
    "MessageStatus": [("message_fault", 1, _F.TYPE_ENUM, "MessageFault_E", None)],
    "KeyIdentity": [
        ("public_key", 1, _F.TYPE_BYTES, None, "identity_type"),
        ("handle", 3, _F.TYPE_UINT32, None, "identity_type"),
    ],
    "RsaSignatureData": [
        ("expires_at", 1, _F.TYPE_FIXED32, None, None),
        ("signature", 2, _F.TYPE_BYTES, None, None),
    ],
    "SignatureData": [
        ("signer_identity", 1, _F.TYPE_MESSAGE, "KeyIdentity", None),
        ("rsa_data", 7, _F.TYPE_MESSAGE, "RsaSignatureData", "sig_type"),
    ],
    "RoutableMessage": [
        ("to_destination", 6, _F.TYPE_MESSAGE, "Destination", None),
        ("from_destination", 7, _F.TYPE_MESSAGE, "Destination", None),
        ("protobuf_message_as_bytes", 10, _F.TYPE_BYTES, None, "payload"),
        ("signed_message_status", 12, _F.TYPE_MESSAGE, "MessageStatus", None),
        ("signature_data", 13, _F.TYPE_MESSAGE, "SignatureData", None),
        ("request_uuid", 50, _F.TYPE_BYTES, None, None),
        ("uuid", 51, _F.TYPE_BYTES, None, None),
    ],
    "Participant": [
        ("din", 1, _F.TYPE_STRING, None, "id"),
        ("teslaService", 2, _F.TYPE_INT32, None, "id"),
        ("local", 3, _F.TYPE_INT32, None, "id"),
        ("authorizedClient", 4, _F.TYPE_INT32, None, "id"),
    ],
    "CommandStatus": [
        ("code", 1, _F.TYPE_INT32, None, None),
        ("message", 2, _F.TYPE_STRING, None, None),
    ],
    "CommonAPIErrorResponse": [("status", 1, _F.TYPE_MESSAGE, "CommandStatus", None)],
    "CommonMessages": [
        ("error_response", 1, _F.TYPE_MESSAGE, "CommonAPIErrorResponse", None),
    ],
    "FileStoreAPIFile": [
        ("name", 1, _F.TYPE_STRING, None, None),
        ("blob", 100, _F.TYPE_BYTES, None, "content"),
    ],
    "FileStoreAPIReadFileRequest": [
        ("domain", 1, _F.TYPE_ENUM, "FileStoreAPIDomain", None),
        ("name", 2, _F.TYPE_STRING, None, None),
        ("ifDifferentHash", 3, _F.TYPE_BYTES, None, None),
    ],
    "FileStoreAPIReadFileResponse": [
        ("file", 1, _F.TYPE_MESSAGE, "FileStoreAPIFile", None),
        ("hash", 2, _F.TYPE_BYTES, None, None),
    ],
    "FileStoreAPIUpdateFileRequest": [
        ("domain", 1, _F.TYPE_ENUM, "FileStoreAPIDomain", None),
        ("file", 2, _F.TYPE_MESSAGE, "FileStoreAPIFile", None),
        ("hash", 3, _F.TYPE_BYTES, None, None),
    ],
    "FileStoreAPIUpdateFileResponse": [
        ("file", 1, _F.TYPE_MESSAGE, "FileStoreAPIFile", None),
        ("hash", 2, _F.TYPE_BYTES, None, None),
    ],
    "FileStoreMessages": [
        ("readFileRequest", 1, _F.TYPE_MESSAGE, "FileStoreAPIReadFileRequest", "message"),
        ("readFileResponse", 2, _F.TYPE_MESSAGE, "FileStoreAPIReadFileResponse", "message"),
        ("updateFileRequest", 5, _F.TYPE_MESSAGE, "FileStoreAPIUpdateFileRequest", "message"),
        ("updateFileResponse", 6, _F.TYPE_MESSAGE, "FileStoreAPIUpdateFileResponse", "message"),
    ],
    "MessageEnvelope": [
        ("deliveryChannel", 1, _F.TYPE_ENUM, "DeliveryChannel", None),
        ("sender", 2, _F.TYPE_MESSAGE, "Participant", None),
        ("recipient", 3, _F.TYPE_MESSAGE, "Participant", None),
        ("common", 4, _F.TYPE_MESSAGE, "CommonMessages", "payload"),
        ("filestore", 15, _F.TYPE_MESSAGE, "FileStoreMessages", "payload"),
    ],
}


class Domain(IntEnum):
    """``Destination.domain``."""

    BROADCAST = 0
    ENERGY_DEVICE = 7


class MessageFault(IntEnum):
    """``MessageStatus.message_fault``: why the gateway refused a signed message."""

    NONE = 0
    BUSY = 1
    TIMEOUT = 2
    UNKNOWN_KEY_ID = 3
    INACTIVE_KEY = 4
    INVALID_SIGNATURE = 5
    INVALID_TOKEN_OR_COUNTER = 6
    INSUFFICIENT_PRIVILEGES = 7
    INVALID_DOMAINS = 8
    INVALID_COMMAND = 9
    DECODING = 10
    INTERNAL = 11
    WRONG_PERSONALIZATION = 12
    BAD_PARAMETER = 13
    TIME_EXPIRED = 17
    TIME_TO_LIVE_TOO_LONG = 20


class DeliveryChannel(IntEnum):
    """``MessageEnvelope.deliveryChannel``."""

    INVALID = 0
    LOCAL_HTTPS = 1
    HERMES_COMMAND = 2


class FileStoreDomain(IntEnum):
    """``FileStoreAPIDomain``: which file store a request addresses."""

    INVALID = 0
    CONFIG_JSON = 1


_ENUMS: dict[str, tuple[str, type[IntEnum]]] = {
    "Domain": ("DOMAIN_", Domain),
    "MessageFault_E": ("MESSAGEFAULT_ERROR_", MessageFault),
    "DeliveryChannel": ("DELIVERY_CHANNEL_", DeliveryChannel),
    "FileStoreAPIDomain": ("FILE_STORE_API_DOMAIN_", FileStoreDomain),
}


def _file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    """The schema above as a proto3 file descriptor."""
    proto = descriptor_pb2.FileDescriptorProto(
        name="wattplan/tedapi_v1r.proto", package=_PACKAGE, syntax="proto3"
    )
    for enum_name, (prefix, values) in _ENUMS.items():
        enum = proto.enum_type.add(name=enum_name)
        for value in values:
            enum.value.add(name=prefix + value.name, number=int(value))
    for message_name, fields in _SCHEMA.items():
        message = proto.message_type.add(name=message_name)
        oneofs: list[str] = []
        for name, number, kind, type_name, oneof in fields:
            field = message.field.add(name=name, number=number, type=kind, label=_F.LABEL_OPTIONAL)
            if type_name is not None:
                field.type_name = f".{_PACKAGE}.{type_name}"
            if oneof is not None:
                if oneof not in oneofs:
                    oneofs.append(oneof)
                    message.oneof_decl.add(name=oneof)
                field.oneof_index = oneofs.index(oneof)
    return proto


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file_descriptor())


def _message_class(name: str) -> type[Message]:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{_PACKAGE}.{name}"))


RoutableMessage = _message_class("RoutableMessage")
MessageEnvelope = _message_class("MessageEnvelope")

__all__ = [
    "DecodeError",
    "DeliveryChannel",
    "Domain",
    "FileStoreDomain",
    "MessageEnvelope",
    "MessageFault",
    "RoutableMessage",
]
