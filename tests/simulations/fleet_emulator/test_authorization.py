"""The Fleet emulator's ``grpc_command``: registering a v1r key and watching its state."""

from __future__ import annotations

import base64
from datetime import timedelta

from optimiser.gateway.v1r.pairing import KeyState
from tests.optimiser.gateway.v1r.keys import key_named
from tests.simulations.fleet_emulator.conftest import call


def command(emu, request: dict):
    body = {
        "command_type": "grpc_command",
        "command_properties": {"message": {"authorization": request}, "identifier_type": 1},
    }
    return call(emu, "POST", "command", body)


def add(emu, der: bytes):
    return command(
        emu,
        {
            "add_authorized_client_request": {
                "key_type": 1,
                "public_key": base64.b64encode(der).decode(),
                "authorized_client_type": 1,
                "description": "wattplan",
            }
        },
    )


def listed_states(emu) -> dict[bytes, int]:
    response = command(emu, {"list_authorized_clients_request": {}})
    assert response.status_code == 200
    message = response.json()["response"]["message"]["payload"]["authorization"]["message"]
    clients = message["list_authorized_clients_response"]["clients"]
    return {base64.b64decode(c["public_key"]): c["state"] for c in clients}


def test_registering_answers_pending_and_the_list_follows_the_key_through_its_states(
    emulator, clock
):
    der = key_named().public_der
    response = add(emulator, der)
    assert response.status_code == 200
    message = response.json()["response"]["message"]["payload"]["authorization"]["message"]
    client = message["add_authorized_client_response"]["client"]
    assert client["state"] == KeyState.PENDING and client["description"] == "wattplan"
    assert listed_states(emulator) == {der: KeyState.PENDING}
    emulator.site.authorized_clients.power_cycle()
    assert listed_states(emulator) == {der: KeyState.VERIFIED}
    emulator.site.authorized_clients.remove(der)
    assert listed_states(emulator) == {der: KeyState.REMOVED}


def test_a_key_left_pending_times_out_and_registering_it_again_reopens_the_window(emulator, clock):
    der = key_named().public_der
    add(emulator, der)
    clock.advance(timedelta(minutes=11))
    assert listed_states(emulator) == {der: KeyState.TIMED_OUT}
    add(emulator, der)
    assert listed_states(emulator) == {der: KeyState.PENDING}


def test_key_commands_are_not_settings_writes_so_the_quota_is_untouched(emulator):
    for _ in range(10):
        listed_states(emulator)
    assert emulator.commands_used() == 0


def test_a_malformed_registration_is_400_with_the_reason(emulator):
    response = command(emulator, {"add_authorized_client_request": {"key_type": 1}})
    assert response.status_code == 400
    assert "authorized_client_type" in response.json()["error"]
    response = command(
        emulator,
        {
            "add_authorized_client_request": {
                "key_type": 1,
                "authorized_client_type": 1,
                "public_key": "bm90IGEga2V5",
            }
        },
    )
    assert response.status_code == 400 and "public_key" in response.json()["error"]


def test_registration_needs_a_token(emulator):
    assert call(emulator, "POST", "command", {}, token="nope").status_code == 401
