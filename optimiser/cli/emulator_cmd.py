"""``wattplan emulator``: serve the gateway emulator standalone until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from optimiser.cli.argtypes import port, positive_float, speed

FAULT_KINDS = ("latency", "hang", "status", "restart", "malformed", "reset")
_FAULT_FIELDS = {"count": int, "path": str, "seconds": float, "code": int, "skip": int}


def fault_spec(text: str) -> tuple[str, dict[str, object]]:
    """``KIND[:key=value,...]`` → (kind, parameters) (argparse type for ``--fault``), e.g.
    ``status:code=503,count=3,path=/api/meters`` or ``reset:count=1``."""
    kind, _, rest = text.partition(":")
    if kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            f"expected a fault kind ({', '.join(FAULT_KINDS)}), got {kind!r} in {text!r}"
        )
    params: dict[str, object] = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        convert = _FAULT_FIELDS.get(key)
        if convert is None:
            raise argparse.ArgumentTypeError(
                f"expected key=value with a key in {', '.join(_FAULT_FIELDS)}, got {item!r}"
            )
        try:
            params[key] = convert(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a {convert.__name__} for {key}, got {value!r} in {text!r}"
            ) from None
    return kind, params


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "emulator",
        help="serve an emulated Tesla Backup Gateway over HTTPS until Ctrl-C",
        description="Serve an emulated Tesla Backup Gateway (local API over HTTPS, a demo or "
        "recorded household) until Ctrl-C or SIGTERM. Its passwords go to a private file "
        "(mode 0600) whose path is printed; --fault injects faults from the start.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=port, default=8443, help="port (0 = any free port)")
    parser.add_argument(
        "--http-port",
        type=port,
        default=None,
        metavar="PORT",
        help="also answer plain HTTP here with 301 to HTTPS, as the gateway does on port 80",
    )
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-file", type=Path, help="file holding the customer password to accept"
    )
    secret.add_argument(
        "--password-env", metavar="VAR", help="environment variable holding the customer password"
    )
    parser.add_argument(
        "--speed", type=speed, default=1.0, help="clock speed: 60 runs an hour a minute"
    )
    parser.add_argument(
        "--trace",
        type=Path,
        metavar="FILE",
        help="drive the house with recorded data (recorded-data CSV or recorder SQLite file); "
        "the clock starts at its first sample. Default: the demo household, starting now",
    )
    parser.add_argument(
        "--token-lifetime",
        type=positive_float,
        default=None,
        metavar="S",
        help="tokens expire after S s of the emulator's clock (so --speed shortens them)",
    )
    parser.add_argument(
        "--fault",
        type=fault_spec,
        action="append",
        default=[],
        metavar="KIND[:k=v,...]",
        help=f"inject a fault ({', '.join(FAULT_KINDS)}); keys: count, path, seconds, code, "
        "skip; e.g. status:code=503,count=3,path=/api/meters (repeatable)",
    )
    parser.add_argument(
        "--show-passwords", action="store_true", help="also print the passwords to stdout"
    )
    parser.set_defaults(func=_run)


def _password(args: argparse.Namespace) -> str | None:
    from optimiser.config import ConfigError

    if args.password_file is not None:
        path = args.password_file.expanduser()
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"--password-file: cannot read {path}: {exc.strerror}") from exc
        if not value:
            raise ConfigError(f"--password-file: {path} is empty")
        return value
    if args.password_env is not None:
        value = os.environ.get(args.password_env, "")
        if not value:
            raise ConfigError(
                f"--password-env: the environment variable {args.password_env} is empty"
            )
        return value
    return None


def _trace(path: Path | None):
    """The load/solar trace to drive the emulated house, and where its clock starts."""
    from datetime import UTC, datetime, timedelta

    if path is None:
        from simulations.datasets import demo_trace

        now = datetime.now(UTC)
        return demo_trace(now - timedelta(days=1), now + timedelta(days=30)), now
    from optimiser.recorder import read_recording

    recording = read_recording(path.expanduser())
    for line in recording.quality.lines():
        print(f"trace: {line}")
    trace = recording.to_trace()
    return trace, trace.start


def _run(args: argparse.Namespace) -> int:
    from optimiser.config import ConfigError
    from optimiser.domain.clock import AcceleratedClock
    from simulations.emulator import GatewayEmulator
    from simulations.emulator.faults import FaultKind

    trace, start = _trace(args.trace)
    emulator = GatewayEmulator(
        clock=AcceleratedClock(start=start, speed=args.speed),
        trace=trace,
        http_port=args.http_port,
        host=args.host,
        port=args.port,
        customer_password=_password(args),
        token_lifetime_s=args.token_lifetime,
    )
    for kind, params in args.fault:
        emulator.faults.add(FaultKind(kind), **params)
    try:
        emulator.start()
    except OSError as exc:
        where = exc.filename or f"{args.host}:{args.port}"
        raise ConfigError(f"cannot listen on {where}: {exc.strerror}") from exc
    secrets_dir = Path(tempfile.mkdtemp(prefix="wattplan-emulator-"))
    passwords = secrets_dir / "passwords"
    passwords.touch(mode=0o600)
    passwords.write_text(
        f"customer: {emulator.customer_password}\ninstaller: {emulator.installer_password}\n"
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"gateway emulator listening on {emulator.url}")
    if emulator.http_url:
        print(f"plain HTTP (301 to HTTPS) on {emulator.http_url}")
    print(f"passwords: {passwords} (mode 0600, removed on stop)")
    if args.show_passwords:
        print(f"customer password: {emulator.customer_password}")
        print(f"installer password: {emulator.installer_password}")
    for kind, params in args.fault:
        print(f"fault: {kind} {params}")
    print(f"certificate SHA-256: {emulator.fingerprint_sha256}")
    print(f"clock speed: {args.speed:g}x; Ctrl-C to stop")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        shutil.rmtree(secrets_dir, ignore_errors=True)
    print("gateway emulator stopped")
    return 0
