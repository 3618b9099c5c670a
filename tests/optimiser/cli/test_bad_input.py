"""Bad input on the command line and in files: each is a usage error (exit 2) whose message says
what was expected, what came and where; never a traceback, never silently accepted, and
output paths are checked before any long work."""

from __future__ import annotations

import pytest

from optimiser.cli import main


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh HOME with no config; the state directory inside it."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("WATTPLAN_CONFIG", raising=False)
    monkeypatch.delenv("WATTPLAN_STATE_DIR", raising=False)
    return tmp_path


def usage_error(argv, capsys, *expected: str) -> str:
    """Run ``wattplan argv``; assert exit 2 and each of ``expected`` in stderr."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, err
    return err


def config(home, text: str) -> str:
    path = home / "config.yaml"
    path.write_text(text)
    return str(path)


# -- tracebacks that became usage errors ----------------------------------------------------


def test_an_unusable_state_dir_is_named(home, capsys, monkeypatch):
    # With a gateway configured (the embedded emulator keeps its state in a sandbox): the
    # state dir is needed for the gateway's certificate pin before anything is sent.
    monkeypatch.setenv("WATTPLAN_GATEWAY_PASSWORD", "abcde")
    text = "state_dir: /proc/nonexistent\ngateway: {host: 127.0.0.1, port: 9}\n"
    argv = ["--config", config(home, text), "plan"]
    usage_error(argv, capsys, "state_dir", "/proc/nonexistent")


def test_a_context_expiry_beyond_the_calendar_is_a_usage_error(home, capsys):
    rules = home / "rules.yaml"
    rules.write_text("version: 1\nrules:\n  - name: r\n    do: {no_export: all}\n")
    argv = ["plan", "--rules", str(rules), "--context", "storm_warning=true@99999999d"]
    usage_error(argv, capsys, "99999999d", "expected")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1900-01-01"])
def test_tariffs_show_a_day_out_of_range_is_a_usage_error(home, capsys, day):
    usage_error(["tariffs", "show", "flux", "--date", day], capsys, day, "expected a day")


def test_decision_minutes_must_be_a_multiple_of_the_slot(home, capsys):
    argv = ["simulate", "--demo", "--days", "1", "--decision-minutes", "7"]
    usage_error(argv, capsys, "--decision-minutes", "multiple of", "got 7")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["simulate", "--demo", "--days", "1", "--plot", "/proc/x"], "/proc/x"),
        (["simulate", "--demo", "--days", "1", "--csv", "/proc/x.csv"], "/proc/x.csv"),
        (["simulate", "--demo", "--days", "1", "--report", "/proc/r.html"], "/proc/r.html"),
        (["plan", "--plot", "/proc/x.png"], "/proc/x.png"),
        (["record", "export", "-o", "/proc/x.csv"], "/proc/x.csv"),
    ],
)
def test_an_unwritable_output_is_refused_before_any_work(home, capsys, argv, named):
    usage_error(argv, capsys, named, "expected")


def test_plan_plot_into_a_directory_is_refused(home, capsys):
    usage_error(["plan", "--plot", str(home)], capsys, "is a directory", "FILE.png")


# -- silently accepted values that are now refused ----------------------------------------------


def test_an_empty_region_is_a_usage_error(home, capsys):
    usage_error(["tariffs", "show", "flux", "--region", ""], capsys, "--region", "A…P")
    usage_error(["simulate", "--demo", "--region", ""], capsys, "--region")


def test_context_without_rules_is_a_usage_error(home, capsys):
    usage_error(["plan", "--context", "storm_warning=true"], capsys, "--context", "--rules")


def test_a_context_value_of_the_wrong_kind_for_a_rule_is_named(home, capsys):
    rules = home / "rules.yaml"
    rules.write_text(
        "version: 1\nrules:\n  - name: storm\n    when: {context: {storm_warning: true}}\n"
        "    do: {min_reserve: {percent: 80}}\n"
    )
    argv = ["plan", "--rules", str(rules), "--context", "storm_warning=maybe"]
    usage_error(argv, capsys, "storm_warning", "'maybe'", "storm", "true or false")


def test_export_since_after_until_is_a_usage_error(home, capsys):
    argv = ["record", "export", "-o", str(home / "x.csv")]
    usage_error([*argv, "--since", "2026-12-05", "--until", "2026-12-01"], capsys, "--since")
    assert not (home / "x.csv").exists()


# -- exit classes ----------------------------------------------------------------------------


def test_a_recording_that_is_a_directory_is_a_usage_error(home, capsys):
    usage_error(["record", "--database", str(home), "--count", "1"], capsys, str(home))


def test_exporting_a_missing_recording_is_a_usage_error(home, capsys):
    missing = home / "missing.sqlite"
    argv = ["record", "export", "-o", str(home / "x.csv"), "--database", str(missing)]
    usage_error(argv, capsys, str(missing), "no such recording")
