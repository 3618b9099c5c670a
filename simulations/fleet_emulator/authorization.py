"""The Fleet API's ``grpc_command`` for v1r keys: register one, list them (DOMAIN.md §2).

``POST /api/1/energy_sites/{id}/command`` with::

    {"command_type": "grpc_command",
     "command_properties": {"identifier_type": 1, "message": {"authorization": {
         "add_authorized_client_request": {"key_type": 1, "public_key": "<base64 PKCS#1 DER>",
                                           "authorized_client_type": 1, "description": "…"}
       | "list_authorized_clients_request": {} }}}}

answers ``{"response": {"code": 200, "message": {"payload": {"authorization": {"message":
{"add_authorized_client_response": {"client": C}} | {"list_authorized_clients_response":
{"clients": [C, …]}}}}}}}`` with C = ``{"public_key", "key_type", "authorized_client_type",
"description", "state"}``, state 1 pending, 2 timed out, 3 verified, 4 removed. The answer's
nesting follows what pypowerwall's registration tool reads. Pure: no sockets.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from optimiser.gateway.v1r.keys import public_key_from_der
from optimiser.gateway.v1r.pairing import CLIENT_TYPE_CUSTOMER, KEY_TYPE_RSA
from simulations.emulator.authorized_clients import AuthorizedClient, AuthorizedClients


class CommandError(ValueError):
    """The command body is not one this endpoint understands; the message says why."""


def grpc_command(clients: AuthorizedClients, body: dict[str, Any]) -> dict[str, Any]:
    """Carry out one authorization ``grpc_command``; the answer's ``response``."""
    if body.get("command_type") != "grpc_command":
        raise CommandError(
            f"expected command_type 'grpc_command', got {body.get('command_type')!r}"
        )
    try:
        request = body["command_properties"]["message"]["authorization"]
    except (KeyError, TypeError):
        raise CommandError(
            "expected command_properties.message.authorization in the body"
        ) from None
    if not isinstance(request, dict) or len(request) != 1:
        raise CommandError("expected exactly one authorization request")
    ((name, fields),) = request.items()
    if name == "add_authorized_client_request":
        public_key = _public_key(fields)
        description = str(fields.get("description", ""))
        clients.register(public_key, description)
        client = next(c for c in clients.clients() if c.public_key == public_key)
        return _wrap({"add_authorized_client_response": {"client": _client(client)}})
    if name == "list_authorized_clients_request":
        listed = [_client(c) for c in clients.clients()]
        return _wrap({"list_authorized_clients_response": {"clients": listed}})
    raise CommandError(f"unknown authorization request {name!r}")


def _public_key(fields: Any) -> bytes:
    if not isinstance(fields, dict):
        raise CommandError("add_authorized_client_request must be an object")
    if fields.get("key_type") != KEY_TYPE_RSA:
        raise CommandError(
            f"key_type: expected {KEY_TYPE_RSA} (RSA), got {fields.get('key_type')!r}"
        )
    if fields.get("authorized_client_type") != CLIENT_TYPE_CUSTOMER:
        raise CommandError(
            f"authorized_client_type: expected {CLIENT_TYPE_CUSTOMER}, "
            f"got {fields.get('authorized_client_type')!r}"
        )
    try:
        der = base64.b64decode(str(fields.get("public_key", "")), validate=True)
        public_key_from_der(der)
    except (binascii.Error, ValueError) as exc:
        raise CommandError(f"public_key: expected a base64 PKCS#1 DER RSA key ({exc})") from None
    return der


def _client(client: AuthorizedClient) -> dict[str, Any]:
    return {
        "public_key": base64.b64encode(client.public_key).decode(),
        "key_type": KEY_TYPE_RSA,
        "authorized_client_type": CLIENT_TYPE_CUSTOMER,
        "description": client.description,
        "state": int(client.state),
    }


def _wrap(message: dict[str, Any]) -> dict[str, Any]:
    return {"code": 200, "message": {"payload": {"authorization": {"message": message}}}}
