"""``wattplan record``: record the gateway; ``record export`` and ``record info`` read it back.

- ``wattplan record [--interval S] [--database FILE] [--count N]`` polls every interval (90 s by
  default) and appends each sample to the SQLite recording; Ctrl-C or SIGTERM stops it cleanly.
- ``wattplan record export --output FILE.csv [--since T] [--until T]`` writes the recorded-data
  CSV (see the README).
- ``wattplan record info [FILE] [--json]``: samples, span, resolution, gaps and data quality of
  a recording (SQLite or CSV).

The poll comes from :data:`poll_factory` (None = the gateway client, or the embedded emulator
when no gateway is configured); other programs and tests may pass their own to
:func:`run_record`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from optimiser.cli.argtypes import output_file, positive_float, positive_int

# Injection point: a callable ``(config) -> poll | context manager of poll``; None = gateway.
poll_factory: Callable[[Any], Any] | None = None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "record",
        help="record the gateway to a SQLite file; export or inspect recordings",
        description="Poll the gateway every interval and append each sample to a SQLite "
        "recording (restart-safe). ACTION export/info read a recording back.",
    )
    parser.add_argument(
        "--interval",
        type=positive_float,
        default=None,
        metavar="S",
        help="seconds between polls (default: recorder.interval_s, 90)",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=None,
        metavar="FILE",
        help="recording file (default: recorder.database)",
    )
    parser.add_argument(
        "--count",
        type=positive_int,
        default=None,
        metavar="N",
        help="stop after N samples (default: run until stopped)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no line per sample")
    parser.set_defaults(func=_record)
    sub = parser.add_subparsers(dest="record_command", metavar="ACTION")

    export = sub.add_parser("export", help="write the recording as recorded-data CSV")
    export.add_argument(
        "--output",
        "-o",
        type=_csv_output,
        required=True,
        metavar="FILE.csv",
        help="where to write (- for standard output)",
    )
    export.add_argument("--database", type=Path, default=argparse.SUPPRESS, metavar="FILE")
    export.add_argument(
        "--since",
        type=_when,
        default=None,
        metavar="TIME",
        help="first time to export (ISO 8601; no offset = site local time)",
    )
    export.add_argument(
        "--until",
        type=_when,
        default=None,
        metavar="TIME",
        help="export up to, not including, this time",
    )
    export.set_defaults(func=_export)

    info = sub.add_parser("info", help="samples, span, gaps and data quality of a recording")
    info.add_argument(
        "file",
        type=Path,
        nargs="?",
        default=None,
        help="SQLite recording or CSV (default: recorder.database)",
    )
    info.add_argument("--json", action="store_true", help="print JSON only")
    info.set_defaults(func=_info)


def _csv_output(text: str) -> Path | None:
    """``-`` (standard output, None) or a CSV file to write."""
    return None if text == "-" else output_file(".csv")(text)


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time or date like 2026-03-29 or 2026-03-29T06:00+01:00, "
            f"got {text!r}"
        ) from None
    return value


def _aware(value: datetime | None, timezone: str) -> datetime | None:
    from zoneinfo import ZoneInfo

    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(timezone))


def _database(args: argparse.Namespace, config: Any) -> Path:
    return Path(getattr(args, "database", None) or config.recorder.database).expanduser()


def _record(args: argparse.Namespace) -> int:
    return run_record(args, poll_factory=poll_factory)


def run_record(
    args: argparse.Namespace,
    *,
    poll_factory: Callable[[Any], Any] | None = None,
    clock: Any = None,
    out: Any = None,
) -> int:
    """Run ``wattplan record`` with an optional injected poll factory and clock."""
    from zoneinfo import ZoneInfo

    from optimiser.cli.site import emulator_sandbox, open_site
    from optimiser.config import load_config
    from optimiser.domain.units import kwh_to_app_percent
    from optimiser.recorder.service import run_recorder

    out = out or sys.stdout
    with emulator_sandbox(load_config(args.config)) as config:
        database = _database(args, config)
        stop = threading.Event()
        previous = _install_stop_handlers(stop)

        tz = ZoneInfo(config.site.timezone)

        def on_sample(s: Any) -> None:
            if args.quiet:
                return
            soe = (
                ""
                if s.soe_kwh is None or not s.capacity_kwh
                else f" charge {kwh_to_app_percent(s.soe_kwh, s.capacity_kwh):3.0f}% (app)"
            )
            print(
                f"{s.time.astimezone(tz).isoformat(timespec='seconds')}"
                f" load {s.load_kw or 0:6.3f} kW"
                f" solar {s.solar_kw or 0:6.3f} kW"
                f" battery {s.battery_kw or 0:+6.3f} kW grid {s.site_kw or 0:+6.3f} kW{soe}"
                f" {s.mode or ''} {s.grid_status or ''}".rstrip(),
                file=out,
                flush=True,
            )

        def on_gap(when: datetime, exc: BaseException) -> None:
            print(
                f"{when.astimezone(tz).isoformat(timespec='seconds')} gap: "
                f"{type(exc).__name__}: {exc}",
                file=sys.stderr,
            )

        try:
            stats = run_recorder(
                config,
                poll_factory,
                opener=open_site,
                database=database,
                interval_s=args.interval,
                clock=clock,
                stop=stop,
                max_samples=args.count,
                on_sample=on_sample,
                on_gap=on_gap,
            )
        finally:
            _restore_handlers(previous)
        print(
            f"{database}: {stats.samples} samples and {stats.gaps} gaps recorded this run",
            file=sys.stderr,
        )
        return 0


def _install_stop_handlers(stop: threading.Event) -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, lambda *_: stop.set())
    return previous


def _restore_handlers(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def _export(args: argparse.Namespace) -> int:
    from optimiser.cli.errors import UsageError
    from optimiser.config import load_config
    from optimiser.recorder import RecordingStore
    from optimiser.recorder.csvformat import write_recording_csv, write_recording_rows

    config = load_config(args.config)
    database = _database(args, config)
    since = _aware(args.since, config.site.timezone)
    until = _aware(args.until, config.site.timezone)
    if since is not None and until is not None and since >= until:
        raise UsageError(
            f"--since {since.isoformat()} is not before --until {until.isoformat()}: expected "
            "a range with something in it"
        )
    with RecordingStore(database, readonly=True) as store:
        if args.output is None:
            count = write_recording_rows(store, sys.stdout, since=since, until=until)
        else:
            count = write_recording_csv(store, args.output, since=since, until=until)
    # The summary goes to stderr when the CSV itself is on stdout.
    summary = sys.stdout if args.output is not None else sys.stderr
    print(f"{args.output or 'standard output'}: {count} rows from {database}", file=summary)
    return 0


def _info(args: argparse.Namespace) -> int:
    from optimiser.config import load_config
    from optimiser.recorder import RecordingStore, read_recording
    from optimiser.recorder.recording import SQLITE_MAGIC

    config = load_config(args.config)
    path = (args.file or getattr(args, "database", None) or config.recorder.database).expanduser()
    recording = read_recording(path)
    gaps = []
    is_sqlite = path.read_bytes()[:16] == SQLITE_MAGIC
    integrity = None
    if is_sqlite:
        with RecordingStore(path, readonly=True) as store:
            gaps = store.gaps()
            integrity = store.integrity_check()
    q = recording.quality
    if args.json:
        payload = {
            "file": str(path),
            "format": "sqlite" if is_sqlite else "csv",
            "samples": q.samples,
            "start": recording.start.isoformat(),
            "end": recording.end.isoformat(),
            "integrity": integrity,
            "recorded_gaps": [
                {
                    "start": g.start.isoformat(),
                    "end": g.end.isoformat(),
                    "error_class": g.error_class,
                    "message": g.message,
                }
                for g in gaps
            ],
            "quality": q.to_dict(),
        }
        print(json.dumps(payload, indent=2))
        return 0
    print(f"{path} ({'SQLite recording' if is_sqlite else 'CSV'})")
    print(f"  span: {recording.start.isoformat()} → {recording.end.isoformat()}")
    if integrity is not None:
        print(f"  integrity: {', '.join(integrity)}")
    for line in q.lines():
        print(f"  {line}")
    if gaps:
        print(f"  recorded gaps ({len(gaps)}), latest:")
        for g in gaps[-5:]:
            print(f"    {g.start.isoformat()} {g.error_class}: {g.message}")
    return 0
