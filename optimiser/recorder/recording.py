"""Recorded data in: read a recording (SQLite store or CSV), clean it, and report how.

Cleaning (:func:`clean`, pure) is never silent; each step is counted in :class:`Quality`:

- **clock changes**: every time is converted to UTC on reading, so a file whose offset goes
  from +00:00 to +01:00 (or back, repeating local 01:00–02:00) is simply in order; the number of
  offset changes is reported. A local time without an offset is an error naming its line.
- **out-of-order rows** are sorted (counted); **duplicates** (the same instant again) are
  dropped, keeping the first in file order (counted, and separately those whose values differ).
- **implausible rows** (load or solar beyond :data:`MAX_PLAUSIBLE_KW`, e.g. a 1 TW load from a
  meter glitch, or below -:data:`MAX_NOISE_KW`, e.g. -5 kW of solar) are excluded like missing
  readings and named by source line.
- **small negative solar and load** readings (meter noise at night) are clipped to 0
  (counted).
- **gaps**: the resolution is the median spacing, at most :data:`MAX_STEP_S` (two rows a
  year apart are a year-long gap, not a year's resolution); a spacing over 1.5 steps is a
  gap. A gap whose missing time is at most ``max_fill_s`` (default 15 min) is filled by
  linear interpolation at the recording's step (counted, flagged in ``filled``). A longer gap
  is excluded: one NaN row marks where it starts, and its span is listed.

Two views for the rest of wattplan: :meth:`Recording.to_history` (arrays for the forecasters,
long gaps as NaN) and :meth:`Recording.to_trace` (a regular ``Trace`` for the emulator and the
replay, long gaps filled from the nearest day with data at the same UTC time, flagged).
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from optimiser.domain.history import History
from optimiser.domain.traces import Trace
from optimiser.recorder.csvformat import RecordingRows, parse_recording_csv
from optimiser.recorder.errors import RecordingFileError
from optimiser.recorder.sample import Sample
from optimiser.recorder.store import COLUMNS

DEFAULT_MAX_FILL_S = 15 * 60.0
MAX_PLAUSIBLE_KW = 100.0
"""Largest believable household load or solar power; beyond it a row is a glitch. [kW]"""
MAX_NOISE_KW = 0.5
"""Most negative load or solar power taken as meter noise (clipped to 0); beyond it a row is
a glitch. [kW]"""
MAX_STEP_S = 3600.0
"""Coarsest resolution a recording is taken to have; sparser rows are gaps. [s]"""
SQLITE_MAGIC = b"SQLite format 3\x00"
_DAY_S = 86400.0
_NUMERIC = ("load_kw", "solar_kw", "site_kw", "battery_kw", "soe_percent", "reserve_percent")
_TEXT = ("grid_status", "mode")


def _utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


@dataclass(frozen=True, slots=True)
class Span:
    """A time span, UTC, ``[start, end)``."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        """Length. [s]"""
        return (self.end - self.start).total_seconds()

    def __str__(self) -> str:
        return f"{self.start.isoformat()} → {self.end.isoformat()} ({self.seconds / 3600:.2f} h)"


@dataclass(frozen=True)
class Quality:
    """What cleaning found and did.

    Attributes
    ----------
    rows : int
        Rows read.
    source : str
        Where the rows came from (file name), for the report.
    samples : int
        Distinct real rows kept (before filling).
    duplicates : int
        Rows at an instant already seen, dropped.
    conflicting_duplicates : int
        Of those, rows whose load or solar differed from the kept one.
    out_of_order : int
        Rows earlier than a row before them in the source (sorted).
    clock_changes : int
        Changes of UTC offset between consecutive rows in the source.
    missing_values : int
        Rows without load or solar power, dropped (they become gaps).
    implausible_lines : tuple[int, ...]
        Source lines of rows whose load or solar is above :data:`MAX_PLAUSIBLE_KW` or below
        -:data:`MAX_NOISE_KW`, dropped
        (they become gaps).
    negative_solar, negative_load : int
        Readings below zero, clipped to zero.
    step_s : float | None
        The recording's resolution, the median spacing, at most :data:`MAX_STEP_S` (None with
        one row). [s]
    max_fill_s : float
        Longest missing time filled by interpolation. [s]
    short_gaps : int
        Gaps filled by interpolation.
    filled_points : int
        Points inserted to fill them.
    long_gaps : tuple[Span, ...]
        Gaps excluded (NaN), with their spans.
    recorded_gaps : int
        Failed polls the recorder stored (SQLite only).
    """

    rows: int
    samples: int
    source: str = ""
    duplicates: int = 0
    conflicting_duplicates: int = 0
    out_of_order: int = 0
    clock_changes: int = 0
    missing_values: int = 0
    implausible_lines: tuple[int, ...] = ()
    negative_solar: int = 0
    negative_load: int = 0
    step_s: float | None = None
    max_fill_s: float = DEFAULT_MAX_FILL_S
    short_gaps: int = 0
    filled_points: int = 0
    long_gaps: tuple[Span, ...] = ()
    recorded_gaps: int = 0

    @property
    def long_gap_s(self) -> float:
        """Total length of the long gaps. [s]"""
        return sum(span.seconds for span in self.long_gaps)

    def lines(self) -> list[str]:
        """A human-readable report, one finding per line."""
        step = "unknown" if self.step_s is None else f"{self.step_s:g} s"
        out = [f"{self.rows} rows read, {self.samples} samples kept, resolution {step}"]
        counts = [
            (self.duplicates, "duplicate rows dropped"),
            (self.conflicting_duplicates, "of them with different values (first kept)"),
            (self.out_of_order, "out-of-order rows sorted"),
            (self.clock_changes, "clock changes (UTC offset changes), converted to UTC"),
            (self.missing_values, "rows without load or solar dropped"),
            (self.negative_solar, "negative solar readings clipped to 0"),
            (self.negative_load, "negative load readings clipped to 0"),
            (self.recorded_gaps, "failed polls recorded by the recorder"),
        ]
        out += [f"{n} {what}" for n, what in counts if n]
        if self.implausible_lines:
            shown = ", ".join(f"{self.source}:{n}" for n in self.implausible_lines[:10])
            more = len(self.implausible_lines) - 10
            out.append(
                f"{len(self.implausible_lines)} implausible rows excluded (load or solar above "
                f"{MAX_PLAUSIBLE_KW:g} kW or below -{MAX_NOISE_KW:g} kW): {shown}"
                + (f" … and {more} more" if more > 0 else "")
            )
        if self.short_gaps:
            out.append(
                f"{self.short_gaps} short gaps (≤ {self.max_fill_s / 60:g} min) filled by "
                f"interpolation ({self.filled_points} points)"
            )
        if self.long_gaps:
            out.append(
                f"{len(self.long_gaps)} long gaps excluded, {self.long_gap_s / 3600:.2f} h in all:"
            )
            out += [f"  {span}" for span in self.long_gaps[:20]]
            if len(self.long_gaps) > 20:
                out.append(f"  … and {len(self.long_gaps) - 20} more")
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "rows": self.rows,
            "samples": self.samples,
            "duplicates": self.duplicates,
            "conflicting_duplicates": self.conflicting_duplicates,
            "out_of_order": self.out_of_order,
            "clock_changes": self.clock_changes,
            "missing_values": self.missing_values,
            "implausible_lines": list(self.implausible_lines),
            "negative_solar": self.negative_solar,
            "negative_load": self.negative_load,
            "step_s": self.step_s,
            "max_fill_s": self.max_fill_s,
            "short_gaps": self.short_gaps,
            "filled_points": self.filled_points,
            "long_gaps": [[s.start.isoformat(), s.end.isoformat()] for s in self.long_gaps],
            "long_gap_s": self.long_gap_s,
            "recorded_gaps": self.recorded_gaps,
        }


@dataclass(frozen=True, eq=False)
class Resampled:
    """A recording on a regular UTC grid.

    Attributes
    ----------
    epoch_s : numpy.ndarray
        Bin starts, multiples of ``step_s``. [s]
    step_s : float
        Bin length. [s]
    load_kw, solar_kw : numpy.ndarray
        Time-weighted means over each bin. [kW]
    battery_kw, soe_percent : numpy.ndarray | None
        The same for battery power [kW] and stored energy [%], where recorded.
    from_other_day : numpy.ndarray
        True for bins inside a long gap, filled from the nearest day with data.
    """

    epoch_s: np.ndarray
    step_s: float
    load_kw: np.ndarray
    solar_kw: np.ndarray
    battery_kw: np.ndarray | None
    soe_percent: np.ndarray | None
    from_other_day: np.ndarray


@dataclass(frozen=True, eq=False)
class Recording:
    """A cleaned recording: sorted, unique times; short gaps filled; long gaps NaN.

    Attributes
    ----------
    source : str
        Where it came from.
    epoch_s : numpy.ndarray
        Times, UTC, strictly increasing. [s]
    load_kw, solar_kw : numpy.ndarray
        Demand and generation from each time to the next; NaN rows start long gaps. [kW]
    site_kw, battery_kw : numpy.ndarray | None
        Grid (> 0 importing) and battery (> 0 discharging) power, where recorded. [kW]
    soe_percent, reserve_percent : numpy.ndarray | None
        Stored energy and backup reserve, gateway raw scale, where recorded. [%]
    mode, grid_status : tuple[str | None, ...] | None
        Per-row strings, where recorded.
    filled : numpy.ndarray
        True for points inserted by interpolation.
    quality : Quality
        What cleaning found and did.
    """

    source: str
    epoch_s: np.ndarray
    load_kw: np.ndarray
    solar_kw: np.ndarray
    site_kw: np.ndarray | None
    battery_kw: np.ndarray | None
    soe_percent: np.ndarray | None
    reserve_percent: np.ndarray | None
    mode: tuple[str | None, ...] | None
    grid_status: tuple[str | None, ...] | None
    filled: np.ndarray
    quality: Quality = field(repr=False)

    def __len__(self) -> int:
        return len(self.epoch_s)

    @property
    def start(self) -> datetime:
        """First time, UTC."""
        return _utc(float(self.epoch_s[0]))

    @property
    def end(self) -> datetime:
        """End of the last sample's interval, UTC."""
        return _utc(float(self.epoch_s[-1]) + (self.quality.step_s or 0.0))

    def to_history(self) -> History:
        """The recording as history for the forecasters: each row holds until the next
        (``interval_s`` is the recording's step); NaN marks the start of a long gap."""
        return History(self.epoch_s, self.load_kw, self.solar_kw, float(self.quality.step_s or 0.0))

    def resample(
        self, step_minutes: float | None = None, *, fill_long_gaps: bool = True
    ) -> Resampled:
        """Time-weighted means on a regular UTC grid.

        Parameters
        ----------
        step_minutes : float | None
            Bin length [min]; None = the recording's own resolution (whole seconds).
        fill_long_gaps : bool
            Fill bins in long gaps with the same UTC time of the nearest day (±1, ±2, … ±7
            days, earlier first) that has data there, flagged in ``from_other_day``; else NaN.

        Raises
        ------
        RecordingFileError
            A long gap has no day within a week to fill it from.
        """
        step = _grid_step(self, step_minutes)
        edges_t, cum, cov = _integrals(self, step)
        first = math.floor(float(self.epoch_s[0]) / step) * step
        last = float(edges_t[-1])
        grid = np.arange(first, last, step)
        bins = np.append(grid, grid[-1] + step)

        def mean(name: str) -> np.ndarray:
            e = np.interp(bins, edges_t, cum[name])
            c = np.interp(bins, edges_t, cov[name])
            energy, covered = np.diff(e), np.diff(c)
            with np.errstate(invalid="ignore", divide="ignore"):
                out = energy / covered
            out[covered < 0.5 * step] = np.nan
            return out

        load, solar = mean("load_kw"), mean("solar_kw")
        battery = mean("battery_kw") if self.battery_kw is not None else None
        soe = mean("soe_percent") if self.soe_percent is not None else None
        ok = ~(np.isnan(load) | np.isnan(solar))
        if not ok.any():
            raise RecordingFileError(self.source, "no bin has both load and solar data")
        lo, hi = int(np.argmax(ok)), len(ok) - int(np.argmax(ok[::-1]))
        grid, load, solar, ok = grid[lo:hi], load[lo:hi], solar[lo:hi], ok[lo:hi]
        battery = None if battery is None else battery[lo:hi]
        soe = None if soe is None else soe[lo:hi]
        from_other = np.zeros(len(grid), bool)
        if fill_long_gaps and not ok.all():
            for j in np.flatnonzero(~ok):
                donor = _donor(grid, ok, j)
                if donor is None:
                    raise RecordingFileError(
                        self.source,
                        f"long gap at {_utc(float(grid[j])).isoformat()} cannot be filled: no "
                        f"data at the same time of day within 7 days",
                    )
                load[j], solar[j] = load[donor], solar[donor]
                from_other[j] = True
        return Resampled(grid, step, load, solar, battery, soe, from_other)

    def to_trace(self, step_minutes: float | None = None) -> Trace:
        """A regular :class:`~simulations.traces.Trace` for the emulator and the replay.

        Long gaps are filled from the nearest day with data at the same UTC time (see
        :meth:`resample`, whose ``from_other_day`` flags those bins); use :meth:`to_traces`
        to split at long gaps instead.
        """
        r = self.resample(step_minutes)
        return Trace(epoch_s=r.epoch_s, load_kw=r.load_kw, solar_kw=r.solar_kw)

    def to_traces(self, step_minutes: float | None = None) -> list[Trace]:
        """One regular Trace per stretch of data between long gaps (no filling)."""
        r = self.resample(step_minutes, fill_long_gaps=False)
        ok = ~(np.isnan(r.load_kw) | np.isnan(r.solar_kw))
        traces = []
        edges = np.flatnonzero(np.diff(np.concatenate(([0], ok.astype(np.int8), [0]))))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            traces.append(Trace(r.epoch_s[a:b], r.load_kw[a:b], r.solar_kw[a:b]))
        return traces


def _grid_step(rec: Recording, step_minutes: float | None) -> float:
    if step_minutes is not None:
        if not step_minutes > 0:
            raise ValueError(f"step_minutes must be > 0, got {step_minutes}")
        return float(step_minutes) * 60.0
    if rec.quality.step_s is None:
        raise RecordingFileError(rec.source, "one sample: give step_minutes to make a trace")
    return float(max(round(rec.quality.step_s), 1))


def _integrals(
    rec: Recording, step: float
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Cumulative energy and covered time at each sample edge, per numeric column."""
    own_step = rec.quality.step_s or step
    edges_t = np.append(rec.epoch_s, rec.epoch_s[-1] + own_step)
    dt = np.diff(edges_t)
    cum: dict[str, np.ndarray] = {}
    cov: dict[str, np.ndarray] = {}
    for name in ("load_kw", "solar_kw", "battery_kw", "soe_percent"):
        values = getattr(rec, name)
        if values is None:
            continue
        known = ~np.isnan(values)
        cum[name] = np.concatenate(([0.0], np.cumsum(np.where(known, values, 0.0) * dt)))
        cov[name] = np.concatenate(([0.0], np.cumsum(known * dt)))
    return edges_t, cum, cov


def _donor(grid: np.ndarray, ok: np.ndarray, j: int) -> int | None:
    """Index of a bin with data at the same UTC time on the nearest day (earlier first)."""
    for days in (1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7):
        t = grid[j] - days * _DAY_S
        k = int(np.searchsorted(grid, t))
        if k < len(grid) and grid[k] == t and ok[k]:
            return k
    return None


def clean(
    rows: RecordingRows, *, max_fill_s: float = DEFAULT_MAX_FILL_S, recorded_gaps: int = 0
) -> Recording:
    """Sort, de-duplicate, clip, fill short gaps and mark long ones (pure).

    Parameters
    ----------
    rows : RecordingRows
        Rows as read, in source order.
    max_fill_s : float
        Longest missing time filled by interpolation. [s]
    recorded_gaps : int
        Failed polls stored by the recorder, for the report.

    Returns
    -------
    Recording
        The cleaned series and its :class:`Quality`.
    """
    n_rows = len(rows)
    t = np.asarray(rows.epoch_s, float)
    offsets = np.asarray(rows.utc_offset_s)
    clock_changes = int(np.count_nonzero(np.diff(offsets))) if n_rows > 1 else 0
    out_of_order = int(np.count_nonzero(t[1:] < np.maximum.accumulate(t)[:-1])) if n_rows > 1 else 0
    numeric = {n: getattr(rows, n) for n in _NUMERIC if getattr(rows, n) is not None}
    text = {n: getattr(rows, n) for n in _TEXT if getattr(rows, n) is not None}

    # Rows without load or solar are missing readings, not zeros.
    present = ~(np.isnan(numeric["load_kw"]) | np.isnan(numeric["solar_kw"]))
    missing_values = int(np.count_nonzero(~present))
    # A glitch (a 1 TW load) is excluded like a missing reading, and named by its line.
    with np.errstate(invalid="ignore"):
        absurd = present & (
            (numeric["load_kw"] > MAX_PLAUSIBLE_KW)
            | (numeric["solar_kw"] > MAX_PLAUSIBLE_KW)
            | (numeric["load_kw"] < -MAX_NOISE_KW)
            | (numeric["solar_kw"] < -MAX_NOISE_KW)
        )
    implausible_lines = tuple(int(n) for n in np.asarray(rows.line)[absurd])
    present &= ~absurd

    order = np.argsort(t, kind="stable")
    order = order[present[order]]
    ts = t[order]
    first = np.ones(len(ts), bool)
    first[1:] = ts[1:] != ts[:-1]
    keep = order[first]
    duplicates = int(len(order) - len(keep))
    conflicting = 0
    if duplicates:
        group = np.cumsum(first) - 1  # index into keep for each sorted row
        load_s, solar_s = numeric["load_kw"][order], numeric["solar_kw"][order]
        differs = (load_s != load_s[first][group]) | (solar_s != solar_s[first][group])
        conflicting = int(np.count_nonzero(differs & ~first))

    epoch = t[keep]
    cols = {n: np.array(v, float)[keep] for n, v in numeric.items()}
    strs = {n: [v[i] for i in keep] for n, v in text.items()}
    negative_solar = int(np.count_nonzero(cols["solar_kw"] < 0))
    negative_load = int(np.count_nonzero(cols["load_kw"] < 0))
    cols["solar_kw"] = np.maximum(cols["solar_kw"], 0.0)
    cols["load_kw"] = np.maximum(cols["load_kw"], 0.0)

    step: float | None = None
    if len(epoch) > 1:
        step = min(float(np.median(np.diff(epoch))), MAX_STEP_S)
    short_gaps = filled_points = 0
    long_gaps: list[Span] = []
    out_t: list[np.ndarray] = []
    out_cols: dict[str, list[np.ndarray]] = {n: [] for n in cols}
    out_strs: dict[str, list[str | None]] = {n: [] for n in strs}
    out_filled: list[np.ndarray] = []
    start = 0
    gap_at = np.flatnonzero(np.diff(epoch) > 1.5 * step) if step is not None else np.array([], int)
    for i in gap_at:
        # Copy the stretch up to and including row i, then what goes in the gap after it.
        out_t.append(epoch[start : i + 1])
        for n in cols:
            out_cols[n].append(cols[n][start : i + 1])
        for n in strs:
            out_strs[n].extend(strs[n][start : i + 1])
        out_filled.append(np.zeros(i + 1 - start, bool))
        a, b = float(epoch[i]), float(epoch[i + 1])
        assert step is not None
        if b - a - step <= max_fill_s:
            m = max(round((b - a) / step) - 1, 1)
            frac = np.arange(1, m + 1) / (m + 1)
            out_t.append(a + frac * (b - a))
            for n in cols:
                out_cols[n].append(cols[n][i] + frac * (cols[n][i + 1] - cols[n][i]))
            for n in strs:
                out_strs[n].extend([strs[n][i]] * m)
            out_filled.append(np.ones(m, bool))
            short_gaps += 1
            filled_points += m
        else:
            out_t.append(np.array([a + step]))
            for n in cols:
                out_cols[n].append(np.array([np.nan]))
            for n in strs:
                out_strs[n].append(None)
            out_filled.append(np.zeros(1, bool))
            long_gaps.append(Span(_utc(a + step), _utc(b)))
        start = i + 1
    out_t.append(epoch[start:])
    for n in cols:
        out_cols[n].append(cols[n][start:])
    for n in strs:
        out_strs[n].extend(strs[n][start:])
    out_filled.append(np.zeros(len(epoch) - start, bool))

    final = {n: np.concatenate(v) for n, v in out_cols.items()}
    quality = Quality(
        rows=n_rows,
        samples=len(epoch),
        source=rows.source,
        duplicates=duplicates,
        conflicting_duplicates=conflicting,
        out_of_order=out_of_order,
        clock_changes=clock_changes,
        missing_values=missing_values,
        implausible_lines=implausible_lines,
        negative_solar=negative_solar,
        negative_load=negative_load,
        step_s=step,
        max_fill_s=max_fill_s,
        short_gaps=short_gaps,
        filled_points=filled_points,
        long_gaps=tuple(long_gaps),
        recorded_gaps=recorded_gaps,
    )
    if len(epoch) == 0:
        raise RecordingFileError(rows.source, "no rows with both load and solar power")
    return Recording(
        source=rows.source,
        epoch_s=np.concatenate(out_t),
        load_kw=final["load_kw"],
        solar_kw=final["solar_kw"],
        site_kw=final.get("site_kw"),
        battery_kw=final.get("battery_kw"),
        soe_percent=final.get("soe_percent"),
        reserve_percent=final.get("reserve_percent"),
        mode=tuple(out_strs["mode"]) if "mode" in out_strs else None,
        grid_status=tuple(out_strs["grid_status"]) if "grid_status" in out_strs else None,
        filled=np.concatenate(out_filled),
        quality=quality,
    )


def rows_from_samples(samples: list[Sample], source: str) -> RecordingRows:
    """Rows from samples (unknown values as NaN / None)."""
    columns = ("epoch_s", *COLUMNS)
    rows = [(s.time.timestamp(), *(getattr(s, c) for c in COLUMNS)) for s in samples]
    return rows_from_store_rows(columns, rows, source)


def rows_from_store_rows(columns: tuple[str, ...], rows: list[tuple], source: str) -> RecordingRows:
    """Rows from the store's raw tuples (:meth:`RecordingStore.rows`)."""
    n = len(rows)
    by_name = dict(zip(columns, zip(*rows, strict=True), strict=True)) if n else {}

    def arr(name: str) -> np.ndarray:
        if not n:
            return np.zeros(0)
        return np.array(by_name[name], dtype=float)  # None becomes NaN

    soe, capacity = arr("soe_kwh"), arr("capacity_kwh")
    with np.errstate(invalid="ignore", divide="ignore"):
        soe_percent = np.where(capacity > 0, 100.0 * soe / capacity, np.nan)
    return RecordingRows(
        source=source,
        epoch_s=arr("epoch_s"),
        utc_offset_s=np.zeros(n, np.int64),
        line=np.arange(1, n + 1),
        load_kw=arr("load_kw"),
        solar_kw=arr("solar_kw"),
        site_kw=arr("site_kw"),
        battery_kw=arr("battery_kw"),
        soe_percent=soe_percent,
        reserve_percent=arr("backup_reserve_percent"),
        grid_status=tuple(by_name["grid_status"]) if n else (),
        mode=tuple(by_name["mode"]) if n else (),
    )


def read_recording(
    path: Path | str, *, max_fill_minutes: float = DEFAULT_MAX_FILL_S / 60
) -> Recording:
    """Read and clean a recording: the recorder's SQLite file or recorded-data CSV (optionally
    gzip-compressed), told apart by content, not by name.

    Raises
    ------
    RecordingFileError
        Unreadable or malformed file (with file:line for CSV).
    StoreError
        A damaged or foreign SQLite file.
    """
    from optimiser.recorder.store import RecordingStore

    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordingFileError(str(path), f"cannot read: {exc.strerror}") from exc
    max_fill_s = float(max_fill_minutes) * 60.0
    if data.startswith(SQLITE_MAGIC):
        with RecordingStore(path, readonly=True) as store:
            columns, raw = store.rows()
            recorded_gaps = store.gap_count()
        if not raw:
            raise RecordingFileError(str(path), "the recording has no samples yet")
        rows = rows_from_store_rows(columns, raw, str(path))
        return clean(rows, max_fill_s=max_fill_s, recorded_gaps=recorded_gaps)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise RecordingFileError(str(path), f"damaged gzip data: {exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordingFileError(
            str(path),
            f"expected a wattplan SQLite recording or UTF-8 CSV text, found neither "
            f"(byte {exc.start} is not UTF-8)",
        ) from exc
    return clean(parse_recording_csv(text, source=str(path)), max_fill_s=max_fill_s)
