"""The Octopus API key never shows: not in stdout/stderr, logs, --json output, nor any file
wattplan writes in the state directory other than the key file itself (recorded events files
and the events cache included); nor does the Kraken token obtained with it."""

from __future__ import annotations

import base64
import logging
from contextlib import nullcontext
from datetime import UTC, datetime

import pytest

from optimiser.cli import main
from tests.tariffs.octopus_server import (
    ACCOUNT,
    API_KEY,
    OctopusServer,
    agile_rows,
    switching_account,
)

WRONG_KEY = "sk_live_AnotherKeyThatMustNotLeakEither7"


def forms(key: str) -> list[bytes]:
    """The key as text and as it travels in a basic-auth header."""
    return [key.encode(), base64.b64encode(f"{key}:".encode())]


def test_the_api_key_never_appears_outside_its_file(tmp_path, monkeypatch, capsys, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3 and requests log every request at DEBUG
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("WATTPLAN_CONFIG", raising=False)
    state = tmp_path / "state"
    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(state))
    outputs: list[str] = []
    with OctopusServer() as server:
        rows = agile_rows(datetime(2025, 1, 14, 23, tzinfo=UTC), 96)
        server.data["rates"]["E-1R-AGILE-24-10-01-E"]["standard-unit-rates"] = rows
        server.accounts[ACCOUNT] = {
            "key": API_KEY,
            "payload": switching_account("2025-01-15T12:00:00Z"),
        }
        config = tmp_path / "config.yaml"
        config.write_text(f"tariff:\n  source: account\n  octopus_base_url: {server.url}\n")
        key, wrong = tmp_path / "key.txt", tmp_path / "wrong.txt"
        key.write_text(API_KEY + "\n")
        wrong.write_text(WRONG_KEY + "\n")

        def run(*args: str) -> int:
            code = main(["-vv", "--config", str(config), *args])
            captured = capsys.readouterr()
            outputs.extend([captured.out, captured.err])
            return code

        login = ["octopus", "login", "--account", ACCOUNT]
        assert run(*login, "--key-file", str(wrong)) == 4  # refused: nothing stored
        assert run(*login, "--key-file", str(key)) == 0
        assert run("octopus", "show", "--json") == 0
        assert run("octopus", "show", "--refresh") == 0
        assert run("tariffs", "show", "--date", "2025-01-15", "--json") == 0
        assert run("tariffs", "fetch") == 0
        recorded = state / "recorded-events.json"
        assert run("octopus", "events", "--json", "--save", str(recorded)) == 0
        assert run("octopus", "events", "--join", "EVENT_2025_12_07") == 0
        echo = f"<html>Bad request from key {API_KEY}</html>"  # a server that echoes it
        server.bodies[f"/v1/accounts/{ACCOUNT}/"] = echo
        assert run("octopus", "show", "--refresh") == 5  # the message quotes the body, blanked
        assert "Bad request from key ********" in outputs[-1]
        del server.bodies[f"/v1/accounts/{ACCOUNT}/"]
        server.fail_next = [(429, {"Retry-After": "1"})]
        assert run("plan", "--json") == 0
        assert run("doctor") in (0, 1)
        assert "octopus calls" in outputs[-2]
        assert server.auth_headers.count(None) < len(server.auth_headers)  # the key was sent
    files = [p for p in state.rglob("*") if p.is_file() and p.name != "octopus-api-key"]
    assert any(p.name == "octopus-calls.json" for p in files)
    assert any(p.name == "octopus-account.json" for p in files)
    texts = [o.encode() for o in outputs] + [caplog.text.encode()]
    texts += [p.read_bytes() for p in files]
    assert any(p.name == "events.json" for p in files) and recorded in files
    assert server.issued  # GraphQL was used (plan and `octopus events`)
    tokens = [t.encode() for t in server.issued | server.refresh_tokens]
    for secret in forms(API_KEY) + forms(WRONG_KEY) + tokens:
        leaks = [i for i, text in enumerate(texts) if secret in text]
        assert not leaks, f"the key shows in output/log/file #{leaks}"
    assert (state / "octopus-api-key").read_text().strip() == API_KEY


@pytest.mark.parametrize(
    "args",
    [["--key", API_KEY], [f"--key={API_KEY}"], ["--key-file", API_KEY]],
)
def test_a_key_given_on_the_command_line_is_refused_without_echo(args, capsys, tmp_path):
    with pytest.raises(SystemExit) if args[0] != "--key-file" else nullcontext():
        code = main(["octopus", "login", "--account", ACCOUNT, *args])
        assert code == 2
    captured = capsys.readouterr()
    assert API_KEY not in captured.out + captured.err
    assert "command line" in captured.err or "looks like the key" in captured.err
