"""Bad numbers on the command line are usage errors (exit 2) that say what was expected,
never tracebacks or silently accepted values."""

from __future__ import annotations

import pytest

from optimiser.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["record", "--interval", "-5"],
        ["record", "--interval", "0"],
        ["record", "--interval", "nan"],
        ["record", "--count", "0"],
        ["run", "--speed", "nan"],
        ["run", "--speed", "-1"],
        ["simulate", "--capacity-kwh", "-5"],
        ["simulate", "--capacity-kwh", "nan"],
        ["simulate", "--power-kw", "0"],
        ["simulate", "--horizon-hours", "0"],
        ["simulate", "--horizon-hours", "100000"],
    ],
)
def test_a_bad_number_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "expected" in capsys.readouterr().err
