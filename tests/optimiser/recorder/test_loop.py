from __future__ import annotations

import itertools
import threading
from datetime import timedelta

import pytest

from optimiser.config import Config
from optimiser.domain.clock import SteppedClock
from optimiser.domain.errors import NextStep
from optimiser.gateway.errors import AccessDenied, AuthenticationError, ProtocolError
from optimiser.recorder import RecordingStore, record
from optimiser.recorder.loop import first_boundary
from optimiser.recorder.service import run_recorder

from .conftest import START, make_sample


class FakeGateway:
    """A poll function on a stepped clock; fails on the listed call numbers."""

    def __init__(self, clock, fail_on=(), error=ConnectionError):
        self.clock = clock
        self.calls = 0
        self.fail_on = set(fail_on)
        self.error = error

    def __call__(self):
        self.calls += 1
        if self.calls in self.fail_on:
            raise self.error(f"gateway did not answer (call {self.calls})")
        return make_sample(self.clock.now(), self.calls)


def test_polls_on_interval_boundaries_and_commits_each_sample(db):
    clock = SteppedClock(START)
    seen = []
    with RecordingStore(db) as store:
        stats = record(
            FakeGateway(clock),
            store,
            clock=clock,
            interval_s=90,
            max_samples=4,
            on_sample=lambda s: seen.append((s.epoch_s, store.sample_count())),
        )
        epochs = store.epochs()
    base = (int(START.timestamp()) // 90 + 1) * 90
    assert epochs == [base + 90 * i for i in range(4)]
    # on_sample runs after the commit: the store already holds the sample.
    assert seen == [(e, i + 1) for i, e in enumerate(epochs)]
    assert (stats.polls, stats.samples, stats.gaps) == (4, 4, 0)


def test_resume_never_duplicates_or_polls_twice_in_an_interval(db):
    clock = SteppedClock(START)
    with RecordingStore(db) as store:
        record(FakeGateway(clock), store, clock=clock, interval_s=90, max_samples=3)
    # Restart straight away (same interval as the last sample), then again after a retry.
    for _ in range(2):
        with RecordingStore(db) as store:
            record(FakeGateway(clock), store, clock=clock, interval_s=90, max_samples=2)
    with RecordingStore(db, readonly=True) as store:
        epochs = store.epochs()
        assert store.gaps() == []
    assert len(epochs) == 7
    assert len({e // 90 for e in epochs}) == 7
    assert all(b - a == 90 for a, b in itertools.pairwise(epochs))


def test_downtime_is_recorded_as_a_gap_on_resume(db):
    clock = SteppedClock(START)
    with RecordingStore(db) as store:
        record(FakeGateway(clock), store, clock=clock, interval_s=90, max_samples=2)
        last = store.last_time()
    clock.advance(timedelta(hours=1))
    with RecordingStore(db) as store:
        stats = record(FakeGateway(clock), store, clock=clock, interval_s=90, max_samples=1)
        (gap,) = store.gaps()
        first_after = store.epochs()[-1]
    assert gap.error_class == "RecorderStopped"
    assert gap.start == last + timedelta(seconds=90)
    assert gap.end.timestamp() == first_after
    assert stats.skipped_intervals == round((gap.end - gap.start).total_seconds() / 90)


def test_failed_poll_is_a_gap_not_a_sample_and_the_next_interval_retries(db):
    clock = SteppedClock(START)
    gateway = FakeGateway(clock, fail_on={2, 3})
    gaps_seen = []
    with RecordingStore(db) as store:
        stats = record(
            gateway,
            store,
            clock=clock,
            interval_s=90,
            max_polls=5,
            on_gap=lambda when, exc: gaps_seen.append(when),
        )
        epochs = store.epochs()
        gaps = store.gaps()
    base = (int(START.timestamp()) // 90 + 1) * 90
    assert epochs == [base, base + 270, base + 360]
    assert [int(g.start.timestamp()) for g in gaps] == [base + 90, base + 180]
    assert gaps[0].error_class == "ConnectionError"
    assert gaps[0].message == "gateway did not answer (call 2)"
    assert all((g.end - g.start).total_seconds() == 90 for g in gaps)
    assert [g.start for g in gaps] == gaps_seen
    assert (stats.polls, stats.samples, stats.gaps) == (5, 3, 2)


def test_a_foreign_error_declared_stop_and_tell_stops_the_loop_keeping_committed_samples(db):
    clock = SteppedClock(START)
    gateway = FakeGateway(clock, fail_on={3}, error=PermissionError)
    with RecordingStore(db) as store:
        with pytest.raises(PermissionError):
            record(gateway, store, clock=clock, interval_s=90, foreign=NextStep.STOP_AND_TELL)
        assert store.sample_count() == 2
        assert store.gaps() == []


def gateway_error(cls):
    """A gateway error class made to take FakeGateway's one-message constructor."""
    if cls is ProtocolError:
        return lambda message: ProtocolError(message, endpoint="/api/meters/aggregates")
    return cls


def test_a_protocol_error_is_a_gap_and_the_next_interval_polls_again(db):
    clock = SteppedClock(START)
    gateway = FakeGateway(clock, fail_on={2}, error=gateway_error(ProtocolError))
    with RecordingStore(db) as store:
        stats = record(
            gateway, store, clock=clock, interval_s=90, max_polls=3, foreign=NextStep.STOP_AND_TELL
        )
        gaps = store.gaps()
    assert (stats.samples, stats.gaps) == (2, 1)
    assert gaps[0].error_class == "ProtocolError"


@pytest.mark.parametrize("error", [AuthenticationError, AccessDenied])
def test_an_error_that_is_not_gap_and_retry_stops_the_loop(db, error):
    clock = SteppedClock(START)
    gateway = FakeGateway(clock, fail_on={2}, error=error)
    with RecordingStore(db) as store:
        with pytest.raises(error):
            record(gateway, store, clock=clock, interval_s=90)  # foreign errors would be gaps
        assert store.sample_count() == 1
        assert store.gaps() == []


def test_stop_event_ends_the_loop(db):
    clock = SteppedClock(START)
    stop = threading.Event()

    def on_sample(sample):
        if sample.battery_charged_kwh >= 1003:
            stop.set()

    with RecordingStore(db) as store:
        stats = record(
            FakeGateway(clock), store, clock=clock, interval_s=90, stop=stop, on_sample=on_sample
        )
    assert stats.samples == 3


def test_overrun_skips_missed_boundaries(db):
    clock = SteppedClock(START)

    def slow_poll():
        sample = make_sample(clock.now())
        clock.advance(timedelta(seconds=200))  # the poll took 200 s
        return sample

    with RecordingStore(db) as store:
        stats = record(slow_poll, store, clock=clock, interval_s=90, max_samples=3)
        epochs = store.epochs()
    assert [b - a for a, b in itertools.pairwise(epochs)] == [270, 270]
    assert stats.skipped_intervals == 4


def test_first_boundary():
    assert first_boundary(100.0, None, 90) == (180, 0)
    assert first_boundary(180.0, None, 90) == (180, 0)
    assert first_boundary(185.0, 181.0, 90) == (270, 0)  # already sampled this interval
    assert first_boundary(1000.0, 181.0, 90) == (1080, 9)  # 270 … 1080 missed
    assert first_boundary(100.0, 10_000.0, 90) == (180, 0)  # store from the future


def test_run_recorder_wires_config_store_and_an_injected_poll_factory(tmp_path):
    clock = SteppedClock(START)
    closed = []

    class Factory:
        def __init__(self, config):
            self.config = config

        def __enter__(self):
            return FakeGateway(clock, fail_on={2})

        def __exit__(self, *exc):
            closed.append(True)

    database = tmp_path / "r.sqlite"
    config = Config.model_validate({"recorder": {"database": str(database), "interval_s": 30}})
    stats = run_recorder(config, Factory, clock=clock, max_polls=4)
    assert closed == [True]
    assert (stats.samples, stats.gaps) == (3, 1)
    with RecordingStore(database, readonly=True) as store:
        epochs = store.epochs()
    assert all(e % 30 == 0 for e in epochs)


def test_samples_and_gaps_share_the_host_s_clock_when_the_gateway_s_is_skewed(db, caplog):
    clock = SteppedClock(START)
    skew = timedelta(minutes=7)

    def poll():
        poll.calls += 1
        if poll.calls == 2:
            raise ConnectionError("gateway did not answer")
        return make_sample(clock.now() + skew, poll.calls)  # the gateway's clock runs ahead

    poll.calls = 0
    with RecordingStore(db) as store:
        record(poll, store, clock=clock, interval_s=90, max_polls=6)
        epochs, gaps = store.epochs(), store.gaps()
    base = (int(START.timestamp()) // 90 + 1) * 90
    assert epochs == [base + 90 * i for i in (0, 2, 3, 4, 5)]
    [gap] = gaps
    assert not any(gap.start.timestamp() <= e < gap.end.timestamp() for e in epochs)
    assert "7 min" in caplog.text and "ahead" in caplog.text
