"""``wattplan dashboard``: serve the dashboard from a recording, controlling nothing."""

from __future__ import annotations

import argparse
from pathlib import Path

from optimiser.cli.argtypes import port
from optimiser.cli.errors import OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``dashboard`` subcommand."""
    p = subparsers.add_parser(
        "dashboard",
        help="serve the dashboard from a recording and the state directory (controls nothing)",
        description="Serve the same pages and JSON API as `wattplan run` from the recorder's "
        "database and the journal `wattplan run` keeps in the state directory (its latest "
        "plan, decisions and events). Reads only: nothing is polled, planned or sent. Stops "
        "on Ctrl-C or SIGTERM.",
    )
    p.add_argument("--database", type=Path, metavar="FILE", help="default: recorder.database")
    p.add_argument("--state-dir", type=Path, metavar="DIR", help="default: the config's")
    p.add_argument("--host", help="default: web.host (127.0.0.1)")
    p.add_argument("--port", type=port, help="default: web.port (8765; 0: any free port)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped."""
    import signal
    import sys
    import threading

    from optimiser.config import load_config
    from optimiser.domain.clock import RealClock
    from optimiser.live import load_tariff
    from optimiser.web import Dashboard, RecordedSource

    config = load_config(args.config)
    database = (args.database or Path(config.recorder.database)).expanduser()
    state_dir = args.state_dir.expanduser() if args.state_dir else config.state_path()
    source = RecordedSource(config, load_tariff(config), RealClock(), database, state_dir)
    host = args.host or config.web.host
    port = config.web.port if args.port is None else args.port
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        with Dashboard(source, host, port) as dashboard:
            print(f"wattplan dashboard: serving {dashboard.url}", flush=True)
            print(f"  recording {database}; journal in {state_dir}", file=sys.stderr)
            stop.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return OK
