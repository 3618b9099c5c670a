"""``wattplan config check|show``: validate the configuration and touch nothing else."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="check or show the configuration")
    sub = parser.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    check = sub.add_parser(
        "check",
        help="validate the config file and try the files it names; exit 2 on a mistake",
    )
    check.set_defaults(func=_check)
    show = sub.add_parser("show", help="print the effective configuration as JSON")
    show.set_defaults(func=_show)


def _check(args: argparse.Namespace) -> int:
    from optimiser.config import check_paths, find_config, load_config
    from optimiser.control.policy import config_warnings

    config = load_config(args.config)
    check_paths(config)
    path = find_config(args.config)
    print(f"{path}: ok" if path else "no config file: defaults apply (embedded emulator)")
    for warning in config_warnings(config):
        print(f"warning: {warning}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from optimiser.config import load_config

    config = load_config(args.config)
    print(json.dumps(config.model_dump(mode="json"), indent=2))
    return 0
