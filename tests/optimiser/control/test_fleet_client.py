"""The Fleet API client: token files, JSON answers, errors that never echo a token."""

from __future__ import annotations

import pytest

from optimiser.control import (
    FleetAuthError,
    FleetClient,
    FleetProtocolError,
    FleetUnavailable,
    TokenSource,
)


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


def test_non_json_answer_is_a_protocol_error(httpserver):
    httpserver.expect_request("/api/1/energy_sites/1/site_info").respond_with_data(
        "<html>maintenance</html>", content_type="text/html"
    )
    client = FleetClient(httpserver.url_for("/"), "1", TokenSource(token_env="T"), 5)
    client.tokens.store("secret-token", None)
    with pytest.raises(FleetProtocolError, match="expected a JSON answer") as info:
        client.get_site_info()
    assert "secret-token" not in str(info.value)
    httpserver.clear()
    httpserver.expect_request("/api/1/energy_sites/1/live_status").respond_with_json({"x": 1})
    with pytest.raises(FleetProtocolError, match="'response'"):
        client.get_live_status()
    httpserver.expect_request("/api/1/energy_sites/1/storm_mode").respond_with_data("", 503)
    with pytest.raises(FleetUnavailable, match="503"):
        client.post_storm_mode(True)
