from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.config import ForecastConfig, SiteConfig
from optimiser.domain.clock import SteppedClock
from optimiser.domain.history import History
from optimiser.domain.slots import SlotGrid
from optimiser.forecast import HistoryForecaster
from optimiser.recorder import (
    RecordingFileError,
    RecordingStore,
    StoreCorrupt,
    clean,
    read_recording,
    record,
)
from optimiser.recorder.csvformat import parse_recording_csv, write_recording_csv

from .conftest import START, make_sample

T0 = datetime(2026, 3, 28, 0, 0, tzinfo=UTC)
HEADER = "timestamp,load_w,solar_w\n"


def csv_of(rows: list[tuple[datetime, float, float]]) -> str:
    return HEADER + "".join(f"{t.isoformat()},{load},{solar}\n" for t, load, solar in rows)


def regular(n: int, step_min: int = 5, start: datetime = T0) -> list[tuple[datetime, float, float]]:
    return [(start + timedelta(minutes=step_min * i), 100.0 * (i % 9), 10.0 * i) for i in range(n)]


def test_clean_series_passes_through_untouched():
    rec = clean(parse_recording_csv(csv_of(regular(12)), "r.csv"))
    q = rec.quality
    assert (q.rows, q.samples, q.duplicates, q.out_of_order, q.short_gaps, q.long_gaps) == (
        12,
        12,
        0,
        0,
        0,
        (),
    )
    assert q.step_s == 300
    np.testing.assert_allclose(rec.load_kw, [0.1 * (i % 9) for i in range(12)])
    assert not rec.filled.any()
    assert q.lines() == ["12 rows read, 12 samples kept, resolution 300 s"]


def test_duplicates_dropped_first_kept_and_conflicts_counted():
    rows = regular(6)
    text = csv_of([*rows, rows[2], (rows[3][0], 999.0, 0.0)])
    rec = clean(parse_recording_csv(text, "d.csv"))
    assert rec.quality.duplicates == 2
    assert rec.quality.conflicting_duplicates == 1
    assert len(rec) == 6
    assert rec.load_kw[3] == pytest.approx(0.3)  # the first row at that time, not 999 W


def test_out_of_order_rows_are_sorted_and_counted():
    rows = regular(8)
    shuffled = [rows[0], rows[3], rows[1], rows[2], rows[4], rows[7], rows[5], rows[6]]
    rec = clean(parse_recording_csv(csv_of(shuffled), "o.csv"))
    assert rec.quality.out_of_order == 4
    assert list(rec.epoch_s) == [r[0].timestamp() for r in rows]


def test_both_clock_changes_in_local_time_with_offsets():
    gmt, bst = UTC, timezone(timedelta(hours=1))
    spring = [  # 2026-03-29: 01:00 GMT becomes 02:00 BST
        datetime(2026, 3, 29, 0, 0, tzinfo=gmt),
        datetime(2026, 3, 29, 0, 30, tzinfo=gmt),
        datetime(2026, 3, 29, 2, 0, tzinfo=bst),
        datetime(2026, 3, 29, 2, 30, tzinfo=bst),
    ]
    autumn = [  # 2026-10-25: local 01:00–02:00 happens twice
        datetime(2026, 10, 25, 1, 0, tzinfo=bst),
        datetime(2026, 10, 25, 1, 30, tzinfo=bst),
        datetime(2026, 10, 25, 1, 0, tzinfo=gmt),
        datetime(2026, 10, 25, 1, 30, tzinfo=gmt),
    ]
    for times in (spring, autumn):
        rec = clean(parse_recording_csv(csv_of([(t, 300, 0) for t in times]), "dst.csv"))
        q = rec.quality
        assert q.clock_changes == 1
        assert (q.duplicates, q.out_of_order, q.short_gaps, len(q.long_gaps)) == (0, 0, 0, 0)
        assert np.all(np.diff(rec.epoch_s) == 1800)


def test_negative_solar_and_load_are_clipped_and_counted():
    rows = [
        (T0 + timedelta(minutes=30 * i), -3.0 if i == 1 else 200.0, -8.0 * (i % 2))
        for i in range(4)
    ]
    rec = clean(parse_recording_csv(csv_of(rows), "n.csv"))
    assert rec.quality.negative_solar == 2
    assert rec.quality.negative_load == 1
    assert rec.solar_kw.min() == 0.0 and rec.load_kw.min() == 0.0


def test_short_gap_interpolated_long_gap_excluded_with_span():
    rows = regular(40)
    # Drop 2 points (10 min missing: filled) and 24 points (2 h missing: excluded).
    kept = rows[:10] + rows[12:14] + rows[38:]
    rec = clean(parse_recording_csv(csv_of(kept), "g.csv"))
    q = rec.quality
    assert (q.short_gaps, q.filled_points) == (1, 2)
    assert q.step_s == 300
    filled_times = rec.epoch_s[rec.filled]
    assert list(filled_times) == [rows[10][0].timestamp(), rows[11][0].timestamp()]
    # Linear between 0.9 kW·(9 % 9 = 0)… the neighbours are rows 9 and 12.
    a, b = rows[9][1] / 1000, rows[12][1] / 1000
    np.testing.assert_allclose(rec.load_kw[rec.filled], [a + (b - a) / 3, a + 2 * (b - a) / 3])
    (span,) = q.long_gaps
    assert span.start == rows[14][0] and span.end == rows[38][0]
    assert span.seconds == 24 * 300
    nan_rows = np.flatnonzero(np.isnan(rec.load_kw))
    assert list(rec.epoch_s[nan_rows]) == [rows[14][0].timestamp()]
    assert any("1 long gaps excluded, 2.00 h" in line for line in q.lines())
    hist = rec.to_history()
    assert np.isnan(hist.load_kw).sum() == 1 and len(hist.epoch_s) == len(rec)
    assert hist.interval_s == 300


def test_max_fill_is_configurable(tmp_path):
    kept = regular(40)[:10] + regular(40)[14:]  # 20 min missing
    path = tmp_path / "g.csv"
    path.write_text(csv_of(kept))
    assert len(read_recording(path).quality.long_gaps) == 1
    assert read_recording(path, max_fill_minutes=30).quality.short_gaps == 1


# -- hypothesis: shuffles, duplicates and offsets change nothing in the cleaned series --------

OFFSETS = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]


@st.composite
def messy_recordings(draw):
    steps = draw(st.lists(st.sampled_from([1, 1, 1, 1, 2, 3, 5, 40]), min_size=2, max_size=40))
    times = np.cumsum([0, *steps]) * 300
    base = []
    for i, t in enumerate(times):
        load = draw(st.floats(-50, 5000, allow_nan=False).map(lambda x: round(x, 1)))
        solar = draw(st.floats(-50, 4000, allow_nan=False).map(lambda x: round(x, 1)))
        base.append((int(t), load, solar, i))
    order = draw(st.permutations(range(len(base))))
    extra = draw(st.lists(st.integers(0, len(base) - 1), max_size=10))
    messy = [base[i] for i in order] + [base[i] for i in extra]
    messy = draw(st.permutations(messy))
    zones = [draw(st.sampled_from(OFFSETS)) for _ in messy]
    return base, messy, zones


def render(rows, zones):
    return HEADER + "".join(
        f"{(T0 + timedelta(seconds=t)).astimezone(z).isoformat()},{load},{solar}\n"
        for (t, load, solar, _), z in zip(rows, zones, strict=True)
    )


@given(messy_recordings())
def test_shuffled_duplicated_rows_clean_to_the_same_series(case):
    base, messy, zones = case
    reference = clean(parse_recording_csv(render(base, [UTC] * len(base)), "a"))
    got = clean(parse_recording_csv(render(messy, zones), "b"))
    np.testing.assert_array_equal(got.epoch_s, reference.epoch_s)
    np.testing.assert_array_equal(got.load_kw, reference.load_kw)
    np.testing.assert_array_equal(got.solar_kw, reference.solar_kw)
    np.testing.assert_array_equal(got.filled, reference.filled)
    assert got.quality.long_gaps == reference.quality.long_gaps
    assert got.quality.duplicates == len(messy) - len(base)
    assert got.quality.samples == len(base)
    assert np.all(np.diff(got.epoch_s) > 0)
    assert np.nanmin(got.solar_kw) >= 0 and np.nanmin(got.load_kw) >= 0


# -- traces ----------------------------------------------------------------------------------


def three_days_with_a_hole() -> str:
    rows = []
    for i in range(3 * 288):
        t = T0 + timedelta(minutes=5 * i)
        if t.day == 29 and 10 <= t.hour < 13:
            continue  # 3 h missing on day 2
        rows.append((t, 100.0 * (1 + (i % 288) // 3) + i // 288, 50.0 * ((i % 288) // 6)))
    return csv_of(rows)


def test_to_trace_resamples_time_weighted_and_fills_long_gaps_from_the_previous_day():
    rec = clean(parse_recording_csv(three_days_with_a_hole(), "h.csv"))
    r = rec.resample(30)
    assert r.step_s == 1800 and len(r.epoch_s) == 3 * 48
    assert r.from_other_day.sum() == 6
    # Bin 00:30–01:00 on day 1: six 5-min values 300 W, 300 W, 300 W, 400 W, 400 W, 400 W.
    assert r.load_kw[1] == pytest.approx(np.mean([0.3, 0.3, 0.3, 0.4, 0.4, 0.4]))
    hole = np.flatnonzero(r.from_other_day)
    np.testing.assert_array_equal(r.load_kw[hole], r.load_kw[hole - 48])
    trace = rec.to_trace(30)
    np.testing.assert_array_equal(trace.epoch_s, r.epoch_s)
    assert not np.isnan(trace.load_kw).any()
    assert trace.at(T0 + timedelta(minutes=45)) == (pytest.approx(r.load_kw[1]), r.solar_kw[1])
    pieces = rec.to_traces(30)
    assert [len(p.epoch_s) for p in pieces] == [48 + 20, 48 + 22]


def test_to_trace_at_native_resolution_keeps_values():
    rec = clean(parse_recording_csv(csv_of(regular(20, step_min=15)), "q.csv"))
    trace = rec.to_trace()
    np.testing.assert_allclose(trace.load_kw, rec.load_kw)
    np.testing.assert_array_equal(trace.epoch_s, rec.epoch_s)


def test_unfillable_long_gap_is_reported():
    rows = regular(12, step_min=30) + regular(12, step_min=30, start=T0 + timedelta(days=9))
    rec = clean(parse_recording_csv(csv_of(rows), "u.csv"))
    with pytest.raises(RecordingFileError, match="cannot be filled: no data at the same time"):
        rec.to_trace()
    assert len(rec.to_traces()) == 2


# -- reading files ---------------------------------------------------------------------------


def test_read_recording_from_the_store_and_its_csv_export_agree(tmp_path, db):
    clock = SteppedClock(START)
    calls = []

    def poll():
        calls.append(1)
        if len(calls) == 5:
            raise TimeoutError("no answer")
        return make_sample(clock.now(), len(calls))

    with RecordingStore(db) as store:
        record(poll, store, clock=clock, interval_s=90, max_polls=30)
        write_recording_csv(store, tmp_path / "e.csv")
    from_db = read_recording(db)
    from_csv = read_recording(tmp_path / "e.csv")
    gz = tmp_path / "e.csv.gz"
    gz.write_bytes(gzip.compress((tmp_path / "e.csv").read_bytes()))
    from_gz = read_recording(gz)
    assert from_db.quality.recorded_gaps == 1
    assert from_db.quality.short_gaps == 1 and from_db.quality.filled_points == 1
    assert from_db.quality.step_s == 90
    for other in (from_csv, from_gz):
        np.testing.assert_array_equal(other.epoch_s, from_db.epoch_s)
        np.testing.assert_allclose(other.load_kw, from_db.load_kw, atol=1e-4)
        np.testing.assert_allclose(other.soe_percent, from_db.soe_percent, atol=1e-3)
        assert other.mode == from_db.mode
    assert from_db.battery_kw is not None and from_db.reserve_percent[0] == 24.0


def test_read_recording_errors(tmp_path):
    with pytest.raises(RecordingFileError, match="cannot read"):
        read_recording(tmp_path / "nope.csv")
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\x00\xff\xfe" * 10)
    with pytest.raises(RecordingFileError, match="expected a wattplan SQLite recording or UTF-8"):
        read_recording(binary)
    fake = tmp_path / "fake.sqlite"
    fake.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    with pytest.raises((StoreCorrupt, RecordingFileError)):
        read_recording(fake)


def test_the_production_forecaster_learns_from_a_recording():
    # Three days at a flat 2 kW: the forecast follows the recording, not the typical house.
    rows = [(T0 + timedelta(minutes=5 * i), 2000.0, 0.0) for i in range(3 * 288)]
    history = clean(parse_recording_csv(csv_of(rows), "flat.csv")).to_history()
    assert isinstance(history, History) and history.interval_s == 300
    now = T0 + timedelta(days=3)
    grid = SlotGrid(now, 30, 48)
    learned = HistoryForecaster(SiteConfig(), ForecastConfig()).forecast(grid, history, now)
    typical = HistoryForecaster(SiteConfig(), ForecastConfig()).forecast(grid, None, now)
    np.testing.assert_allclose(learned.load_kw, 2.0, rtol=0.05)
    assert not np.allclose(typical.load_kw, 2.0, rtol=0.05)


def test_an_absurd_row_is_named_by_line_and_excluded():
    rows = regular(12)
    rows[5] = (rows[5][0], 1e12, 0.0)  # a 1 TW house
    rec = clean(parse_recording_csv(csv_of(rows), "a.csv"))
    q = rec.quality
    assert q.implausible_lines == (7,)  # header on line 1, row 0 on line 2
    assert q.samples == 11
    assert np.nanmax(rec.load_kw) < 1.0
    assert any("a.csv:7" in line and "implausible" in line for line in q.lines())
    assert q.to_dict()["implausible_lines"] == [7]


def test_a_large_negative_reading_is_a_glitch_not_noise():
    rows = regular(60)  # one bad row in many: a glitch, not a reversed sign
    rows[3] = (rows[3][0], rows[3][1], -5000.0)  # -5 kW of solar: not night-time noise
    rec = clean(parse_recording_csv(csv_of(rows), "s.csv"))
    q = rec.quality
    assert q.implausible_lines == (5,) and q.negative_solar == 0
    assert any("s.csv:5" in line and "below -0.5 kW" in line for line in q.lines())


def test_two_rows_a_year_apart_are_a_gap_not_a_resolution():
    rows = [(T0, 300.0, 0.0), (T0 + timedelta(days=365), 320.0, 0.0)]
    rec = clean(parse_recording_csv(csv_of(rows), "y.csv"))
    q = rec.quality
    assert q.step_s is not None and q.step_s <= 3600
    (span,) = q.long_gaps
    assert span.end == rows[1][0]
    assert span.seconds > 364 * 86400
