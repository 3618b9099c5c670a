"""``wattplan octopus login|show|events|logout``: the Octopus account whose agreements price
the plan, and its events (saving sessions, Intelligent Octopus dispatches).

``login`` asks for the account number and the API key (never on the command line: a hidden
prompt, ``--key-file FILE`` or ``--key-file -`` for stdin), reads the account with the key, and
only then stores the key (mode 0600) and the account (meter points and agreements, no address)
in the state directory. ``tariff: {source: account}`` in the config then plans on them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``octopus`` subcommand."""
    parser = subparsers.add_parser(
        "octopus", help="log in to your Octopus account; show its agreements"
    )
    sub = parser.add_subparsers(dest="octopus_command", required=True, metavar="ACTION")

    login = sub.add_parser(
        "login",
        allow_abbrev=False,
        help="store the API key and read the account's meter points and agreements",
        description="Read your Octopus account with its API key (Octopus dashboard: Personal "
        "details → API access) and store the key (mode 0600) and the account in the state "
        "directory. The key is asked for with a hidden prompt, or read from --key-file; it is "
        "never taken on the command line.",
    )
    login.add_argument("--account", metavar="A-XXXXXXXX", help="account number (else asked)")
    login.add_argument(
        "--key-file",
        type=Path,
        metavar="FILE",
        help="read the API key from FILE ('-': the first line of stdin)",
    )
    login.add_argument("--key", action=_RefuseKey, help=argparse.SUPPRESS)
    login.set_defaults(func=_login)

    show = sub.add_parser("show", help="the saved account: meter points, agreements, region")
    show.add_argument("--refresh", action="store_true", help="read the account from Octopus now")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=_show)

    events = sub.add_parser(
        "events",
        help="saving sessions and Intelligent Octopus dispatches, read from Octopus now",
        description="Read the account's saving sessions (reward, joined or not) and "
        "Intelligent Octopus dispatches (planned, completed) from Octopus's GraphQL API now. "
        "--save records them in an events file for `wattplan simulate --events` (no key or "
        "token in it).",
    )
    events.add_argument("--save", type=Path, metavar="FILE", help="write them to an events file")
    events.add_argument("--join", metavar="CODE", help="join the saving session CODE first")
    events.add_argument(
        "--no-dispatches", action="store_true", help="skip dispatches (not an Intelligent tariff)"
    )
    events.add_argument("--json", action="store_true", help="print JSON")
    events.set_defaults(func=_events)

    logout = sub.add_parser("logout", help="delete the stored API key and saved account")
    logout.set_defaults(func=_logout)


class _RefuseKey(argparse.Action):
    """``--key VALUE`` is refused without echoing VALUE (it is a secret)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        parser.error(
            "the API key is never taken on the command line (it would stay in your shell "
            "history and the process list): answer the prompt, or use --key-file FILE or "
            "--key-file - (stdin)"
        )


def _access(args: argparse.Namespace, live: bool = True):
    from optimiser.config import load_config
    from tariffs import OctopusAccess

    config = load_config(args.config)
    return OctopusAccess(config.tariff.octopus_base_url, config.state_path(), live=live)


def _read_key(args: argparse.Namespace):
    import getpass

    from tariffs.credentials import ApiKey

    if args.key_file is not None:
        if str(args.key_file) == "-":
            return ApiKey(sys.stdin.readline())
        try:
            return ApiKey(args.key_file.expanduser().read_text(encoding="utf-8"))
        except OSError as exc:
            from optimiser.config import ConfigError

            if args.key_file.name.startswith("sk_"):  # the key itself, not a file: no echo
                raise ConfigError(
                    "--key-file: expected a file holding the key, got what looks like the key "
                    "itself; put it in a file, or give --key-file - and paste it on stdin"
                ) from None
            raise ConfigError(f"--key-file: cannot read {args.key_file}: {exc.strerror}") from exc
    if not sys.stdin.isatty():
        return ApiKey(sys.stdin.readline())
    return ApiKey(getpass.getpass("Octopus API key (hidden): "))


def _login(args: argparse.Namespace) -> int:
    from tariffs.account import normalise_account_number
    from tariffs.account_tariff import login

    access = _access(args)
    number = args.account
    if number is None:
        if not sys.stdin.isatty() and args.key_file is None:
            from optimiser.config import ConfigError

            raise ConfigError("give --account A-XXXXXXXX when the key comes from stdin")
        number = input("Octopus account number (A-XXXXXXXX): ")
    number = normalise_account_number(number)
    key = _read_key(args)
    saved = login(access, number, key)
    print(f"Octopus account {saved.account.number}: the key works.")
    print(f"API key stored in {access.state_dir / 'octopus-api-key'} (mode 600)")
    print(f"account saved in {saved.path}")
    for line in _account_lines(saved.account):
        print(line)
    print("plan on these agreements with, in the config:  tariff: {source: account}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from tariffs.account_tariff import current_account
    from tariffs.credentials import key_path, load_account

    access = _access(args, live=args.refresh)
    account, note = current_account(access, refresh=args.refresh, strict=args.refresh)
    saved = load_account(access.state_dir)
    key = key_path(access.state_dir)
    if args.json:
        doc = {
            "account": account.number,
            "source": note,
            "fetched_at": saved.fetched_at.isoformat() if saved else None,
            "region": account.region(access.now()),
            "api_key_stored": key.exists(),
            "meter_points": [
                {
                    "mpan": point.mpan,
                    "direction": point.direction.value,
                    "agreements": [
                        {
                            "tariff_code": a.tariff_code,
                            "valid_from": a.valid_from.isoformat(),
                            "valid_to": a.valid_to.isoformat() if a.valid_to else None,
                        }
                        for a in point.agreements
                    ],
                }
                for point in account.meter_points
            ],
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(f"Octopus {note}")
    print(f"API key: {'stored in ' + str(key) if key.exists() else 'none stored'}")
    for line in _account_lines(account):
        print(line)
    return 0


def _events(args: argparse.Namespace) -> int:
    from tariffs.events_file import events_document, save_events_file
    from tariffs.live_events import fetch_events_now

    access = _access(args)
    fetched = fetch_events_now(access, dispatches=not args.no_dispatches, join=args.join)
    if args.save is not None:
        save_events_file(args.save, fetched.events, fetched.dispatches, access.now())
    if args.json:
        print(
            json.dumps(events_document(fetched.events, fetched.dispatches, access.now()), indent=2)
        )
        return 0
    if args.join:
        print(f"joined saving session {args.join}")
    if not fetched.events:
        print("no saving sessions listed")
    for event in fetched.events:
        print(f"{event.start:%Y-%m-%d %H:%M}–{event.end:%H:%M} UTC  {event.describe()}")
    for dispatch in fetched.dispatches:
        print(
            f"{dispatch.start:%Y-%m-%d %H:%M}–{dispatch.end:%H:%M} UTC  dispatch "
            f"{dispatch.status.value}"
        )
    if args.save is not None:
        print(f"saved to {args.save}")
    return 0


def _logout(args: argparse.Namespace) -> int:
    from tariffs.credentials import forget

    access = _access(args)
    removed = forget(access.state_dir)
    for path in removed:
        print(f"deleted {path}")
    if not removed:
        print("no Octopus key or account was stored")
    return 0


def _account_lines(account) -> list[str]:
    from datetime import UTC, datetime

    from tariffs.account import parse_tariff_code
    from tariffs.regions import REGIONS

    region = account.region(datetime.now(UTC))
    lines = [f"region {region} ({REGIONS[region]})"]
    for point in account.meter_points:
        lines.append(f"{point.direction.value} meter point {point.mpan}:")
        if not point.agreements:
            lines.append("  no agreement")
        for agreement in point.agreements:
            start = agreement.valid_from.strftime("%Y-%m-%d %H:%M UTC")
            end = agreement.valid_to.strftime("%Y-%m-%d %H:%M UTC") if agreement.valid_to else "…"
            product = parse_tariff_code(agreement.tariff_code).product
            lines.append(f"  {agreement.tariff_code:<34} {start} → {end}  ({product})")
    return lines
