"""Shared argparse types: one validator per kind of value, so every option of that kind says
the same thing (expected / got) and a bad value is a usage error (exit 2), not a traceback."""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (a speed, a lifetime, an interval)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


#: Fastest clock an emulator or accelerated run may have [x real time] (a year in 5 minutes).
MAX_SPEED = 100_000.0


def speed(text: str) -> float:
    """A clock speed, a finite number in (0, :data:`MAX_SPEED`]."""
    return float_in(0, MAX_SPEED, "times real time")(text)


def positive_int(text: str) -> int:
    """A whole number >= 1 (a count)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (a count that may be none)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def port(text: str) -> int:
    """A TCP port, 0..65535 (0: any free port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port in 0..65535, got {text!r}")
    return value


def float_in(low: float, high: float, unit: str) -> Callable[[str], float]:
    """A finite number in ``(low, high]`` [unit] (argparse type factory)."""

    def parse(text: str) -> float:
        value = _number(text)
        if not low < value <= high:
            raise argparse.ArgumentTypeError(
                f"expected a number of {unit} in ({low:g}, {high:g}], got {text!r}"
            )
        return value

    return parse


def output_file(suffix: str) -> Callable[[str], Path]:
    """A file wattplan may create or overwrite, checked now, before any long work: its
    directory exists and takes new files, and it is not itself a directory. A name without
    a suffix gets ``suffix`` (what the writer would add anyway)."""

    def parse(text: str) -> Path:
        return _checked(text, lambda: check(text))

    def check(text: str) -> Path:
        path = Path(text).expanduser()
        if path.is_dir():
            raise argparse.ArgumentTypeError(
                f"expected a FILE{suffix} to write, got {text!r}, which is a directory"
            )
        if not path.suffix:
            path = path.with_suffix(suffix)
        _check_writable_dir(path.parent, f"a file {text!r}")
        if path.exists() and not os.access(path, os.W_OK):
            raise argparse.ArgumentTypeError(
                f"expected a file wattplan may overwrite, got {text!r} (not writable)"
            )
        return path

    return parse


def output_dir(text: str) -> Path:
    """A directory wattplan may create and write files in, checked now (the nearest existing
    ancestor must be a directory that takes new files); created only when written."""
    return _checked(text, lambda: _check_dir(text))


def _check_dir(text: str) -> Path:
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"expected a directory, got {text!r}, which is a file")
    ancestor = path
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise argparse.ArgumentTypeError(
            f"expected a directory to write in, got {text!r}, under the file {str(ancestor)!r}"
        )
    _check_writable_dir(ancestor, f"a directory {text!r}")
    return path


def _checked(text: str, check: Callable[[], Path]) -> Path:
    """``check()``, with any error the file system raises on the way (a name too long, a
    component that is a file) as a usage error naming ``text``."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a path, got an empty string")
    try:
        return check()
    except OSError as exc:
        raise argparse.ArgumentTypeError(
            f"expected a path wattplan can write, got {text[:80]!r}: {exc.strerror or exc}"
        ) from None


def _check_writable_dir(directory: Path, what: str) -> None:
    """Raise unless a new file can be made in ``directory`` (tried, and gone at once)."""
    where = directory if str(directory) else Path(".")
    try:
        with tempfile.TemporaryFile(dir=where):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise argparse.ArgumentTypeError(
            f"expected {what} in a directory wattplan can write, but {str(where)!r}: {reason}"
        ) from None


def region_letter(text: str) -> str:
    """An Octopus region letter A…P (I and O do not exist), any case."""
    letter = text.strip().upper()
    if len(letter) != 1 or letter not in "ABCDEFGHJKLMNP":
        raise argparse.ArgumentTypeError(
            f"expected a region letter A…P (not I or O; see `wattplan tariffs list`), got {text!r}"
        )
    return letter


#: How far from today a day on the command line may be [days].
DAYS = 20 * 365


def iso_day(text: str) -> date:
    """A calendar day ``YYYY-MM-DD`` within :data:`DAYS` of today (rates do not reach
    further; the calendar ends at 9999)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day like 2026-03-29, got {text!r}") from None
    today = date.today()
    if not today - timedelta(days=DAYS) <= day <= today + timedelta(days=DAYS):
        raise argparse.ArgumentTypeError(
            f"expected a day within {DAYS // 365} years of today, got {text!r}"
        )
    return day
