"""wattplan doctor helpers."""

from __future__ import annotations


def test_token_scopes_are_read_from_a_jwt():
    import base64
    import json

    from optimiser.cli.doctor_cmd import token_scopes

    def jwt(claims: dict) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"eyJhbGciOiJub25lIn0.{body}.sig"

    assert token_scopes(jwt({"scp": ["openid", "energy_device_data"]})) == {
        "openid",
        "energy_device_data",
    }
    assert token_scopes(jwt({"scope": "energy_cmds energy_device_data"})) == {
        "energy_cmds",
        "energy_device_data",
    }
    assert token_scopes("opaque-token") is None
    assert token_scopes("a.!!!.c") is None
