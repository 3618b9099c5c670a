from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from optimiser.recorder import RecordingFileError, RecordingStore
from optimiser.recorder.csvformat import COLUMNS, parse_recording_csv, write_recording_csv

from .conftest import START, make_sample

HEADER = ",".join(COLUMNS)


def test_round_trip_samples_to_csv_and_back(tmp_path, db):
    samples = [make_sample(START + timedelta(seconds=90 * i), i) for i in range(12)]
    with RecordingStore(db) as store:
        for s in samples:
            store.add_sample(s)
        path = tmp_path / "out.csv"
        assert write_recording_csv(store, path) == 12
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER
    assert text.splitlines()[1].startswith("2026-03-29T00:00:10+00:00,400.0,0.0,100.0,200.0,")
    rows = parse_recording_csv(text, source="out.csv")
    assert list(rows.epoch_s) == [s.time.timestamp() for s in samples]
    np.testing.assert_allclose(rows.load_kw, [s.load_kw for s in samples], atol=1e-4)
    np.testing.assert_allclose(rows.solar_kw, [s.solar_kw for s in samples], atol=1e-4)
    np.testing.assert_allclose(rows.battery_kw, [s.battery_kw for s in samples], atol=1e-4)
    np.testing.assert_allclose(rows.site_kw, [s.site_kw for s in samples], atol=1e-4)
    np.testing.assert_allclose(rows.soe_percent, [s.soe_percent for s in samples], atol=1e-3)
    np.testing.assert_allclose(rows.reserve_percent, 24.0)
    assert set(rows.mode) == {"self_consumption"}
    assert set(rows.grid_status) == {"SystemGridConnected"}
    assert list(rows.line) == list(range(2, 14))


def test_export_window_and_samples_without_power_are_skipped(tmp_path):
    samples = [make_sample(START + timedelta(minutes=5 * i), i) for i in range(6)]
    samples.append(
        make_sample(START + timedelta(hours=1)).__class__(time=START + timedelta(hours=2))
    )
    path = tmp_path / "w.csv"
    n = write_recording_csv(
        samples, path, since=START + timedelta(minutes=5), until=START + timedelta(minutes=20)
    )
    assert n == 3
    assert write_recording_csv(samples, path) == 6


def test_minimal_file_with_only_required_columns_comments_and_blank_lines():
    text = (
        "# exported by hand\n"
        "\n"
        "timestamp,load_w,solar_w\n"
        "2026-03-29T00:00:00Z,400,0\n"
        "# a comment in the middle\n"
        "2026-03-29T00:30:00Z,500,-8\n"
    )
    rows = parse_recording_csv(text, source="min.csv")
    assert list(rows.load_kw) == [0.4, 0.5]
    assert list(rows.solar_kw) == [0.0, -0.008]
    assert rows.battery_kw is None and rows.mode is None
    assert list(rows.line) == [4, 6]


def test_lines_iterable_and_bytes_with_bom_are_accepted():
    lines = ["timestamp,load_w,solar_w\n", "2026-03-29T01:00:00+01:00,1,2\n"]
    assert parse_recording_csv(lines).epoch_s[0] == START.timestamp() - 10
    data = ("\ufeff" + "".join(lines)).encode()
    assert parse_recording_csv(data).utc_offset_s[0] == 3600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "timestamp,load_w,solar_w\n2026-03-29T00:00:00Z,1,2\n2026-03-29 01:30:00,1,2\n",
            "data.csv:3: column 'timestamp': expected a UTC offset (e.g. +01:00 or Z), found "
            "local time without one '2026-03-29 01:30:00'; local times are ambiguous around "
            "clock changes",
        ),
        (
            "timestamp,load_w,solar_w\n\n2026-03-29T00:00:00Z,abc,2\n",
            "data.csv:3: column 'load_w': expected a number, found 'abc'",
        ),
        (
            "timestamp,load_w,solar_w\n2026-03-29T00:00:00Z,1,\n",
            "data.csv:2: column 'solar_w': expected a number, found an empty cell",
        ),
        (
            "timestamp,load_w,solar_w\n2026-03-29T00:00:00Z,1\n",
            "data.csv:2: expected 3 fields (timestamp, load_w, solar_w), found 2",
        ),
        (
            "timestamp,load_w,solar_w\nyesterday,1,2\n",
            "data.csv:2: column 'timestamp': expected an ISO 8601 time with offset like "
            "2026-03-29T01:30:00+01:00, found 'yesterday'",
        ),
        (
            "timestamp,load_w,solar_kw\n",
            "data.csv:1: unknown column 'solar_kw': expected columns from timestamp, load_w, "
            "solar_w, site_w, battery_w, soe_percent, grid_status, mode, reserve_percent",
        ),
        (
            "# header missing a column\ntimestamp,load_w\n",
            "data.csv:2: expected required columns timestamp, load_w, solar_w, missing solar_w "
            "(found timestamp, load_w)",
        ),
        (
            "timestamp,load_w,solar_w,mode\n2026-03-29T00:00:00Z,1,2,eco\n",
            "data.csv:2: column 'mode': expected one of self_consumption, autonomous, backup or "
            "empty, found 'eco'",
        ),
        (
            "timestamp,load_w,solar_w\n2026-03-29T00:00:00Z,100,-2500\n",
            "data.csv:2: column 'solar_w': expected ≥ -100 W (small negative readings at night "
            "are normal), found -2500; is the sign reversed?",
        ),
        (
            "timestamp,load_w,solar_w,soe_percent\n2026-03-29T00:00:00Z,1,2,140\n",
            "data.csv:2: column 'soe_percent': expected a value in [0, 100.5], found 140",
        ),
        (
            "timestamp,load_w,solar_w\n2026-03-29T00:00:00Z,inf,2\n",
            "data.csv:2: column 'load_w': expected a finite number, found 'inf'",
        ),
        ("# nothing\n", "data.csv: expected a header line with timestamp, load_w, solar_w"),
        ("timestamp,load_w,solar_w\n", "data.csv: expected at least one data row"),
        ("timestamp,load_w,load_w\n", "data.csv:1: column 'load_w' appears twice"),
    ],
)
def test_parser_errors_name_file_line_column_expected_and_found(text, message):
    with pytest.raises(RecordingFileError) as info:
        parse_recording_csv(text, source="data.csv")
    assert str(info.value).startswith(message)


def test_error_carries_structured_location():
    with pytest.raises(RecordingFileError) as info:
        parse_recording_csv("timestamp,load_w,solar_w\n2026-03-29T00:00:00Z,x,1\n", source="f")
    assert (info.value.source, info.value.line, info.value.column) == ("f", 2, "load_w")


def test_a_few_strongly_negative_readings_are_cleaned_not_refused(tmp_path):
    """What the recorder stores and exports, wattplan reads back (and clips in cleaning)."""
    from optimiser.recorder import read_recording

    rows = ["timestamp,load_w,solar_w"]
    rows += [
        f"2026-03-29T{h:02d}:{m:02d}:00Z,300,{-150 if (h, m) == (3, 0) else 20}"
        for h in range(24)
        for m in (0, 30)
    ]
    path = tmp_path / "rec.csv"
    path.write_text("\n".join(rows) + "\n")
    recording = read_recording(path)
    assert recording.solar_kw.min() >= 0


def test_a_row_outside_the_plausible_years_is_named():
    import pytest

    from optimiser.recorder.csvformat import parse_recording_csv
    from optimiser.recorder.errors import RecordingFileError

    text = "timestamp,load_w,solar_w\n2026-01-01T00:00:00Z,300,0\n9999-12-31T23:59:59Z,300,0\n"
    with pytest.raises(RecordingFileError, match=r"far\.csv:3.*between 2000 and 2100"):
        parse_recording_csv(text, "far.csv")
