"""The UTC slot grid every price, forecast and plan is expressed on.

A slot is a half-open interval ``[start, end)`` on a grid aligned to whole multiples of the
slot length in UTC. Because the grid is UTC, a day with a clock change in Europe/London simply
has 46 or 50 half-hour slots; nothing special happens at the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ALLOWED_SLOT_MINUTES = (5, 15, 30, 60)
LONDON = ZoneInfo("Europe/London")


def require_aware(value: datetime, name: str) -> datetime:
    """Return ``value`` in UTC, or raise if it carries no timezone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SlotGrid:
    """``count`` consecutive slots of ``minutes`` each, starting at ``start`` (UTC).

    Attributes
    ----------
    start : datetime
        Start of the first slot, UTC, aligned to a multiple of ``minutes``.
    minutes : int
        Slot length. [min]
    count : int
        Number of slots.
    """

    start: datetime
    minutes: int
    count: int

    def __post_init__(self) -> None:
        if self.minutes not in ALLOWED_SLOT_MINUTES:
            raise ValueError(
                f"slot length must be one of {ALLOWED_SLOT_MINUTES} minutes, got {self.minutes}"
            )
        if self.count < 0:
            raise ValueError(f"slot count must be >= 0, got {self.count}")
        start = require_aware(self.start, "grid start")
        if (start - floor_to_slot(start, self.minutes)) != timedelta(0):
            raise ValueError(
                f"grid start {start.isoformat()} is not on a {self.minutes}-minute UTC boundary"
            )
        object.__setattr__(self, "start", start)

    @classmethod
    def covering(cls, start: datetime, end: datetime, minutes: int = 30) -> SlotGrid:
        """The smallest grid whose slots cover ``[start, end)``: start floored, end ceiled."""
        first = floor_to_slot(require_aware(start, "start"), minutes)
        last = ceil_to_slot(require_aware(end, "end"), minutes)
        if last < first:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        return cls(first, minutes, int((last - first) / timedelta(minutes=minutes)))

    @classmethod
    def local_days(
        cls, first: date, days: int = 1, minutes: int = 30, tz: ZoneInfo = LONDON
    ) -> SlotGrid:
        """The grid from local midnight of ``first`` to local midnight ``days`` later."""
        start = datetime.combine(first, time(0), tz)
        end = datetime.combine(first + timedelta(days=days), time(0), tz)
        return cls.covering(start, end, minutes)

    @property
    def step(self) -> timedelta:
        """Slot length as a timedelta."""
        return timedelta(minutes=self.minutes)

    @property
    def hours(self) -> float:
        """Slot length. [h]"""
        return self.minutes / 60.0

    @property
    def end(self) -> datetime:
        """End of the last slot (exclusive), UTC."""
        return self.start + self.count * self.step

    @property
    def starts(self) -> tuple[datetime, ...]:
        """Slot start times, UTC."""
        start, step = self.start, self.step
        return tuple([start + i * step for i in range(self.count)])

    def slot_start(self, index: int) -> datetime:
        """Start of slot ``index``, UTC."""
        return self.start + index * self.step

    def index_of(self, when: datetime) -> int:
        """Index of the slot containing ``when``; raises if outside the grid."""
        offset = require_aware(when, "time") - self.start
        index = int(offset // self.step)
        if not 0 <= index < self.count:
            raise IndexError(
                f"{when.isoformat()} is outside the grid "
                f"[{self.start.isoformat()}, {self.end.isoformat()})"
            )
        return index

    def __len__(self) -> int:
        return self.count


def floor_to_slot(when: datetime, minutes: int) -> datetime:
    """Latest UTC slot boundary at or before ``when``."""
    when = require_aware(when, "time")
    epoch_s = int(when.timestamp())
    step_s = minutes * 60
    return datetime.fromtimestamp(epoch_s - epoch_s % step_s, UTC)


def ceil_to_slot(when: datetime, minutes: int) -> datetime:
    """Earliest UTC slot boundary at or after ``when``."""
    floored = floor_to_slot(when, minutes)
    return (
        floored if floored == require_aware(when, "time") else floored + timedelta(minutes=minutes)
    )
