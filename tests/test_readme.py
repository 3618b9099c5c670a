"""The README's quickstart is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if re.match(r"^    \S", line)]


def test_quickstart_has_exactly_two_commands():
    commands = quickstart_commands()
    assert len(commands) == 2, commands
    assert commands[0].endswith("wattplan plan")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_line():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quickstart_commands()[1] in ci.splitlines()


def test_output_into_a_closed_pipe_is_not_a_traceback():
    """``wattplan tariffs show … | head -1`` ends quietly when head stops reading."""
    import fcntl
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, 1031, 4096)  # F_SETPIPE_SZ: a small pipe, so the writer blocks
    args = [
        "tariffs",
        "show",
        "agile",
        "--region",
        "C",
        "--date",
        "2026-03-29",
        "--slot-minutes",
        "5",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimiser.cli", *args],
        cwd=ROOT,
        stdout=write_end,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        reader.readline()  # then go away, like `head -1`
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
