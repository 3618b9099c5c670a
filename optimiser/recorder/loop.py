"""The recording loop: poll on interval boundaries, commit each sample, record failed polls.

Polls happen at whole multiples of the interval in UTC (…:00, …:01:30, … for 90 s), so two
recordings of one site line up. On start the loop resumes after the last sample or gap in the
store: it never polls twice in one interval, and the time it was not running becomes a gap
(``RecorderStopped``). A poll whose error's ``next_step`` is gap-and-retry
(:mod:`optimiser.domain.errors`) becomes a gap with the error's class and message, and the
next interval polls again; any other error stops the loop. A poll
that runs past the next boundary skips the missed boundaries (they show as a wider spacing).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from optimiser.domain.clock import Clock
from optimiser.domain.errors import NextStep, next_step_of
from optimiser.recorder.sample import Sample
from optimiser.recorder.store import RecordingStore

log = logging.getLogger(__name__)

Poll = Callable[[], Sample]


@dataclass(frozen=True, slots=True)
class RecordStats:
    """What one run of :func:`record` did.

    Attributes
    ----------
    polls : int
        Polls attempted.
    samples : int
        Samples committed.
    gaps : int
        Failed polls recorded as gaps.
    ignored : int
        Samples already in the store (same second), not written again.
    skipped_intervals : int
        Boundaries missed because a poll overran, or because of downtime before the start.
    """

    polls: int
    samples: int
    gaps: int
    ignored: int
    skipped_intervals: int


#: A gateway clock further than this from the host's is reported (once per run) [s].
SKEW_WARN_S = 60.0


def _utc(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def _sleep_until(clock: Clock, target_s: float, stop: threading.Event | None) -> bool:
    """Sleep on ``clock`` until ``target_s``; False if ``stop`` was set first."""
    while True:
        if stop is not None and stop.is_set():
            return False
        remaining = target_s - clock.now().timestamp()
        if remaining <= 0:
            return True
        # At most one clock-second per nap so that a stop request is noticed promptly.
        clock.sleep(min(remaining, 1.0))


def first_boundary(now_s: float, last_s: float | None, interval_s: float) -> tuple[float, int]:
    """The first boundary to poll at, and how many whole intervals were missed before it.

    Parameters
    ----------
    now_s : float
        Current time. [s since epoch]
    last_s : float | None
        The store's last sample or gap time, None for an empty store. [s since epoch]
    interval_s : float
        Poll interval. [s]
    """
    next_s = math.ceil(now_s / interval_s) * interval_s
    if last_s is None:
        return next_s, 0
    after_last = (math.floor(last_s / interval_s) + 1) * interval_s
    if after_last > next_s:
        if after_last - now_s > interval_s:
            # The store holds data from our future: our clock is behind the recorder's.
            log.warning(
                "the store's last entry (%s) is after now (%s); recording anyway",
                _utc(last_s).isoformat(),
                _utc(now_s).isoformat(),
            )
            return next_s, 0
        return after_last, 0
    return next_s, round((next_s - after_last) / interval_s)


def record(
    poll: Poll,
    store: RecordingStore,
    *,
    clock: Clock,
    interval_s: float = 90.0,
    stop: threading.Event | None = None,
    max_samples: int | None = None,
    max_polls: int | None = None,
    on_sample: Callable[[Sample], None] | None = None,
    on_gap: Callable[[datetime, BaseException], None] | None = None,
    foreign: NextStep = NextStep.GAP_AND_RETRY,
    log_every: int = 40,
) -> RecordStats:
    """Poll every ``interval_s`` and commit each sample until stopped.

    Parameters
    ----------
    poll : Callable[[], Sample]
        Reads the site once (e.g. the gateway's ``site_state`` made into a sample).
    store : RecordingStore
        Open for writing; each sample is committed in its own transaction.
    clock : Clock
        Time source; tests pass a ``SteppedClock`` or an ``AcceleratedClock``.
    interval_s : float
        Seconds between polls, ≥ 1 (samples are keyed by whole seconds). [s]
    stop : threading.Event | None
        Set it to end the loop at the next opportunity.
    max_samples, max_polls : int | None
        End after this many committed samples or attempted polls.
    on_sample : callable | None
        Called with each sample after it is committed (and only then).
    on_gap : callable | None
        Called with the boundary time and the error after a failed poll is recorded.
    foreign : NextStep
        What a poll error that is not a wattplan error means (wattplan's errors carry their
        own ``next_step``): gap-and-retry records a gap, anything else stops the loop.
    log_every : int
        Log an INFO progress line every this many samples.

    Returns
    -------
    RecordStats
        Counts of polls, samples, gaps, ignored duplicates and skipped intervals.
    """
    if not interval_s >= 1.0:
        raise ValueError(f"interval_s must be ≥ 1 s, got {interval_s}")
    last = store.last_time()
    next_s, missed = first_boundary(
        clock.now().timestamp(), None if last is None else last.timestamp(), interval_s
    )
    skipped = 0
    if missed > 0 and last is not None:
        gap_start = (math.floor(last.timestamp() / interval_s) + 1) * interval_s
        store.add_gap(
            _utc(gap_start),
            _utc(next_s),
            "RecorderStopped",
            f"the recorder was not running ({missed} intervals missed)",
        )
        skipped += missed
    log.info(
        "recording to %s every %g s (%d samples so far); first poll at %s",
        store.path,
        interval_s,
        store.sample_count(),
        _utc(next_s).isoformat(),
    )
    polls = samples = gaps = ignored = 0
    warned_skew = False
    while _sleep_until(clock, next_s, stop):
        polls += 1
        try:
            sample = poll()
        except Exception as exc:
            if not next_step_of(exc, foreign=foreign).keeps_running:
                raise
            store.add_gap(_utc(next_s), _utc(next_s + interval_s), type(exc).__name__, str(exc))
            gaps += 1
            log.warning(
                "poll at %s failed, recorded a gap: %s: %s",
                _utc(next_s).isoformat(),
                type(exc).__name__,
                exc,
            )
            if on_gap is not None:
                on_gap(_utc(next_s), exc)
        else:
            skew_s = sample.time.timestamp() - next_s
            if abs(skew_s) > SKEW_WARN_S and not warned_skew:
                warned_skew = True
                log.warning(
                    "the gateway's clock is %.0f min %s this host's; samples are stamped with "
                    "this host's clock, as gaps are",
                    abs(skew_s) / 60,
                    "ahead of" if skew_s > 0 else "behind",
                )
            # One clock for samples and gaps (the host's, at the poll's boundary), so a skewed
            # gateway clock can never put a sample inside a gap.
            sample = replace(sample, time=_utc(next_s))
            if store.add_sample(sample):
                samples += 1
                log.debug("sample at %s committed", sample.time.isoformat())
                if on_sample is not None:
                    on_sample(sample)
                if log_every and samples % log_every == 0:
                    log.info("%d samples recorded this run, %d gaps", samples, gaps)
            else:
                ignored += 1
                log.info("sample at %s already recorded; not written again", sample.time)
        if (max_samples is not None and samples >= max_samples) or (
            max_polls is not None and polls >= max_polls
        ):
            break
        next_s += interval_s
        now_s = clock.now().timestamp()
        if next_s <= now_s:
            behind = math.floor((now_s - next_s) / interval_s) + 1
            next_s += behind * interval_s
            skipped += behind
            log.warning("poll overran; skipped %d interval(s)", behind)
    log.info("recorder stopped: %d samples, %d gaps this run", samples, gaps)
    return RecordStats(polls, samples, gaps, ignored, skipped)
