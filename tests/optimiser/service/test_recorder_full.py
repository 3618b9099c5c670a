"""A full disk under the recorder's database is a temporary fault: the service keeps polling,
planning and controlling, holds the unwritten samples and gaps, and writes them once there is
room again."""

from __future__ import annotations

from datetime import timedelta

from tests.optimiser.service.conftest import make_service


def _fill_the_disk(store) -> None:
    # SQLite's own page limit: writes that grow the file fail with SQLITE_FULL, as on a full disk.
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")


def _make_room(store) -> None:
    store._db.execute("PRAGMA max_page_count = 1073741823")


def test_a_full_disk_under_the_recorder_does_not_stop_the_service(house):
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    _fill_the_disk(house.store)
    house.emulator.faults.add("reset", count=1)  # a gap to write, too
    service.run(until=house.clock.now() + timedelta(hours=3))  # raised StoreError before
    assert service.stats.decisions >= 6  # still deciding every slot
    assert service.stats.unrecorded > 0  # once the free pages were used up

    _make_room(house.store)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    # Every poll of the full-disk hours is in the database now, and the gap too.
    assert house.store.sample_count() == service.stats.samples
    assert service.stats.samples >= service.stats.polls - service.stats.gaps - 1  # 1: same second
    assert house.store.gap_count() == service.stats.gaps == 1
    assert service.stats.unrecorded == 0


def test_held_samples_are_written_on_stop(house):
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    _fill_the_disk(house.store)
    service.run(until=house.clock.now() + timedelta(hours=3))
    assert service.stats.unrecorded > 0
    _make_room(house.store)  # room again, just as the service stops
    service.shutdown()
    assert service.stats.unrecorded == 0
    assert house.store.sample_count() == service.stats.samples
