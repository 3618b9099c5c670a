from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from optimiser.cli import build_parser, main, record_cmd
from optimiser.domain.clock import SteppedClock
from optimiser.recorder import RecordingStore

from .conftest import START, make_sample


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.yaml"
    # A configured gateway (polls injected): the embedded emulator's would go to a sandbox.
    path.write_text(
        f"recorder:\n  database: {tmp_path / 'rec.sqlite'}\n  interval_s: 60\n"
        "gateway:\n  host: 192.0.2.1\n"
    )
    return path


def record_some(config_file, *extra):
    clock = SteppedClock(START)
    calls = []

    def factory(config):
        def poll():
            calls.append(1)
            if len(calls) == 3:
                raise ConnectionResetError("connection reset by peer")
            return make_sample(clock.now(), len(calls))

        return poll

    args = build_parser().parse_args(["--config", str(config_file), "record", *extra])
    out = io.StringIO()
    code = record_cmd.run_record(args, poll_factory=factory, clock=clock, out=out)
    return code, out.getvalue().splitlines()


def test_each_sample_line_is_in_local_time_with_the_app_percent(tmp_path, capsys):
    path = tmp_path / "summer.yaml"
    path.write_text(f"recorder:\n  database: {tmp_path / 'rec.sqlite'}\n  interval_s: 60\n")
    clock = SteppedClock(START + timedelta(days=90))  # June: BST
    args = build_parser().parse_args(["--config", str(path), "record", "--count", "1"])
    out = io.StringIO()
    record_cmd.run_record(
        args, poll_factory=lambda config: lambda: make_sample(clock.now()), clock=clock, out=out
    )
    line = out.getvalue()
    assert line.startswith("2026-06-27T01:01:00+01:00 load")
    assert "charge  34% (app)" in line  # 5.0 of 13.5 kWh: 37% raw


def test_record_then_export_then_info(tmp_path, config_file, capsys):
    code, lines = record_some(config_file, "--count", "5")
    assert code == 0
    assert len(lines) == 5
    assert lines[0].startswith("2026-03-29T00:01:00+00:00 load  0.450 kW solar  0.000 kW")
    assert "self_consumption SystemGridConnected" in lines[0]
    err = capsys.readouterr().err
    assert "gap: ConnectionResetError: connection reset by peer" in err
    assert "5 samples and 1 gaps recorded this run" in err
    with RecordingStore(tmp_path / "rec.sqlite", readonly=True) as store:
        assert all(e % 60 == 0 for e in store.epochs())

    csv_path = tmp_path / "out.csv"
    assert (
        main(
            [
                "--config",
                str(config_file),
                "record",
                "export",
                "-o",
                str(csv_path),
                "--since",
                "2026-03-29T00:02:00Z",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith(f"{csv_path}: 4 rows from ")
    assert len(csv_path.read_text().splitlines()) == 1 + 4

    assert main(["--config", str(config_file), "record", "info"]) == 0
    text = capsys.readouterr().out
    assert "SQLite recording" in text and "integrity: ok" in text
    assert "5 samples kept, resolution 60 s" in text
    assert "1 failed polls recorded by the recorder" in text
    assert "1 short gaps (≤ 15 min) filled by interpolation (1 points)" in text
    assert "ConnectionResetError: connection reset by peer" in text

    assert main(["--config", str(config_file), "record", "info", str(csv_path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["format"] == "csv" and payload["samples"] == 4
    assert payload["quality"]["short_gaps"] == 1


def test_resumed_cli_recording_does_not_duplicate(tmp_path, config_file):
    record_some(config_file, "--count", "3", "-q")
    code, lines = record_some(config_file, "--count", "2", "-q")
    assert code == 0 and lines == []
    with RecordingStore(tmp_path / "rec.sqlite", readonly=True) as store:
        epochs = store.epochs()
    assert len(epochs) == len(set(epochs)) == 5


def test_second_recorder_exits_2_with_a_clear_message(tmp_path, config_file, capsys):
    with RecordingStore(tmp_path / "rec.sqlite"):
        code = main(["--config", str(config_file), "record", "--count", "1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "rec.sqlite: another recorder is writing this file (pid" in err
    assert "hint: stop the other recorder" in err


def test_info_on_a_malformed_csv_names_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,load_w,solar_w\n2026-03-29T00:00:00,1,2\n")
    assert main(["record", "info", str(bad)]) == 2
    assert f"{bad}:2: column 'timestamp': expected a UTC offset" in capsys.readouterr().err


def test_info_flags_an_absurd_row_by_line(tmp_path, capsys):
    path = tmp_path / "glitch.csv"
    rows = [f"2026-03-29T00:{5 * i:02d}:00+00:00,{1e12 if i == 3 else 400},0" for i in range(8)]
    path.write_text("timestamp,load_w,solar_w\n" + "\n".join(rows) + "\n")
    assert main(["record", "info", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        f"1 implausible rows excluded (load or solar above 100 kW or below -0.5 kW): {path}:5"
        in out
    )
