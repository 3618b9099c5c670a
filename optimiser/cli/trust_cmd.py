"""``wattplan trust [--reset]``: pin the gateway's certificate, or re-pin a changed one."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "trust",
        help="pin the gateway's TLS certificate (trust on first use)",
        description="Fetch the certificate the gateway presents and pin its SHA-256 "
        "fingerprint in the state directory, so a different certificate is refused later. "
        "After the gateway is replaced or reset, --reset pins the new one.",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="replace the pinned fingerprint with the one the gateway presents now",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from optimiser.config import load_config
    from optimiser.gateway.errors import CertificateMismatch
    from optimiser.gateway.tls import PINS_FILE, PinStore, fetch_fingerprint, server_name_for

    config = load_config(args.config)
    gw = config.gateway
    if gw is None:
        print(
            "no gateway configured: the embedded emulator makes a new certificate each run "
            "and wattplan pins it automatically"
        )
        return 0
    if gw.ca_file is not None or gw.insecure:
        how = f"the CA file {gw.ca_file}" if gw.ca_file else "nothing (insecure: true)"
        print(f"note: gateway connections are checked against {how}; pins are not used")
    address = f"{gw.host}:{gw.port}"
    pins = PinStore(config.state_path() / PINS_FILE)
    presented = fetch_fingerprint(
        gw.host, gw.port, server_name_for(gw.host, gw.server_name), gw.timeout_s
    )
    pinned = pins.get(address)
    if pinned == presented:
        print(f"{address}: already trusted, SHA-256 {presented}")
    elif pinned is None:
        pins.set(address, presented)
        print(f"{address}: trusted, SHA-256 {presented} (pinned in {pins.path})")
    elif args.reset:
        pins.set(address, presented)
        print(f"{address}: re-trusted; was SHA-256 {pinned}, now {presented}")
    else:
        raise CertificateMismatch(address, pinned, presented)
    return 0
