"""Data in: a recording (the recorder's SQLite file or the recorded-data CSV) or the demo year.

Recordings are read and cleaned by the production reader
(:func:`optimiser.recorder.read_recording`), which counts and reports duplicates, out-of-order
rows, clock changes, negative solar, short gaps filled and long gaps; that report travels with
the data (:attr:`ReplayData.quality_lines`) so a replay never hides what it was fed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.domain.history import History
from optimiser.domain.traces import Trace
from optimiser.recorder import read_recording
from simulations.datasets import demo_trace, demo_year
from simulations.replay.errors import ReplayDataError

DAY_S = 86400
FORECAST_STEP_S = 900.0


@dataclass(frozen=True, eq=False)
class Actual:
    """What the battery really did, per step of the replayed trace (where recorded).

    Attributes
    ----------
    battery_kw : numpy.ndarray or None
        Mean battery power (> 0 discharging); NaN where unknown. [kW]
    soe_percent : numpy.ndarray or None
        Mean stored energy, gateway raw scale; NaN where unknown. [%]
    mode : tuple of (str or None) or None
        Operation mode in force at each step's start.
    """

    battery_kw: np.ndarray | None
    soe_percent: np.ndarray | None
    mode: tuple[str | None, ...] | None

    def window(self, keep: slice) -> Actual:
        """The same columns over ``keep``."""
        return Actual(
            None if self.battery_kw is None else self.battery_kw[keep],
            None if self.soe_percent is None else self.soe_percent[keep],
            None if self.mode is None else self.mode[keep],
        )


@dataclass(frozen=True, eq=False)
class ReplayData:
    """The period to replay and everything known about it.

    Attributes
    ----------
    trace : Trace
        Load and solar over the replayed period, regular steps. [kW]
    history : History
        All load and solar data, for forecasts (each decision sees only what ended before it).
    source : str
        Where the data came from.
    quality : dict or None
        The recording reader's quality report (JSON form); None for generated data.
    quality_lines : tuple of str
        The same, for humans.
    actual : Actual or None
        The battery's recorded behaviour on the trace's steps.
    """

    trace: Trace
    history: History
    source: str
    quality: dict | None = None
    quality_lines: tuple[str, ...] = ()
    actual: Actual | None = None

    @property
    def step_s(self) -> float:
        """The data's resolution. [s]"""
        e = self.trace.epoch_s
        return float(e[1] - e[0]) if len(e) > 1 else 300.0

    @property
    def start(self) -> datetime:
        """Start of the replayed period, UTC."""
        return self.trace.start

    @property
    def end(self) -> datetime:
        """End of the replayed period (exclusive), UTC."""
        return datetime.fromtimestamp(float(self.trace.epoch_s[-1]) + self.step_s, UTC)

    def window(
        self, start: date | None, days: int | None, tz: ZoneInfo, slot_minutes: int = 30
    ) -> ReplayData:
        """The data from local midnight of ``start`` (default: the first whole slot) for
        ``days`` days (default: to the end), trimmed to whole slots."""
        e = self.trace.epoch_s
        slot_s = slot_minutes * 60
        if start is None:
            t0 = float(np.ceil(e[0] / slot_s) * slot_s)
        else:
            t0 = datetime.combine(start, time(0), tz).timestamp()
        if days is None:
            t1 = float(e[-1]) + self.step_s
        else:
            local = datetime.fromtimestamp(t0, UTC).astimezone(tz).date() + timedelta(days=days)
            t1 = datetime.combine(local, time(0), tz).timestamp()
        t1 = float(np.floor(t1 / slot_s) * slot_s)
        data_end = float(e[-1]) + self.step_s
        if t0 < e[0] - 1e-6 or t1 > data_end + 1e-6 or t1 <= t0:
            raise ReplayDataError(
                f"{self.source}: expected a period within the data "
                f"({_iso(e[0])} → {_iso(data_end)}), got {_iso(t0)} → {_iso(t1)}"
            )
        keep = slice(int(np.searchsorted(e, t0 - 1e-6)), int(np.searchsorted(e, t1 - 1e-6)))
        if keep.stop - keep.start < 1:
            raise ReplayDataError(f"{self.source}: no data between {_iso(t0)} and {_iso(t1)}")
        trace = Trace(e[keep], self.trace.load_kw[keep], self.trace.solar_kw[keep])
        actual = None if self.actual is None else self.actual.window(keep)
        return replace(self, trace=trace, actual=actual)


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(float(epoch_s), UTC).isoformat()


def load_data(path: Path, *, step_minutes: float | None = None) -> ReplayData:
    """A recording, cleaned by the production reader, on a regular grid.

    ``step_minutes`` resamples (default: the recording's own resolution, at most 30 min).
    Long gaps are filled from the nearest day with data (the reader's rule) and reported.
    """
    rec = read_recording(path)
    step = step_minutes
    if step is None and rec.quality.step_s is not None and rec.quality.step_s > 1800:
        step = 30.0
    resampled = rec.resample(step)
    trace = Trace(resampled.epoch_s, resampled.load_kw, resampled.solar_kw)
    history = coarsen(rec.to_history())
    lines = list(rec.quality.lines())
    filled_days = int(resampled.from_other_day.sum())
    if filled_days:
        lines.append(
            f"{filled_days} steps inside long gaps replayed with the nearest day's data "
            f"at the same time (forecasts never see them)"
        )
    quality = rec.quality.to_dict() | {"steps_from_other_day": filled_days}
    actual = None
    if resampled.battery_kw is not None or resampled.soe_percent is not None or rec.mode:
        mode = None
        if rec.mode and any(m for m in rec.mode):
            idx = np.clip(np.searchsorted(rec.epoch_s, resampled.epoch_s, "right") - 1, 0, None)
            mode = tuple(rec.mode[i] for i in idx)
        battery = _known(resampled.battery_kw)
        soe = _known(resampled.soe_percent)
        if battery is not None or soe is not None or mode is not None:
            actual = Actual(battery, soe, mode)
    return ReplayData(trace, history, str(path), quality, tuple(lines), actual)


def coarsen(history: History, step_s: float = FORECAST_STEP_S) -> History:
    """Means over ``step_s`` bins (NaN where any sample in a bin is NaN), for the forecaster.

    The forecaster bins load by 15 minutes of local time, so 15-minute means carry what it
    learns from while costing a third of 5-minute data to fit. A bin counts as known only once
    it has ended (``interval_s = step_s``), so no decision sees data from its future.
    """
    if len(history) == 0 or history.interval_s >= step_s:
        return history
    bins = np.floor(history.epoch_s / step_s).astype(np.int64)
    keys, inverse = np.unique(bins, return_inverse=True)
    out = []
    for values in (history.load_kw, history.solar_kw):
        bad = ~np.isfinite(values)
        total = np.bincount(inverse, np.where(bad, 0.0, values), len(keys))
        count = np.bincount(inverse, minlength=len(keys))
        mean = total / np.maximum(count, 1)
        mean[np.bincount(inverse, bad, len(keys)) > 0] = np.nan
        out.append(mean)
    return History(keys * step_s, out[0], out[1], interval_s=step_s)


def _known(values: np.ndarray | None) -> np.ndarray | None:
    if values is None or not np.isfinite(values).any():
        return None
    return values


def demo_data(
    start: date | None = None,
    days: int | None = None,
    *,
    tz: ZoneInfo,
    step_minutes: int = 5,
    history_days: int = 42,
) -> ReplayData:
    """The demo household (``simulations.datasets``): the 2025 demo year by default, or
    ``days`` days from ``start``, with ``history_days`` of earlier data for forecasts."""
    if start is None and days is None:
        year = demo_year(2025, step_minutes=step_minutes)
        first = datetime(2025, 1, 1, tzinfo=UTC)
        warm = demo_trace(first - timedelta(days=history_days), first, step_minutes=step_minutes)
        return generated_data(warm, year, "demo year 2025 (simulations.datasets.demo_year)")
    first_day = start or date(2025, 1, 1)
    t0 = datetime.combine(first_day, time(0), tz)
    t1 = datetime.combine(first_day + timedelta(days=days or 365), time(0), tz)
    trace = demo_trace(t0, t1, step_minutes=step_minutes)
    warm = demo_trace(t0 - timedelta(days=history_days), t0, step_minutes=step_minutes)
    return generated_data(warm, trace, f"demo household {first_day} +{days}d")


def generated_data(warm: Trace, trace: Trace, source: str) -> ReplayData:
    """Generated data to replay: ``trace``, with ``warm`` (the days before it) joined on for
    the forecasts' history."""
    keep = warm.epoch_s < trace.epoch_s[0]
    joined = Trace(
        np.concatenate([warm.epoch_s[keep], trace.epoch_s]),
        np.concatenate([warm.load_kw[keep], trace.load_kw]),
        np.concatenate([warm.solar_kw[keep], trace.solar_kw]),
    )
    return ReplayData(trace, coarsen(joined), source)
