"""Review findings: token file shapes, one pair of scale converters."""

from __future__ import annotations

import pytest

from optimiser.control import FleetAuthError, TokenSource


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ('["abc", "def"]', "array"),
        ('"just-a-string"', "string"),
        ('{"access_token": ["abc"]}', "array"),
        ('{"access_token": "abc", "refresh_token": 12}', "number"),
    ],
)
def test_token_file_with_json_that_is_not_the_expected_object_is_a_clear_auth_error(
    tmp_path, content, kind
):
    path = tmp_path / "fleet-token.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FleetAuthError) as err:
        TokenSource(token_file=path).access_token()
    message = str(err.value)
    assert str(path) in message
    assert kind in message
    assert "abc" not in message  # never echo a token


def test_token_file_object_and_bare_token_still_work(tmp_path):
    obj = tmp_path / "obj.json"
    obj.write_text('{"access_token": "acc", "refresh_token": "ref"}', encoding="utf-8")
    source = TokenSource(token_file=obj)
    assert (source.access_token(), source.refresh_token()) == ("acc", "ref")
    bare = tmp_path / "bare.txt"
    bare.write_text("eyJhbGciOi.bare-token\n", encoding="utf-8")
    assert TokenSource(token_file=bare).access_token() == "eyJhbGciOi.bare-token"


def test_one_pair_of_app_raw_converters_in_the_project():
    import simulations.fleet_emulator.server as fleet_server
    from optimiser import control
    from optimiser.control import translate
    from simulations import powerwall

    assert translate.app_to_raw is powerwall.app_to_raw
    assert translate.raw_to_app is powerwall.raw_to_app
    assert control.app_to_raw is powerwall.app_to_raw
    assert control.raw_to_app is powerwall.raw_to_app
    assert not hasattr(fleet_server, "_app_to_raw")
    assert not hasattr(fleet_server, "_raw_to_app")
    assert fleet_server.app_to_raw is powerwall.app_to_raw
