"""The recorder's exceptions, each carrying what the caller does next
(:mod:`optimiser.domain.errors`); all of them stop and tell.

::

    RecorderError                 anything the recorder package raises on purpose (failed)
    ├── StoreError                the SQLite store cannot be used (I/O error, permissions,
    │   │                         disk full) (failed)
    │   ├── StoreLocked           another recorder is writing this file; stop that one first
    │   │                         (user mistake)
    │   ├── StoreMissing          no recording at that path to read, the path is a
    │   │                         directory, or its directory cannot take one (user mistake)
    │   └── StoreCorrupt          not a wattplan recording, damaged, or from a newer schema;
    │                             never written to (user mistake)
    └── RecordingFileError        a recorded-data file (CSV) is malformed or unreadable; the
                                  message names file:line, the column, what was expected and
                                  what was found (user mistake)

A failed *poll* is not a recorder error: :func:`optimiser.recorder.loop.record` records it as
a gap when its error's ``next_step`` is gap-and-retry (the gateway's unavailable, rate-limited
and protocol errors) and stops on anything else (authentication, trust, access).

No ``sqlite3`` exception leaves the package: each is translated at the store's edge with
``raise … from exc``.
"""

from __future__ import annotations

from pathlib import Path

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError


class RecorderError(WattplanError):
    """Base of every error the recorder raises on purpose."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.FAILED


class StoreError(RecorderError):
    """The SQLite recording store cannot be used."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.FAILED

    def __init__(self, path: Path | str, message: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        super().__init__(f"{self.path}: {message}", hint=hint)


class StoreLocked(StoreError):
    """Another recorder holds the write lock on this store."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class StoreMissing(StoreError):
    """There is no recording at that path (nothing to read, a directory, or nowhere to
    create one)."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class StoreCorrupt(StoreError):
    """The file is not a readable wattplan recording."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class RecordingFileError(RecorderError):
    """A recorded-data file is malformed; the message says where and what."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE

    def __init__(
        self,
        source: str,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.column = column
        where = source if line is None else f"{source}:{line}"
        what = f"column {column!r}: " if column else ""
        super().__init__(f"{where}: {what}{message}")
