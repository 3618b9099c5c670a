"""The recording store: samples and gaps in one SQLite file, safe against kill -9.

Durability: WAL journal with ``synchronous=FULL`` and one transaction per sample, so a sample
is on disk before :meth:`RecordingStore.add_sample` returns, and a process killed at any moment
leaves a file that opens cleanly with every committed sample in it. Samples are keyed by their
UTC time in whole seconds and inserted with ``INSERT OR IGNORE``: writing the same sample twice
(a resumed recorder, a retried write) never duplicates it.

A failed poll is a row in ``gaps`` (when, the error's class and message), never a made-up
sample. One writer per file: the writer holds an exclusive ``flock`` on ``<file>.lock``, which
the kernel releases when the process dies. Readers (export, info, replay) open the file
read-only and need no lock.

Schema versions live in ``PRAGMA user_version``; ``PRAGMA application_id`` marks the file as a
wattplan recording so that any other SQLite file is refused rather than written to.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from optimiser.recorder.errors import StoreCorrupt, StoreError, StoreLocked, StoreMissing
from optimiser.recorder.sample import NUMERIC_FIELDS, TEXT_FIELDS, Sample

log = logging.getLogger(__name__)

APPLICATION_ID = 0x57505243  # "WPRC": wattplan recording
SCHEMA_VERSION = 1
COLUMNS = (
    "soe_kwh",
    "capacity_kwh",
    "load_kw",
    "solar_kw",
    "battery_kw",
    "site_kw",
    "mode",
    "backup_reserve_percent",
    "grid_status",
    "battery_charged_kwh",
    "battery_discharged_kwh",
    "site_imported_kwh",
    "site_exported_kwh",
    "solar_exported_kwh",
    "load_imported_kwh",
)
assert set(COLUMNS) == set(NUMERIC_FIELDS) | set(TEXT_FIELDS)

# Column names come from the constant above, never from data.
_INSERT_SAMPLE = (
    f"INSERT OR IGNORE INTO samples (epoch_s, {', '.join(COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})"
)
_SELECT_SAMPLES = (
    f"SELECT epoch_s, {', '.join(COLUMNS)} FROM samples "  # noqa: S608
    "WHERE epoch_s >= ? AND epoch_s < ? ORDER BY epoch_s"
)

_SCHEMA_V1 = f"""
CREATE TABLE samples (
    epoch_s INTEGER PRIMARY KEY,
    {", ".join(f"{c} {'TEXT' if c in TEXT_FIELDS else 'REAL'}" for c in COLUMNS)}
);
CREATE TABLE gaps (
    epoch_s INTEGER PRIMARY KEY,
    end_s INTEGER NOT NULL,
    error_class TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class Gap:
    """A span with no sample because a poll failed or the recorder was not running.

    Attributes
    ----------
    start, end : datetime
        The span, UTC, ``[start, end)``.
    error_class : str
        The failure's exception class name (``RecorderStopped`` for downtime).
    message : str
        The failure's message.
    """

    start: datetime
    end: datetime
    error_class: str
    message: str


def _utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


class RecordingStore:
    """A recording in a SQLite file.

    Parameters
    ----------
    path : Path | str
        The database file. Created (with its folder) when opened for writing.
    readonly : bool
        Open for reading only: no lock taken, nothing created, never written.

    Raises
    ------
    StoreLocked
        Another process (or another store object) is writing this file.
    StoreCorrupt
        The file is not a wattplan recording, is damaged, or has a newer schema.
    StoreMissing
        The path is a directory, or (read-only) there is no file.
    StoreError
        Any other failure to open (permissions, I/O).
    """

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path).expanduser()
        self.readonly = readonly
        self._lock_fd: int | None = None
        self._conn: sqlite3.Connection | None = None
        if self.path.is_dir():
            raise StoreMissing(
                self.path, "is a directory; expected a recording file", hint="name a file"
            )
        try:
            if readonly:
                self._open_readonly()
            else:
                self._lock()
                self._open_writer()
        except BaseException:
            self.close()
            raise

    # -- opening ----------------------------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        """The lock file beside the database."""
        return self.path.with_name(self.path.name + ".lock")

    def _lock(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            # Nowhere to put the recording (a missing or read-only directory) is the path's
            # fault, not a failure of the store.
            user = exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EROFS)
            raise (StoreMissing if user else StoreError)(
                self.path, f"cannot create lock file: {exc.strerror}"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = _read_holder(fd)
            os.close(fd)
            raise StoreLocked(
                self.path,
                f"another recorder is writing this file{holder}",
                hint="stop the other recorder, or record to a different --database",
            ) from exc
        except OSError as exc:
            os.close(fd)
            raise StoreError(self.path, f"cannot lock {self.lock_path}: {exc.strerror}") from exc
        self._lock_fd = fd
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)

    def _open_writer(self) -> None:
        with self._translate("open"):
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._conn = conn
            conn.execute("PRAGMA busy_timeout = 5000")
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables == 0 and version == 0 and app_id == 0:
                self._create(conn)
            else:
                self._check_identity(app_id, version)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(self.path, f"cannot use WAL journal mode (got {mode!r})")
            conn.execute("PRAGMA synchronous = FULL")

    def _open_readonly(self) -> None:
        if not self.path.exists():
            raise StoreMissing(self.path, "no such recording")
        with self._translate("open"):
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            self._conn = conn
            conn.execute("PRAGMA busy_timeout = 5000")
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            self._check_identity(app_id, version)

    def _create(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA_V1.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO meta VALUES ('created', ?)", (datetime.now(UTC).isoformat(),))
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("created recording %s (schema %d)", self.path, SCHEMA_VERSION)

    def _check_identity(self, app_id: int, version: int) -> None:
        if app_id != APPLICATION_ID:
            raise StoreCorrupt(
                self.path,
                f"not a wattplan recording (SQLite application_id {app_id:#x}, "
                f"expected {APPLICATION_ID:#x})",
                hint="point --database at a wattplan recording or a new file",
            )
        if version > SCHEMA_VERSION:
            raise StoreCorrupt(
                self.path,
                f"recording schema {version} is newer than this wattplan understands "
                f"(up to {SCHEMA_VERSION})",
                hint="upgrade wattplan",
            )
        if version < 1:
            raise StoreCorrupt(self.path, f"recording schema {version} is unknown")

    @contextlib.contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        """Turn sqlite3 errors into the package's errors, naming the file and the action."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            lowered = text.lower()
            if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
                raise StoreCorrupt(
                    self.path, f"{action}: the file is damaged or not SQLite ({text})"
                ) from exc
            if "locked" in lowered or "busy" in lowered:
                raise StoreLocked(self.path, f"{action}: database is busy ({text})") from exc
            raise StoreError(self.path, f"{action}: {text}") from exc
        except sqlite3.Error as exc:
            raise StoreError(self.path, f"{action}: {exc}") from exc

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(self.path, "the store is closed")
        return self._conn

    def close(self) -> None:
        """Close the database and release the write lock (idempotent)."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> RecordingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------------------

    def _write(self, action: str, sql: str, params: tuple) -> bool:
        if self.readonly:
            raise StoreError(self.path, f"{action}: the store is open read-only")
        with self._translate(action):
            conn = self._db
            conn.execute("BEGIN IMMEDIATE")
            try:
                changed = conn.execute(sql, params).rowcount
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        return changed > 0

    def add_sample(self, sample: Sample) -> bool:
        """Commit one sample in its own transaction.

        Returns
        -------
        bool
            True if stored; False if a sample with the same second was already there.
        """
        values = sample.values()
        return self._write(
            f"write sample at {sample.time.isoformat()}",
            _INSERT_SAMPLE,
            (sample.epoch_s, *(values[c] for c in COLUMNS)),
        )

    def add_gap(self, start: datetime, end: datetime, error_class: str, message: str) -> bool:
        """Commit one gap (a failed poll or downtime); False if one starts at the same second."""
        start_s, end_s = round(start.timestamp()), round(end.timestamp())
        return self._write(
            f"write gap at {start.isoformat()}",
            "INSERT OR IGNORE INTO gaps (epoch_s, end_s, error_class, message) VALUES (?, ?, ?, ?)",
            (start_s, max(end_s, start_s), error_class, message[:1000]),
        )

    # -- reading ----------------------------------------------------------------------------

    def _query(self, action: str, sql: str, params: tuple = ()) -> list[tuple]:
        with self._translate(action):
            return self._db.execute(sql, params).fetchall()

    def sample_count(self) -> int:
        """Number of stored samples."""
        return int(self._query("count samples", "SELECT count(*) FROM samples")[0][0])

    def gap_count(self) -> int:
        """Number of stored gaps."""
        return int(self._query("count gaps", "SELECT count(*) FROM gaps")[0][0])

    def span(self) -> tuple[datetime, datetime] | None:
        """(first, last) sample time, UTC, or None when empty."""
        lo, hi = self._query("span", "SELECT min(epoch_s), max(epoch_s) FROM samples")[0]
        return None if lo is None else (_utc(lo), _utc(hi))

    def last_time(self) -> datetime | None:
        """The latest time the recorder accounted for: the last sample or gap start."""
        row = self._query(
            "last time",
            "SELECT max(t) FROM (SELECT max(epoch_s) AS t FROM samples "
            "UNION ALL SELECT max(epoch_s) FROM gaps)",
        )[0]
        return None if row[0] is None else _utc(row[0])

    def rows(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> tuple[tuple[str, ...], list[tuple]]:
        """Raw rows with ``since ≤ time < until``, in time order: (column names, tuples).

        The first column is ``epoch_s``; the rest are :data:`COLUMNS`. For bulk reading (a year
        of 90 s samples is 350,000 rows), where building :class:`Sample` objects would be slow.
        """
        lo = -(2**62) if since is None else since.timestamp()
        hi = 2**62 if until is None else until.timestamp()
        return ("epoch_s", *COLUMNS), self._query("read samples", _SELECT_SAMPLES, (lo, hi))

    def samples(self, since: datetime | None = None, until: datetime | None = None) -> list[Sample]:
        """Samples in time order with ``since ≤ time < until`` (either bound optional)."""
        _, rows = self.rows(since, until)
        return [
            Sample(time=_utc(row[0]), **dict(zip(COLUMNS, row[1:], strict=True))) for row in rows
        ]

    def epochs(self) -> list[int]:
        """Every sample's key (UTC seconds), ascending."""
        return [r[0] for r in self._query("read keys", "SELECT epoch_s FROM samples ORDER BY 1")]

    def gaps(self) -> list[Gap]:
        """Every recorded gap, in time order."""
        rows = self._query(
            "read gaps", "SELECT epoch_s, end_s, error_class, message FROM gaps ORDER BY epoch_s"
        )
        return [Gap(_utc(a), _utc(b), c, m) for a, b, c, m in rows]

    def integrity_check(self) -> list[str]:
        """SQLite's ``integrity_check``: ``['ok']`` for a healthy file."""
        return [r[0] for r in self._query("integrity check", "PRAGMA integrity_check")]


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""
