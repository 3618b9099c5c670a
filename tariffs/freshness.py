"""When cached Octopus rates need fetching again: at most as often as prices can change.

Pure. Published rates never change; new ones appear once a day, when the day-ahead prices are
published after ~16:00 UK (Agile: for 23:00 that day to 23:00 the next; every other product
publishes at that pace or slower). So a cached series is fetched again only when

- it was not asked for the window now needed (a new day, another date), or
- a publication happened since it was fetched, unless the window is a settled past, or
- rates that should be out by now are missing (publication is late): every
  :data:`RECHECK` until they appear.

Using a cached series while a refresh is due (and failed) is planning on a *stale* cache, which
callers must say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from optimiser.domain.slots import LONDON

PUBLICATION = time(16, 0)  # day-ahead rates appear after this, UK time
DAY_AHEAD_END = time(23, 0)  # …for the day ending at this time tomorrow, UK time
RECHECK = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a cached series holds.

    Attributes
    ----------
    period_from, period_to : datetime
        The window asked for (UTC).
    fetched_at : datetime
        When (UTC).
    known_until : datetime or None
        End of its last rate (None: open-ended; ``period_from`` when it has none).
    """

    period_from: datetime
    period_to: datetime
    fetched_at: datetime
    known_until: datetime | None

    def covers(self, until: datetime) -> bool:
        """True when rates are known up to ``until``."""
        return self.known_until is None or self.known_until >= until


def last_publication(now: datetime, tz: ZoneInfo = LONDON) -> datetime:
    """The latest day-ahead publication time at or before ``now`` (UTC)."""
    local = now.astimezone(tz)
    day = local.date() if local.time() >= PUBLICATION else local.date() - timedelta(days=1)
    return datetime.combine(day, PUBLICATION, tz).astimezone(UTC)


def publishable_until(now: datetime, tz: ZoneInfo = LONDON) -> datetime:
    """How far ahead rates can be published by ``now`` (UTC)."""
    day = last_publication(now, tz).astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, DAY_AHEAD_END, tz).astimezone(UTC)


def planning_windows(
    now: datetime, tz: ZoneInfo = LONDON
) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """(needed, fetched) for planning: today and tomorrow are needed (the plan's horizon);
    a day more is fetched, so products published further ahead stay cached past midnight."""
    today = now.astimezone(tz).date()

    def midnight(days: int) -> datetime:
        return datetime.combine(today + timedelta(days=days), time(0), tz).astimezone(UTC)

    return (midnight(0), midnight(2)), (midnight(0), midnight(3))


def refresh_due(
    cached: Coverage | None, needed_from: datetime, needed_until: datetime, now: datetime
) -> bool:
    """Whether to fetch a series again for ``[needed_from, needed_until)`` at ``now``."""
    if cached is None or needed_from < cached.period_from or needed_until > cached.period_to:
        return True
    if cached.covers(needed_until) and needed_until <= cached.fetched_at:
        return False  # a settled past: published rates never change
    if cached.fetched_at < last_publication(now):
        return True
    expected = min(needed_until, publishable_until(now))
    if cached.covers(expected):
        return False
    return now - cached.fetched_at >= RECHECK
