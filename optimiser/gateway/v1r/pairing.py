"""Registering a v1r key through Tesla's cloud, and reading its state: pure message work.

The Fleet (or Owner) API relays an authorization ``grpc_command`` to the gateway
(DOMAIN.md §2): ``add_authorized_client_request`` registers the public key (PKCS#1 DER,
base64), ``list_authorized_clients_request`` lists the keys with their states. The owner then
has about 10 minutes to switch the Powerwall off for ~15 s and on again, which verifies the key.
The answer's nesting is read the way pypowerwall's registration tool reads it (both spellings:
``payload``/``Payload``, ``state``/``State``); the request and answer travel through
:meth:`optimiser.control.fleet.FleetClient.post_command`.
"""

from __future__ import annotations

import base64
from enum import IntEnum
from typing import Any

from optimiser.gateway.errors import ProtocolError
from optimiser.gateway.v1r.keys import V1rKey

KEY_TYPE_RSA = 1
CLIENT_TYPE_CUSTOMER = 1
_WHERE = "Fleet API command"


class KeyState(IntEnum):
    """A registered key's state on the gateway."""

    PENDING = 1  # registered, waiting for the owner to power-cycle the Powerwall
    TIMED_OUT = 2  # not confirmed within the window; registering again reopens it
    VERIFIED = 3  # signed messages from it are accepted
    REMOVED = 4  # revoked


def add_request(key: V1rKey, description: str = "wattplan") -> dict[str, Any]:
    """The ``authorization`` message registering ``key``'s public half."""
    return {
        "authorization": {
            "add_authorized_client_request": {
                "key_type": KEY_TYPE_RSA,
                "public_key": base64.b64encode(key.public_der).decode(),
                "authorized_client_type": CLIENT_TYPE_CUSTOMER,
                "description": description,
            }
        }
    }


def list_request() -> dict[str, Any]:
    """The ``authorization`` message listing the registered keys."""
    return {"authorization": {"list_authorized_clients_request": {}}}


def state_of(response: Any, key: V1rKey) -> KeyState | None:
    """``key``'s state in an add or list answer (the command's ``response``); None when the
    answer does not list it. :class:`ProtocolError` when the answer has neither shape."""
    message = _authorization_message(response)
    added = _get(message, "add_authorized_client_response")
    if isinstance(added, dict):
        client = _get(added, "client")
        return _state(client) if _is(client, key) else None
    listed = _get(message, "list_authorized_clients_response")
    if isinstance(listed, dict):
        clients = _get(listed, "clients") or []
        if not isinstance(clients, list):
            raise ProtocolError(
                f"{_WHERE}: expected a list of clients, got {type(clients).__name__}",
                endpoint="command",
                field="clients",
            )
        for client in clients:
            if _is(client, key):
                return _state(client)
        return None
    raise ProtocolError(
        f"{_WHERE}: expected add_authorized_client_response or "
        f"list_authorized_clients_response, got keys {sorted(message)}",
        endpoint="command",
    )


def _authorization_message(response: Any) -> dict[str, Any]:
    node = response
    for name in ("message", "payload", "authorization", "message"):
        node = _get(node, name) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        raise ProtocolError(
            f"{_WHERE}: expected response.message.payload.authorization.message, got "
            f"{str(response)[:120]}",
            endpoint="command",
        )
    return node


def _get(node: dict[str, Any], snake: str) -> Any:
    """``node[snake]``, or its CamelCase spelling."""
    if snake in node:
        return node[snake]
    return node.get("".join(part.capitalize() for part in snake.split("_")))


def _is(client: Any, key: V1rKey) -> bool:
    if not isinstance(client, dict):
        return False
    encoded = _get(client, "public_key")
    try:
        return isinstance(encoded, str) and base64.b64decode(encoded) == key.public_der
    except ValueError:
        return False


def _state(client: dict[str, Any]) -> KeyState:
    value = _get(client, "state")
    try:
        return KeyState(int(value))
    except (TypeError, ValueError):
        raise ProtocolError(
            f"{_WHERE}: expected a key state 1–4, got {value!r}", endpoint="command", field="state"
        ) from None
