"""The command line under hostile input: every option of every subcommand given negative, zero,
non-finite, huge, empty, /proc, non-UTF-8, far-dated and overlong values, and hostile files to
read. Each is taken or refused as a usage error (exit 2, a message saying what was expected);
nothing ends in a traceback, and nothing is written outside the test's own directory.

Two layers: every (option, hostile value) pair through the parser, then the commands that finish
quickly run in-process on a fresh HOME with hypothesis choosing the values and files.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimiser.cli import build_parser, main
from tests.optimiser.cli.conftest import ROOT

#: What every value-taking option is given, whatever its type.
HOSTILE = (
    "-5",
    "0",
    "-0",
    "nan",
    "inf",
    "-inf",
    "1e308",
    "99999999999999999999999",
    "",
    " ",
    "-",
    "/proc/x",
    "/proc/nonexistent/out.csv",
    "/",
    "\udcff\udcfe",  # non-UTF-8 bytes as Python receives them in argv
    "9999-12-31",
    "0001-01-01",
    "x" * 5000,
    "a=b@99999999d",
    "status:code=999999,count=-1",
)

#: A valid command line for each leaf subcommand (the fuzzed option is appended to it).
BASE = {
    ("plan",): [],
    ("config", "check"): [],
    ("config", "show"): [],
    ("rules", "validate"): ["rules.yaml"],
    ("status",): [],
    ("trust",): [],
    ("emulator",): [],
    ("tariffs", "list"): [],
    ("tariffs", "show"): [],
    ("tariffs", "fetch"): [],
    ("tariffs", "region"): ["SW1A 1AA"],
    ("tariffs", "tesla"): [],
    ("octopus", "login"): [],
    ("octopus", "show"): [],
    ("octopus", "logout"): [],
    ("octopus", "events"): [],
    ("record",): [],
    ("record", "export"): ["--output", "out.csv"],
    ("record", "info"): [],
    ("simulate",): ["--demo"],
    ("sweep",): ["--population", "2"],
    ("run",): [],
    ("dashboard",): [],
    ("doctor",): [],
    ("pair",): [],
}


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(path, parser) of every subcommand that takes no further subcommand."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if path and (not subs or path in BASE):
        yield path, parser
    for action in subs:
        for name, child in action.choices.items():
            yield from leaves(child, (*path, name))


def value_options(parser: argparse.ArgumentParser) -> list[str]:
    """The long option strings that take a value."""
    return [
        max(action.option_strings, key=len)
        for action in parser._actions
        if action.option_strings and action.nargs != 0 and action.dest != "help"
    ]


PARSER = build_parser()
CASES = [
    (path, option)
    for path, leaf in leaves(PARSER)
    for option in value_options(leaf)
    if option != "--config"
]


def test_every_leaf_subcommand_has_a_base_command_line():
    assert {path for path, _ in leaves(PARSER)} == set(BASE)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh HOME as the working directory, no config, the loopback-only world."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in ("WATTPLAN_CONFIG", "WATTPLAN_STATE_DIR", "WATTPLAN_GATEWAY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize(("path", "option"), CASES, ids=[f"{' '.join(p)} {o}" for p, o in CASES])
def test_hostile_option_values_parse_or_are_usage_errors(home, capsys, path, option):
    for value in HOSTILE:
        argv = [*path, *BASE[path], option, value]
        try:
            PARSER.parse_args(argv)
        except SystemExit as exc:
            err = capsys.readouterr().err
            assert exc.code == 2, (argv, err)
            assert "error:" in err, (argv, err)
    assert sorted(p.name for p in home.iterdir()) == []  # parsing writes nothing


# -- in-process runs on a fresh HOME -----------------------------------------------------------


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """``wattplan argv`` in-process: (exit code, stdout, stderr); any exception that is not a
    usage error escapes (a traceback is a failure)."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return int(code or 0), out, err


def repo_listing() -> set[str]:
    return {str(p.relative_to(ROOT)) for p in ROOT.iterdir()} | {
        str(p.relative_to(ROOT)) for p in (ROOT / "examples").iterdir()
    }


@pytest.fixture(scope="module")
def repo_before():
    return repo_listing()


def assert_nothing_written_outside(home: Path, repo_before: set[str]) -> None:
    assert repo_listing() == repo_before
    assert not Path("/proc/x").exists()


yaml_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "",
            "a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
            "state_dir: /proc/nonexistent\n",
            "battery: {capacity_kwh: .inf}\n",
            "battery: {capacity_kwh: 1e308}\n",
            "tariff: {product: nonsense}\n",
            "tariff: {custom_file: /proc/nonexistent.yaml}\n",
            "gateway: {host: 127.0.0.1, port: 9, password_file: /proc/nonexistent}\n",
            "planner: {slot_minutes: 7}\n",
            "site: {timezone: Mars/Olympus}\n",
            "- [1, 2\n",
            "version: 1\nrules:\n  - {name: a, when: {days: [monkey]}, do: {hold: true}}\n",
            "version: 1\nrules:\n  - {name: a, when: {time: '23:30-23:30'}, do: {hold: true}}\n",
        ]
    ),
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=yaml_text, raw=st.binary(max_size=64))
def test_hostile_config_and_rules_files_are_usage_errors(home, capsys, repo_before, text, raw):
    for name, data in (("config.yaml", text.encode("utf-8", "surrogatepass")), ("raw.yaml", raw)):
        path = home / name
        path.write_bytes(data)
        code, _, err = run_cli(["--config", str(path), "config", "check"], capsys)
        assert code in (0, 2), err
        if code == 2:
            assert err.startswith("wattplan: error: "), err
        code, _, err = run_cli(["rules", "validate", str(path)], capsys)
        assert code in (0, 2), err
    assert_nothing_written_outside(home, repo_before)


days = st.one_of(
    st.dates().map(str),
    st.sampled_from(["9999-12-31", "0001-01-01", "1900-01-01", "2026-02-30", "", "today"]),
)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    day=days,
    region=st.one_of(st.text(max_size=3), st.sampled_from(["C", "c", "I", "", "CC"])),
    product=st.sampled_from(["flux", "agile", "nonsense", "x.yaml", "/proc/x.yaml", "account"]),
)
def test_hostile_tariff_lookups_answer_or_refuse(home, capsys, repo_before, day, region, product):
    for action in ("show", "tesla"):
        argv = ["tariffs", action, product, "--date", day, "--region", region]
        code, _, err = run_cli(argv, capsys)
        assert code in (0, 2), (argv, err)
    assert_nothing_written_outside(home, repo_before)


recording_bytes = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"SQLite format 3\x00" + b"\x00" * 100,
            b"timestamp,load_w,solar_w\n",
            b"timestamp,load_w,solar_w\n2026-01-01T00:00:00Z,1e12,-5000\n",
            b"timestamp,load_w,solar_w\n2026-01-01T00:00:00,300,0\n",
            b"timestamp,load_w,solar_w\n2026-01-01T00:00:00Z,nan,inf\n2027-01-01T00:00:00Z,300,0\n",
            b"timestamp,load_w,solar_w\n9999-12-31T23:59:59Z,300,0\n0001-01-01T00:00:00Z,300,0\n",
            b"\xff\xfe\x00t\x00i\x00m\x00e",
        ]
    ),
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=recording_bytes, where=st.sampled_from(["file", "dir", "proc", "missing"]))
def test_hostile_recordings_are_read_or_refused(home, capsys, repo_before, data, where):
    path = {
        "file": home / "rec.csv",
        "dir": home,
        "proc": Path("/proc/self/status"),
        "missing": home / "missing.sqlite",
    }[where]
    if where == "file":
        path.write_bytes(data)
    code, _, err = run_cli(["record", "info", str(path)], capsys)
    assert code in (0, 2), err
    out = home / "export.csv"
    code, _, err = run_cli(["record", "export", "-o", str(out), "--database", str(path)], capsys)
    assert code in (0, 2), err
    assert_nothing_written_outside(home, repo_before)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"SQLite format 3\x00" + b"\x00" * 100,
        b"timestamp,load_w,solar_w\n2026-01-01T00:00:00Z,1e12,-5000\n",
        b"timestamp,load_w,solar_w\n9999-12-31T23:59:59Z,300,0\n0001-01-01T00:00:00Z,300,0\n",
        b"\xff\xfe\x00t\x00i\x00m\x00e",
    ],
)
def test_simulate_refuses_a_hostile_recording(home, capsys, repo_before, data):
    path = home / "rec.csv"
    path.write_bytes(data)
    argv = ["simulate", "--data", str(path), "--days", "1", "--strategy", "no-battery"]
    code, _, err = run_cli([*argv, "--workers", "1"], capsys)
    assert code == 2, err
    assert_nothing_written_outside(home, repo_before)


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--demo", "--days", "1", "--decision-minutes", "7"],
        ["simulate", "--demo", "--days", "1", "--plot", "/proc/x"],
        ["simulate", "--demo", "--days", "1", "--csv", "/proc/x.csv"],
        ["simulate", "--demo", "--days", "1", "--tariff", "nonsense"],
        ["simulate", "--demo", "--days", "1", "--tariff", "/proc/x.yaml"],
        ["simulate", "--demo", "--days", "1", "--strategy", "psychic"],
        ["simulate", "--demo", "--days", "1", "--budgets", "-3,nan"],
        ["simulate", "--demo", "--days", "1", "--rules", "/proc/x.yaml"],
        ["simulate", "--demo", "--start", "1900-01-01", "--days", "1"],
        ["plan", "--plot", "/proc/x.png"],
        ["plan", "--rules", "/proc/self/status"],
        ["plan", "--context", "storm_warning=true"],
        ["plan", "--context-file", "/proc/self/status"],
        ["record", "--database", "/proc/x.sqlite", "--count", "1"],
        ["record", "export", "-o", "/proc/x.csv"],
        ["run", "--rules", "/proc/nonexistent.yaml", "--for", "1m"],
        ["run", "--speed", "1e308", "--for", "1m"],
        ["emulator", "--trace", "/proc/nonexistent.csv", "--port", "0"],
        ["emulator", "--password-file", "/proc/nonexistent", "--port", "0"],
        ["dashboard", "--database", "/proc/x", "--port", "-1"],
        ["octopus", "login", "--key-file", "/proc/nonexistent", "--account", "A-1"],
    ],
    ids=" ".join,
)
def test_user_mistakes_exit_2_before_any_work(home, capsys, repo_before, argv):
    code, _, err = run_cli(argv, capsys)
    assert code == 2, err
    assert "error" in err
    assert_nothing_written_outside(home, repo_before)


def test_non_utf8_paths_from_a_shell_are_usage_errors_or_work(tmp_path):
    """A subprocess, so argv arrives as bytes the way a shell passes them."""
    env = {**os.environ, "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"}
    for name in ("WATTPLAN_CONFIG", "WATTPLAN_STATE_DIR"):
        env.pop(name, None)
    bad = os.fsencode(tmp_path) + b"/caf\xe9"
    for argv in (
        [b"rules", b"validate", bad + b".yaml"],
        [b"record", b"info", bad + b".csv"],
        [b"--config", bad + b".yaml", b"config", b"check"],
    ):
        done = subprocess.run(
            [sys.executable, b"-m", b"optimiser.cli", *argv],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
            check=False,
        )
        err = done.stderr.decode("utf-8", "replace")
        assert done.returncode == 2, (argv, err)
        assert "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []
