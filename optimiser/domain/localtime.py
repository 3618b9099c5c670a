"""Vectorised UTC → local wall-clock fields, the one place DST enters tariff maths.

A time-of-use band is written in local time; a price is needed for a UTC instant. Converting
each instant to local time and looking its band up is DST-correct by construction: a local time
that does not exist is never produced, and the repeated autumn hour simply meets its band twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

# Real-world UTC offset changes happen on quarter-hour boundaries, at most one a day.
_QUARTER_S = 900
_QUARTERS_PER_DAY = 86400 // _QUARTER_S


@dataclass(frozen=True, slots=True)
class LocalFields:
    """Local calendar fields of UTC instants (arrays of the same length).

    Attributes
    ----------
    minute : ndarray[int]
        Minute of the local day, 0…1439. [min]
    weekday : ndarray[int]
        0 = Monday … 6 = Sunday.
    month : ndarray[int]
        1…12.
    day : ndarray[int]
        Local calendar day as days since 1970-01-01. [d]
    """

    minute: np.ndarray
    weekday: np.ndarray
    month: np.ndarray
    day: np.ndarray


def utc_offsets_s(epoch_s: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """UTC offset in force at each instant. [s]

    Looked up once per UTC day (at its start and its end) and once per quarter hour only on
    days whose offset changes, so a year of 5-minute samples costs ~730 look-ups, not 35 000.
    """
    quarters = np.asarray(epoch_s, dtype=np.int64) // _QUARTER_S
    unique, inverse = np.unique(quarters, return_inverse=True)
    days = unique // _QUARTERS_PER_DAY
    day_list, day_of = np.unique(days, return_inverse=True)
    start = np.array([_offset_s(int(d) * 86400, tz) for d in day_list], dtype=np.int64)
    end = np.array([_offset_s(int(d) * 86400 + 86399, tz) for d in day_list], dtype=np.int64)
    offsets = start[day_of]
    # A day whose offset changes (start ≠ end): every quarter hour looked up on its own.
    for q in np.flatnonzero(start[day_of] != end[day_of]):
        offsets[q] = _offset_s(int(unique[q]) * _QUARTER_S, tz)
    return offsets[inverse].reshape(np.shape(epoch_s))


def local_fields(epoch_s: np.ndarray, tz: ZoneInfo) -> LocalFields:
    """Local minute of day, weekday, month and day number of each UTC instant."""
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    local = epoch_s + utc_offsets_s(epoch_s, tz)
    day = local // 86400
    months = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    return LocalFields(
        minute=(local % 86400) // 60,
        weekday=(day + 3) % 7,  # 1970-01-01 was a Thursday
        month=months,
        day=day,
    )


def _offset_s(epoch_s: int, tz: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(epoch_s, UTC).astimezone(tz).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0
