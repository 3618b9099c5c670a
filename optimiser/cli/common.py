"""Arguments shared by several subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_rules_arguments(parser: argparse.ArgumentParser) -> None:
    """``--rules FILE``, ``--context KEY=VALUE[@EXPIRY]`` (repeatable), ``--context-file``."""
    parser.add_argument("--rules", type=Path, metavar="FILE", help="YAML rules to apply")
    parser.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE[@EXPIRY]",
        help="a context fact, e.g. storm_warning=true@2d (repeatable)",
    )
    parser.add_argument(
        "--context-file", action="append", default=[], type=Path, help="YAML context file"
    )
