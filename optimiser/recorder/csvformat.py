"""The recorded-data CSV: one writer and one pure parser.

Format (also in the README)::

    # comment lines start with '#'; blank lines are ignored
    timestamp,load_w,solar_w,site_w,battery_w,soe_percent,grid_status,mode,reserve_percent
    2026-03-29T00:00:00+00:00,412.0,0.0,412.0,0.0,54.210,SystemGridConnected,self_consumption,24.000

- ``timestamp``: ISO 8601 with a UTC offset (``Z``, ``+00:00``, ``+01:00``); rows in local time
  must carry their offset, so clock changes are unambiguous. A time without offset is an error.
- ``load_w``, ``solar_w`` (required): household demand and PV generation, from this row's time
  until the next row's (average or instantaneous reading). [W] Small negative values (≥ −100 W,
  meter noise at night) are allowed and clipped later; larger ones are an error.
- optional: ``site_w`` (> 0 importing) and ``battery_w`` (> 0 discharging) [W],
  ``soe_percent`` and ``reserve_percent`` (gateway raw scale) [%], ``grid_status`` (the gateway's
  value), ``mode`` (``self_consumption`` | ``autonomous`` | ``backup``). An empty cell is unknown.
- Any resolution (90 s, 5, 15, 30 min); rows may be out of order or repeated (the reader sorts,
  de-duplicates and reports). Unknown columns are an error (a misspelt column is not silence).

:func:`parse_recording_csv` is the only parser: ``read_recording`` calls it for files, tests
call it on text.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from optimiser.recorder.errors import RecordingFileError
from optimiser.recorder.sample import Sample

REQUIRED_COLUMNS = ("timestamp", "load_w", "solar_w")
OPTIONAL_COLUMNS = (
    "site_w",
    "battery_w",
    "soe_percent",
    "grid_status",
    "mode",
    "reserve_percent",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_NUMERIC_COLUMNS = ("load_w", "solar_w", "site_w", "battery_w", "soe_percent", "reserve_percent")
MODES = ("self_consumption", "autonomous", "backup")
NEGATIVE_POWER_TOLERANCE_W = 100.0
#: The years a recording's rows may fall in (no Powerwall recorded before 2000); a row outside
#: is a glitch that would stretch the recording over millennia.
FIRST_YEAR, LAST_YEAR = 2000, 2100
SIGN_REVERSED_SHARE = 0.05  # more rows than this below the tolerance: a reversed sign [-]


@dataclass(frozen=True, eq=False)
class RecordingRows:
    """Recorded rows as read, in file order, before any cleaning.

    Attributes
    ----------
    source : str
        Where the rows came from (file name), for messages.
    epoch_s : numpy.ndarray
        Row times, seconds since the epoch, UTC. [s]
    utc_offset_s : numpy.ndarray
        Each row's written UTC offset (0 for the SQLite store). [s]
    line : numpy.ndarray
        Source line of each row (row number for the SQLite store).
    load_kw, solar_kw : numpy.ndarray
        Household demand and PV generation. [kW]
    site_kw, battery_kw : numpy.ndarray | None
        Grid power (> 0 importing) and battery power (> 0 discharging), NaN where unknown;
        None when the source has no such column. [kW]
    soe_percent, reserve_percent : numpy.ndarray | None
        Stored energy and backup reserve, gateway raw scale, NaN where unknown. [%]
    grid_status, mode : tuple[str | None, ...] | None
        Per-row strings, None where unknown.
    """

    source: str
    epoch_s: np.ndarray
    utc_offset_s: np.ndarray
    line: np.ndarray
    load_kw: np.ndarray
    solar_kw: np.ndarray
    site_kw: np.ndarray | None = None
    battery_kw: np.ndarray | None = None
    soe_percent: np.ndarray | None = None
    reserve_percent: np.ndarray | None = None
    grid_status: tuple[str | None, ...] | None = None
    mode: tuple[str | None, ...] | None = None

    def __len__(self) -> int:
        return len(self.epoch_s)


def _iter_lines(text_or_lines: str | bytes | Iterable[str]) -> Iterable[str]:
    if isinstance(text_or_lines, bytes):
        text_or_lines = text_or_lines.decode("utf-8-sig")
    if isinstance(text_or_lines, str):
        return io.StringIO(text_or_lines.removeprefix("\ufeff"))
    return text_or_lines


def _parse_time(cell: str, source: str, line: int) -> tuple[float, int]:
    text = cell.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise RecordingFileError(
            source,
            f"expected an ISO 8601 time with offset like 2026-03-29T01:30:00+01:00, found {text!r}",
            line=line,
            column="timestamp",
        ) from None
    offset = when.utcoffset()
    if offset is None:
        raise RecordingFileError(
            source,
            f"expected a UTC offset (e.g. +01:00 or Z), found local time without one {text!r}; "
            f"local times are ambiguous around clock changes",
            line=line,
            column="timestamp",
        )
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise RecordingFileError(
            source,
            f"expected a time between {FIRST_YEAR} and {LAST_YEAR}, found {text!r}",
            line=line,
            column="timestamp",
        )
    return when.timestamp(), int(offset / timedelta(seconds=1))


def _parse_number(cell: str, column: str, source: str, line: int, *, required: bool) -> float:
    text = cell.strip()
    if not text:
        if required:
            raise RecordingFileError(
                source, "expected a number, found an empty cell", line=line, column=column
            )
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise RecordingFileError(
            source, f"expected a number, found {text!r}", line=line, column=column
        ) from None
    if not math.isfinite(value):
        raise RecordingFileError(
            source, f"expected a finite number, found {text!r}", line=line, column=column
        )
    return value


def _check_range(value: float, lo: float, hi: float, column: str, source: str, line: int) -> None:
    if not math.isnan(value) and not lo <= value <= hi:
        raise RecordingFileError(
            source,
            f"expected a value in [{lo:g}, {hi:g}], found {value:g}",
            line=line,
            column=column,
        )


def parse_recording_csv(
    text_or_lines: str | bytes | Iterable[str], source: str = "<string>"
) -> RecordingRows:
    """Parse recorded-data CSV text into rows (pure: no I/O).

    Parameters
    ----------
    text_or_lines : str | bytes | Iterable[str]
        The whole text, or its lines.
    source : str
        Name used in error messages (the file name).

    Returns
    -------
    RecordingRows
        Every data row, in file order, powers converted to kW, times to UTC.

    Raises
    ------
    RecordingFileError
        Naming ``source:line``, the column, what was expected and what was found.
    """
    header: list[str] | None = None
    index: dict[str, int] = {}
    times: list[float] = []
    offsets: list[int] = []
    lines: list[int] = []
    numbers: dict[str, list[float]] = {c: [] for c in _NUMERIC_COLUMNS}
    texts: dict[str, list[str | None]] = {"grid_status": [], "mode": []}
    strongly_negative: dict[str, list[tuple[int, float]]] = {}
    for lineno, raw in enumerate(_iter_lines(text_or_lines), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        cells = next(csv.reader([stripped]))
        if header is None:
            header = [c.strip() for c in cells]
            _check_header(header, source, lineno)
            index = {name: i for i, name in enumerate(header)}
            continue
        if len(cells) != len(header):
            raise RecordingFileError(
                source,
                f"expected {len(header)} fields ({', '.join(header)}), found {len(cells)}",
                line=lineno,
            )
        epoch, offset = _parse_time(cells[index["timestamp"]], source, lineno)
        times.append(epoch)
        offsets.append(offset)
        lines.append(lineno)
        for column, values in numbers.items():
            if column not in index:
                continue
            value = _parse_number(
                cells[index[column]], column, source, lineno, required=column in REQUIRED_COLUMNS
            )
            if column in ("load_w", "solar_w") and value < -NEGATIVE_POWER_TOLERANCE_W:
                strongly_negative.setdefault(column, []).append((lineno, value))
            if column in ("soe_percent", "reserve_percent"):
                _check_range(value, 0.0, 100.5, column, source, lineno)
            values.append(value)
        for column, values in texts.items():
            if column not in index:
                continue
            cell = cells[index[column]].strip()
            if column == "mode" and cell and cell not in MODES:
                raise RecordingFileError(
                    source,
                    f"expected one of {', '.join(MODES)} or empty, found {cell!r}",
                    line=lineno,
                    column=column,
                )
            values.append(cell or None)
    if header is None:
        raise RecordingFileError(
            source, f"expected a header line with {', '.join(REQUIRED_COLUMNS)}, found no lines"
        )
    if not times:
        raise RecordingFileError(source, "expected at least one data row after the header")
    for column, found in strongly_negative.items():
        # A few readings below -100 W happen (the recorder stores what the gateway says, and
        # the cleaning clips them); many mean the column's sign is reversed.
        if len(found) > SIGN_REVERSED_SHARE * len(times):
            lineno, value = found[0]
            more = f" and {len(found) - 1} more below it" if len(found) > 1 else ""
            raise RecordingFileError(
                source,
                f"expected ≥ {-NEGATIVE_POWER_TOLERANCE_W:g} W (small negative readings at night "
                f"are normal), found {value:g}{more}; is the sign reversed?",
                line=lineno,
                column=column,
            )

    def kw(column: str) -> np.ndarray | None:
        return np.asarray(numbers[column], float) / 1000.0 if column in index else None

    def pct(column: str) -> np.ndarray | None:
        return np.asarray(numbers[column], float) if column in index else None

    def txt(column: str) -> tuple[str | None, ...] | None:
        return tuple(texts[column]) if column in index else None

    return RecordingRows(
        source=source,
        epoch_s=np.asarray(times, float),
        utc_offset_s=np.asarray(offsets, np.int64),
        line=np.asarray(lines, np.int64),
        load_kw=kw("load_w"),
        solar_kw=kw("solar_w"),
        site_kw=kw("site_w"),
        battery_kw=kw("battery_w"),
        soe_percent=pct("soe_percent"),
        reserve_percent=pct("reserve_percent"),
        grid_status=txt("grid_status"),
        mode=txt("mode"),
    )


def _check_header(header: Sequence[str], source: str, line: int) -> None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise RecordingFileError(source, f"column {name!r} appears twice", line=line)
        seen.add(name)
        if name not in COLUMNS:
            raise RecordingFileError(
                source,
                f"unknown column {name!r}: expected columns from {', '.join(COLUMNS)}",
                line=line,
            )
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        raise RecordingFileError(
            source,
            f"expected required columns {', '.join(REQUIRED_COLUMNS)}, missing "
            f"{', '.join(missing)} (found {', '.join(header)})",
            line=line,
        )


def _format_row(
    time_iso: str,
    load_kw: float | None,
    solar_kw: float | None,
    site_kw: float | None,
    battery_kw: float | None,
    soe_percent: float | None,
    grid_status: str | None,
    mode: str | None,
    reserve_percent: float | None,
) -> list[str]:
    def watts(kw: float | None) -> str:
        return "" if kw is None else f"{kw * 1000.0:.1f}"

    def pct(value: float | None) -> str:
        return "" if value is None else f"{value:.3f}"

    return [
        time_iso,
        watts(load_kw),
        watts(solar_kw),
        watts(site_kw),
        watts(battery_kw),
        pct(soe_percent),
        grid_status or "",
        mode or "",
        pct(reserve_percent),
    ]


def sample_to_row(sample: Sample) -> list[str]:
    """The CSV cells for one sample, in :data:`COLUMNS` order."""
    return _format_row(
        sample.time.isoformat(),
        sample.load_kw,
        sample.solar_kw,
        sample.site_kw,
        sample.battery_kw,
        sample.soe_percent,
        sample.grid_status,
        sample.mode,
        sample.backup_reserve_percent,
    )


def _store_rows(store: Any, since: datetime | None, until: datetime | None) -> Iterator[list[str]]:
    """CSV cells straight from the store's raw rows (fast: no Sample objects)."""
    columns, rows = store.rows(since, until)
    i = {name: k for k, name in enumerate(columns)}
    for row in rows:
        soe, capacity = row[i["soe_kwh"]], row[i["capacity_kwh"]]
        yield _format_row(
            datetime.fromtimestamp(row[i["epoch_s"]], UTC).isoformat(),
            row[i["load_kw"]],
            row[i["solar_kw"]],
            row[i["site_kw"]],
            row[i["battery_kw"]],
            None if soe is None or not capacity else 100.0 * soe / capacity,
            row[i["grid_status"]],
            row[i["mode"]],
            row[i["backup_reserve_percent"]],
        )


def write_recording_csv(
    samples: Iterable[Sample] | object,
    path: Path | str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Write samples (or a whole :class:`RecordingStore`) as recorded-data CSV.

    Samples without load or solar power cannot be written (those columns are required) and are
    skipped. The file is written to a temporary name and renamed, so a reader never sees half.

    Returns
    -------
    int
        Rows written.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            count = write_recording_rows(samples, handle, since=since, until=until)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RecordingFileError(str(path), f"cannot write: {exc.strerror}") from exc
    return count


def write_recording_rows(
    samples: Iterable[Sample] | object,
    handle: TextIO,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Write recorded-data CSV (header and rows) to an open text stream; returns rows written
    (see :func:`write_recording_csv`)."""
    if hasattr(samples, "rows"):
        rows: Iterable[list[str]] = _store_rows(samples, since, until)
    else:
        rows = (
            sample_to_row(s)
            for s in samples  # type: ignore[union-attr]
            if (since is None or s.time >= since) and (until is None or s.time < until)
        )
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for cells in rows:
        if not cells[1] or not cells[2]:
            continue  # no load or solar power: not a usable row
        writer.writerow(cells)
        count += 1
    return count
