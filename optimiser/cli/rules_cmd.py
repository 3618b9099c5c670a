"""``wattplan rules validate FILE``: check a rules file and touch nothing else."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rules", help="work with YAML rules files")
    sub = parser.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    validate = sub.add_parser("validate", help="validate a rules file; exit 2 on a mistake")
    validate.add_argument("file", type=Path)
    validate.set_defaults(func=_validate)


def _validate(args: argparse.Namespace) -> int:
    from rules import load_rules

    rules = load_rules(args.file)
    enabled = sum(rule.enabled for rule in rules.rules)
    print(f"{args.file}: ok, {len(rules.rules)} rules ({enabled} enabled)")
    for rule in rules.ordered():
        actions = ", ".join(k for k, v in rule.do.model_dump(exclude_none=True).items() if v)
        print(f"  [{rule.priority:>3}] {rule.name}: {actions}")
    return 0
