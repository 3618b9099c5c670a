"""The recorder's exceptions, split by what the caller does next.

::

    RecorderError                 anything the recorder package raises on purpose
    ├── StoreError                the SQLite store cannot be used (I/O error, permissions,
    │   │                         disk full); stop and tell the user
    │   ├── StoreLocked           another recorder is writing this file; stop that one first
    │   └── StoreCorrupt          not a wattplan recording, damaged, or from a newer schema;
    │                             stop and tell (never written to)
    └── RecordingFileError        a recorded-data file (CSV) is malformed or unreadable; the
                                  message names file:line, the column, what was expected and
                                  what was found

No ``sqlite3`` exception leaves the package: each is translated at the store's edge with
``raise … from exc``.
"""

from __future__ import annotations

from pathlib import Path


class RecorderError(Exception):
    """Base of every error the recorder raises on purpose."""

    hint: str | None = None


class StoreError(RecorderError):
    """The SQLite recording store cannot be used."""

    def __init__(self, path: Path | str, message: str, *, hint: str | None = None) -> None:
        self.path = str(path)
        self.hint = hint
        super().__init__(f"{self.path}: {message}")


class StoreLocked(StoreError):
    """Another recorder holds the write lock on this store."""


class StoreCorrupt(StoreError):
    """The file is not a readable wattplan recording."""


class RecordingFileError(RecorderError):
    """A recorded-data file is malformed; the message says where and what."""

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
