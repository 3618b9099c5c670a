"""Recorded samples as the dashboard needs them: downsampled series and per-slot energies.

Pure: every function takes the samples (the recorder's, or the service's recent readings when
nothing is recorded) and returns JSON-ready documents or numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from optimiser.domain.slots import SlotGrid
from optimiser.recorder import Sample
from optimiser.web.views import Json, iso

SERIES = ("load_kw", "solar_kw", "battery_kw", "grid_kw", "soe_kwh")
"""The series ``/api/history`` returns, with their units."""

MAX_SAMPLE_GAP_S = 900.0
"""A sample stands for at most this long; a longer silence is a gap, not energy. [s]"""


def downsample(samples: Sequence[Sample], points: int) -> Json:
    """At most ``points`` time buckets of equal length, each the mean of its samples.

    Returns ``{"time": [...], "load_kw": [...], …}`` (None where a bucket has no value).
    """
    if not samples:
        return {"time": [], **{name: [] for name in SERIES}}
    epoch = np.array([s.time.timestamp() for s in samples])
    columns = {
        "load_kw": [s.load_kw for s in samples],
        "solar_kw": [None if s.solar_kw is None else max(s.solar_kw, 0.0) for s in samples],
        "battery_kw": [s.battery_kw for s in samples],
        "grid_kw": [s.site_kw for s in samples],
        "soe_kwh": [s.soe_kwh for s in samples],
    }
    count = min(points, len(samples))
    span = max(epoch[-1] - epoch[0], 1.0)
    bucket = np.minimum(((epoch - epoch[0]) / span * count).astype(int), count - 1)
    used = np.unique(bucket)
    out: Json = {"time": []}
    times = np.bincount(bucket, weights=epoch, minlength=count) / np.maximum(
        np.bincount(bucket, minlength=count), 1
    )
    out["time"] = [iso(_utc(times[b])) for b in used]
    for name, values in columns.items():
        arr = np.array([np.nan if v is None else v for v in values], dtype=float)
        known = ~np.isnan(arr)
        sums = np.bincount(bucket[known], weights=arr[known], minlength=count)
        counts = np.bincount(bucket[known], minlength=count)
        out[name] = [None if counts[b] == 0 else round(float(sums[b] / counts[b]), 3) for b in used]
    return out


def _utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(float(epoch_s), UTC)


@dataclass(frozen=True)
class SlotEnergies:
    """What really happened in each slot of a grid, from the samples.

    Attributes
    ----------
    covered : numpy.ndarray of bool
        The slot has samples.
    load_kwh, solar_kwh : numpy.ndarray
        Household use and solar production. [kWh]
    import_kwh, export_kwh : numpy.ndarray
        Grid energy in and out. [kWh]
    battery_kwh : numpy.ndarray
        Battery energy, > 0 discharged. [kWh]
    soe_kwh : numpy.ndarray
        Stored energy at the slot's last sample (NaN: none). [kWh]
    """

    covered: np.ndarray
    load_kwh: np.ndarray
    solar_kwh: np.ndarray
    import_kwh: np.ndarray
    export_kwh: np.ndarray
    battery_kwh: np.ndarray
    soe_kwh: np.ndarray


def slot_energies(
    samples: Sequence[Sample], grid: SlotGrid, until: datetime | None = None
) -> SlotEnergies:
    """Integrate the samples over each slot: each sample holds until the next one (the last
    until ``until``, e.g. now), for at most :data:`MAX_SAMPLE_GAP_S`, and is cut at its slot's
    end.
    """
    n = grid.count
    zeros = {name: np.zeros(n) for name in ("load", "solar", "imp", "exp", "bat")}
    soe = np.full(n, np.nan)
    covered = np.zeros(n, dtype=bool)
    start = grid.start.timestamp()
    step = grid.minutes * 60.0
    for i, sample in enumerate(samples):
        t = sample.time.timestamp()
        index = int((t - start) // step)
        if not 0 <= index < n:
            continue
        if i + 1 < len(samples):
            following = samples[i + 1].time.timestamp()
        else:
            following = t if until is None else until.timestamp()
        slot_end = start + (index + 1) * step
        held_h = max(min(following - t, MAX_SAMPLE_GAP_S, slot_end - t), 0.0) / 3600.0
        covered[index] = True
        site = sample.site_kw or 0.0
        zeros["load"][index] += (sample.load_kw or 0.0) * held_h
        zeros["solar"][index] += max(sample.solar_kw or 0.0, 0.0) * held_h
        zeros["imp"][index] += max(site, 0.0) * held_h
        zeros["exp"][index] += max(-site, 0.0) * held_h
        zeros["bat"][index] += (sample.battery_kw or 0.0) * held_h
        if sample.soe_kwh is not None:
            soe[index] = sample.soe_kwh
    return SlotEnergies(
        covered,
        zeros["load"],
        zeros["solar"],
        zeros["imp"],
        zeros["exp"],
        zeros["bat"],
        soe,
    )
