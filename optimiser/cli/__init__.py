"""The ``wattplan`` command line: one module per subcommand, one error handler.

Each subcommand module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit code. Modules import
their heavy dependencies inside that callable, so ``wattplan --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from optimiser.cli.errors import handle_errors

# Subcommand modules under optimiser.cli, in the order ``--help`` lists them.
COMMANDS = (
    "plan_cmd",
    "config_cmd",
    "rules_cmd",
    "status_cmd",
    "trust_cmd",
    "emulator_cmd",
    "tariffs_cmd",
    "octopus_cmd",
    "record_cmd",
    "simulate_cmd",
    "sweep_cmd",
    "run_cmd",
    "dashboard_cmd",
    "doctor_cmd",
    "pair_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="wattplan",
        description="Plan and drive a Tesla Powerwall on time-of-use tariffs.",
    )
    parser.add_argument("--config", type=_path, default=None, help="config file (YAML)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"optimiser.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wattplan`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    return handle_errors(args.func, args)


def _path(value: str):
    from pathlib import Path

    return Path(value).expanduser()


if __name__ == "__main__":
    raise SystemExit(main())
