"""``wattplan pair``: create the v1r key, register it through the Fleet API, wait for the owner
to switch the Powerwall off and on, and report the key's state.

The private key is written once, 0600, to ``control.v1r.key_file`` and never printed or
logged; an existing key file is reused (registering the same key again reopens the
gateway's 10-minute window). Polling is bounded by ``control.v1r.pairing_timeout_s``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimiser.config import Config
    from optimiser.domain.clock import Clock
    from optimiser.gateway.v1r.pairing import KeyState

POWER_CYCLE = (
    "Now, within 10 minutes, switch the Powerwall off for about 15 seconds and on again "
    "(its On/Off switch; on some units one AC breaker). A flick of a second or two does "
    "nothing; leaving it off for minutes can make the window close before it reports."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pair", help="pair wattplan with the Powerwall for local signed control (v1r)"
    )
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument("--key-bits", type=int, default=None, help=argparse.SUPPRESS)  # tests
    parser.set_defaults(func=_run)


@dataclass(frozen=True, slots=True)
class Paired:
    """How pairing ended: the key file, its public fingerprint, whether it was created now."""

    key_file: Path
    fingerprint: str
    created: bool
    state: KeyState

    def to_json_dict(self) -> dict[str, object]:
        return {
            "key_file": str(self.key_file),
            "fingerprint_sha256": self.fingerprint,
            "created": self.created,
            "state": self.state.name.lower(),
        }


def _run(args: argparse.Namespace) -> int:
    from optimiser.config import load_config
    from optimiser.domain.clock import RealClock
    from optimiser.gateway.v1r.keys import KEY_BITS

    config = load_config(args.config)
    say: Callable[[str], None] = (lambda _line: None) if args.json else print
    outcome = pair(config, clock=RealClock(), key_bits=args.key_bits or KEY_BITS, say=say)
    if args.json:
        print(json.dumps(outcome.to_json_dict(), indent=2))
    return 0


def pair(
    config: Config, *, clock: Clock, key_bits: int, say: Callable[[str], None] = print
) -> Paired:
    """Pair the key in ``control.v1r.key_file`` (created if missing); :class:`PairingFailed`
    unless the gateway reports it verified within ``control.v1r.pairing_timeout_s``."""
    from datetime import timedelta

    from optimiser.config import ConfigError
    from optimiser.control.errors import FleetRateLimited, FleetUnavailable
    from optimiser.control.factory import fleet_client_from_config
    from optimiser.gateway.v1r.keys import V1rKey
    from optimiser.gateway.v1r.pairing import KeyState, add_request, list_request, state_of

    settings = config.control.v1r
    if not config.control.fleet.site_id:
        raise ConfigError(
            "pairing registers the key through the Fleet API: set control.fleet.site_id (the "
            "energy_site_id of your Powerwall site) and a token (control.fleet.token_file)"
        )
    client = fleet_client_from_config(config)
    path = settings.key_file.expanduser()
    created = not path.exists()
    if created:
        key = V1rKey.generate(key_bits)
        key.save(path)
        say(f"Created an RSA-{key.bits} key in {path} (readable only by you).")
    else:
        key = V1rKey.load(path)
        say(f"Using the key in {path}.")
    say(f"Public key fingerprint (SHA-256): {key.fingerprint}")

    def outcome(state: KeyState) -> Paired:
        return Paired(path, key.fingerprint, created, state)

    try:
        state = state_of(client.post_command(add_request(key)), key)
        say(f"Registered through the Fleet API for site {client.site_id}.")
        if state is KeyState.VERIFIED:
            say("The gateway already trusts this key: local control is ready.")
            return outcome(state)
        say(POWER_CYCLE)
        timeout = timedelta(seconds=settings.pairing_timeout_s)
        deadline = clock.now() + timeout
        while state is not KeyState.VERIFIED:
            if state in (KeyState.TIMED_OUT, KeyState.REMOVED, None):
                raise _failed(state, f"the gateway reports the key {_name(state)}")
            left = (deadline - clock.now()).total_seconds()
            if left <= 0:
                raise _failed(
                    state,
                    f"the key was still {_name(state)} after {timeout.total_seconds():.0f} s",
                )
            clock.sleep(min(settings.pairing_poll_s, left))
            try:
                state = state_of(client.post_command(list_request()), key)
            except FleetRateLimited as exc:
                wait = exc.retry_after_s or settings.pairing_poll_s
                say(f"The Fleet API asks to slow down; waiting {wait:.0f} s.")
                clock.sleep(min(wait, max((deadline - clock.now()).total_seconds(), 0.0)))
            except FleetUnavailable as exc:
                say(f"The Fleet API did not answer ({exc}); asking again.")
    finally:
        client.close()
    say("Verified: the gateway now accepts wattplan's signed messages.")
    say("Set `control.backend: v1r` in the config to control the Powerwall locally.")
    return outcome(state)


def _name(state: KeyState | None) -> str:
    return "not listed" if state is None else state.name.lower().replace("_", " ")


def _failed(state: KeyState | None, what: str) -> Exception:
    from optimiser.gateway.errors import PairingFailed

    return PairingFailed(
        f"pairing did not complete: {what}",
        state=None if state is None else int(state),
        hint="run `wattplan pair` again (it reuses the key and reopens the 10-minute window), "
        "then switch the Powerwall off for about 15 s and on again",
    )
