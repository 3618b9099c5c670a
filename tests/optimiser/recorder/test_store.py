from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from optimiser.recorder import (
    RecorderError,
    RecordingStore,
    StoreCorrupt,
    StoreError,
    StoreLocked,
)
from optimiser.recorder.store import APPLICATION_ID, SCHEMA_VERSION

from .conftest import START, make_sample


def test_samples_round_trip_with_every_field(db):
    sample = make_sample(START, 3)
    with RecordingStore(db) as store:
        assert store.add_sample(sample) is True
        assert store.add_sample(sample) is False  # same second: ignored, not duplicated
        assert store.sample_count() == 1
    with RecordingStore(db, readonly=True) as store:
        (back,) = store.samples()
    assert back == sample.__class__(time=START, **sample.values())
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def test_writer_runs_synchronous_full(db):
    with RecordingStore(db) as store:
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_samples_filter_by_time_and_gaps_are_kept(db):
    with RecordingStore(db) as store:
        for i in range(5):
            store.add_sample(make_sample(START + timedelta(seconds=90 * i), i))
        store.add_gap(
            START + timedelta(seconds=450), START + timedelta(seconds=540), "Timeout", "no answer"
        )
        got = store.samples(
            since=START + timedelta(seconds=90), until=START + timedelta(seconds=270)
        )
        assert [s.time for s in got] == [START + timedelta(seconds=90 * i) for i in (1, 2)]
        (gap,) = store.gaps()
        assert (gap.error_class, gap.message) == ("Timeout", "no answer")
        assert gap.end - gap.start == timedelta(seconds=90)
        assert store.last_time() == START + timedelta(seconds=450)
        assert store.span() == (START, START + timedelta(seconds=360))


def test_second_writer_is_refused_until_the_first_closes(db):
    first = RecordingStore(db)
    try:
        with pytest.raises(StoreLocked) as info:
            RecordingStore(db)
        assert str(db) in str(info.value)
        assert "another recorder" in str(info.value)
        assert "pid" in str(info.value)
        # Readers need no lock and see committed data.
        first.add_sample(make_sample(START))
        with RecordingStore(db, readonly=True) as reader:
            assert reader.sample_count() == 1
    finally:
        first.close()
    with RecordingStore(db) as again:
        assert again.sample_count() == 1


def test_a_file_that_is_not_sqlite_is_corrupt_and_never_written(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"hello, this is not a database at all" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreCorrupt, match="damaged or not SQLite") as info:
        RecordingStore(path)
    assert str(path) in str(info.value)
    assert not isinstance(info.value.__cause__, type(None))
    assert path.read_bytes() == before


def test_another_programs_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreCorrupt, match="not a wattplan recording"):
        RecordingStore(path)


def test_newer_schema_is_refused(db):
    RecordingStore(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreCorrupt, match="newer"):
        RecordingStore(db)


def test_readonly_errors_are_store_errors(tmp_path, db):
    with pytest.raises(StoreError, match="no such recording"):
        RecordingStore(tmp_path / "missing.sqlite", readonly=True)
    RecordingStore(db).close()
    with RecordingStore(db, readonly=True) as store, pytest.raises(StoreError, match="read-only"):
        store.add_sample(make_sample(START))


def test_no_sqlite3_exception_escapes_a_closed_or_broken_store(db):
    store = RecordingStore(db)
    store._db.execute("DROP TABLE samples")  # damage the schema behind the store's back
    with pytest.raises(RecorderError) as info:
        store.add_sample(make_sample(START))
    assert isinstance(info.value.__cause__, sqlite3.Error)
    with pytest.raises(RecorderError):
        store.samples()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.sample_count()
