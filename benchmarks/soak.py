"""Fault soak: the ``wattplan run`` service for a simulated week against the gateway and Fleet
emulators, with faults injected at seeded random times; prints what it counted.

Run: ``python benchmarks/soak.py [--days 7] [--speed 1000] [--seed 17]`` from the repository
root (``tests/benchmarks/test_soak.py`` runs a shorter one in CI).

How it works
------------
- **The house**: one :class:`EmulatedSite` (the demo household, one Powerwall 2) served at once
  by the gateway emulator (HTTPS on loopback: the service's polls) and the Fleet emulator (HTTP
  on loopback: the service's commands, ``control.backend: fleet`` with its documented daily
  budget), both on an :class:`AcceleratedClock` running ``speed`` times real time.
- **The service** runs in a child process (``soak.py --child``): the very service ``wattplan
  run`` builds (:func:`optimiser.cli.run_cmd.serve`) from a config file naming the two
  emulators, a recorder database and a state directory, on a clock started from the same
  instant at the same speed. SIGKILL and SIGTERM are real signals to that process; after each
  (and after any exit the soak did not ask for, which counts against it) it is started again
  at once, as systemd would.
- **Faults**, each kind at least once per simulated day, at times and with sizes drawn from
  ``random.Random(seed)``: gateway timeouts (a request hangs past the client's timeout),
  HTTP 500/502/503, 429, truncated JSON, token expiry, a certificate change (another
  certificate for a while, then the pinned one again), a gateway reboot, a power cut
  (islanding) and its restore, Fleet 429 and 5xx on every endpoint for a while, Fleet token
  expiry, SIGKILL and SIGTERM of the service, and a full disk under the recorder's database.
- **The full disk** is ``RLIMIT_FSIZE`` lowered on the running child to 4 KiB
  (``resource.prlimit``, unprivileged for one's own child; Python ignores ``SIGXFSZ``): every
  write that would grow a file past it fails with ``EFBIG``, which SQLite reports as "database
  or disk is full". The small state files (lease, budget, pins) stay under the limit, so it is
  the recorder's database that is full, as the issue asks; no tmpfs or loopback mount needed.

What it reports
---------------
Polls attempted (samples + gap rows: every poll leaves one of them), samples recorded, gaps
and which injected fault explains each (unexplained must be 0), commands sent and refused (the
Fleet emulator's POST log) and skipped by the budget, decisions, time in safe fallback,
unsafe states (a forced state past its lease while the service was up and a command could go
out; the reserve lowered during an outage) — which must be 0, samples lost (committed samples
missing later, checked before every kill and at the end) — which must be 0, and exits the soak
did not ask for — which must be 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from http import HTTPMethod
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimiser.config import load_config  # noqa: E402
from optimiser.control.lease_file import load_lease  # noqa: E402
from optimiser.control.policy import ControlPolicy  # noqa: E402
from optimiser.control.safety import is_forced  # noqa: E402
from optimiser.domain.clock import AcceleratedClock  # noqa: E402
from optimiser.recorder import RecordingStore  # noqa: E402
from simulations.datasets import demo_trace  # noqa: E402
from simulations.emulator import GatewayEmulator  # noqa: E402
from simulations.emulator.certs import make_certificate  # noqa: E402
from simulations.emulator.faults import FaultKind  # noqa: E402
from simulations.fleet_emulator import FleetEmulator, FleetEndpoint  # noqa: E402
from simulations.fleet_emulator.api import OAUTH  # noqa: E402

INTERVAL_S = 120
"""The service's poll interval in the soak (simulated) [s]."""
GATEWAY_TIMEOUT_S = 2.0
"""The service's gateway timeout (real seconds: it acts on sockets) [s]."""
DISK_FULL_BYTES = 4096
"""RLIMIT_FSIZE while the disk is 'full' [bytes]."""
TICK_S = 0.02
"""How often the soak looks at the house and the schedule (real) [s]."""


class Kind(StrEnum):
    """The faults the soak injects."""

    TIMEOUT = "timeout"
    HTTP_500 = "500"
    HTTP_502 = "502"
    HTTP_503 = "503"
    HTTP_429 = "429"
    MALFORMED = "malformed JSON"
    TOKEN_EXPIRY = "token expiry"
    CERTIFICATE = "certificate change"
    REBOOT = "gateway reboot"
    POWER_CUT = "power cut"
    FLEET_429 = "Fleet 429"
    FLEET_5XX = "Fleet 5xx"
    FLEET_TOKEN = "Fleet token expiry"
    SIGKILL = "SIGKILL"
    SIGTERM = "SIGTERM"
    DISK_FULL = "disk full"


# How long each fault lasts (simulated minutes, drawn uniformly) or how many requests it hits.
DURATION_MIN: dict[Kind, tuple[float, float]] = {
    Kind.CERTIFICATE: (10, 40),
    Kind.REBOOT: (3, 15),
    Kind.POWER_CUT: (20, 240),
    Kind.FLEET_429: (5, 45),
    Kind.FLEET_5XX: (5, 45),
    Kind.DISK_FULL: (30, 240),
}
REQUESTS: dict[Kind, tuple[int, int]] = {
    Kind.TIMEOUT: (1, 2),
    Kind.HTTP_500: (1, 8),
    Kind.HTTP_502: (1, 8),
    Kind.HTTP_503: (1, 8),
    Kind.HTTP_429: (1, 2),
    Kind.MALFORMED: (1, 3),
}
# Which gap rows a fault explains (the error class the service records).
GAP_CLASSES: dict[Kind, tuple[str, ...]] = {
    Kind.TIMEOUT: ("GatewayTimeout", "GatewayUnavailable"),
    Kind.HTTP_500: ("GatewayUnavailable", "ServerError"),
    Kind.HTTP_502: ("GatewayUnavailable", "ServerError"),
    Kind.HTTP_503: ("GatewayUnavailable", "ServerError"),
    Kind.HTTP_429: ("RateLimited",),
    Kind.MALFORMED: ("ProtocolError",),
    Kind.TOKEN_EXPIRY: ("SessionRefused", "GatewayUnavailable"),
    Kind.CERTIFICATE: ("CertificateMismatch", "GatewayUnavailable"),
    Kind.REBOOT: ("GatewayUnavailable", "GatewayTimeout"),
}


@dataclass
class Fault:
    """One scheduled fault (simulated times)."""

    kind: Kind
    at: datetime
    minutes: float = 0.0
    requests: int = 0
    code: int = 0
    started: datetime | None = None
    ended: datetime | None = None
    handle: object = None

    @property
    def until(self) -> datetime:
        return self.at + timedelta(minutes=self.minutes)


def schedule(seed: int, start: datetime, days: float) -> list[Fault]:
    """Every kind at least once a day (more at random), after a first quiet hour."""
    rng = random.Random(seed)
    span = days * 86400 - 3600 * 2
    faults = []
    for kind in Kind:
        for _ in range(max(1, round(days * rng.uniform(1, 2)))):
            at = start + timedelta(seconds=3600 + rng.uniform(0, span))
            low, high = DURATION_MIN.get(kind, (0, 0))
            lo_n, hi_n = REQUESTS.get(kind, (0, 0))
            fault = Fault(kind, at, rng.uniform(low, high), rng.randint(lo_n, hi_n))
            fault.code = rng.choice((500, 502, 503)) if kind is Kind.FLEET_5XX else 429
            faults.append(fault)
    return sorted(faults, key=lambda f: f.at)


@dataclass
class Report:
    """What the soak counted."""

    days: float
    speed: float
    seed: int
    faults: Counter = field(default_factory=Counter)
    samples: int = 0
    gap_rows: int = 0
    gaps_explained: Counter = field(default_factory=Counter)
    gaps_unexplained: list[str] = field(default_factory=list)
    commands_sent: int = 0
    commands_refused: int = 0
    budget_skips: int = 0
    decisions: int = 0
    safe_fallback_s: float = 0.0
    unsafe: list[str] = field(default_factory=list)
    samples_lost: int = 0
    unexpected_exits: list[str] = field(default_factory=list)
    restarts: int = 0
    down_s: float = 0.0
    wall_s: float = 0.0

    def lines(self) -> list[str]:
        explained = ", ".join(f"{k} {n}" for k, n in sorted(self.gaps_explained.items()))
        injected = ", ".join(f"{k} {n}" for k, n in self.faults.items())
        hours = self.days * 24
        return [
            f"soak: {self.days:g} simulated days at {self.speed:g}x, seed {self.seed}, "
            f"{self.wall_s:.0f} s wall",
            f"faults injected: {sum(self.faults.values())} ({injected})",
            f"polls attempted: {self.samples + self.gap_rows}; recorded: {self.samples}; "
            f"gaps: {self.gap_rows} (explained: {explained or 'none'}; "
            f"unexplained: {len(self.gaps_unexplained)})",
            f"commands sent: {self.commands_sent}; refused: {self.commands_refused}; "
            f"skipped by the budget: {self.budget_skips}",
            f"decisions: {self.decisions}; time in safe fallback: "
            f"{self.safe_fallback_s / 3600:.1f} h of {hours:g} h",
            f"service restarts: {self.restarts} (down {self.down_s / 60:.0f} simulated min); "
            f"exits the soak did not ask for: {len(self.unexpected_exits)}",
            f"unsafe states: {len(self.unsafe)}; samples lost: {self.samples_lost}",
            *(f"  unsafe: {u}" for u in self.unsafe),
            *(f"  unexplained gap: {g}" for g in self.gaps_unexplained[:10]),
            *(f"  unexpected exit: {e}" for e in self.unexpected_exits),
        ]

    @property
    def ok(self) -> bool:
        return not (
            self.unsafe or self.samples_lost or self.unexpected_exits or self.gaps_unexplained
        )


_DECISION = re.compile(r"decision (\d{4}-\d\d-\d\d \d\d:\d\d) UTC \((.*?)\): (.*)$")


class Child:
    """The service in a child process; its output read line by line into a log file."""

    def __init__(self, soak: Soak) -> None:
        self.soak = soak
        self.proc = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--child",
                str(soak.config_path),
                "--clock-start",
                soak.clock.start.isoformat(),
                "--clock-wall",
                repr(soak.wall0),
                "--speed",
                repr(soak.clock.speed),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.ready = threading.Event()
        self.asked_to_stop = False
        self.tail: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.soak.log.write(line)
            self.tail = [*self.tail[-20:], line.rstrip()]
            match = _DECISION.search(line)
            if match:
                self.soak.on_decision(match.group(1), match.group(2), match.group(3))
                self.ready.set()

    def limit_file_size(self, limit: int | None) -> None:
        """RLIMIT_FSIZE of the running child (None: unlimited)."""
        _, hard = resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE)
        soft = resource.RLIM_INFINITY if limit is None else limit
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (soft, hard))

    def stop(self, sig: signal.Signals) -> int:
        self.asked_to_stop = True
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=120)
        self._reader.join(timeout=10)
        return code


class Soak:
    """The emulators, the schedule, the child and the checks."""

    def __init__(self, tmp: Path, *, days: float, speed: float, seed: int) -> None:
        self.tmp = tmp
        self.report = Report(days=days, speed=speed, seed=seed)
        self.start = datetime.now(UTC).replace(microsecond=0)
        self.wall0 = time.time()
        self.clock = AcceleratedClock(self.start, speed)
        trace = demo_trace(self.start - timedelta(days=1), self.start + timedelta(days=days + 2))
        self.gateway = GatewayEmulator(clock=self.clock, trace=trace).start()
        self.site = self.gateway.site
        self.fleet = FleetEmulator(self.site, clock=self.clock).start()
        self.certificate = self.gateway.certificate
        self.faults = schedule(seed, self.start, days)
        self.end = self.start + timedelta(days=days)
        self.state_dir = tmp / "state"
        self.database = tmp / "recordings.sqlite"
        self.config_path = self._write_config()
        self.config = load_config(self.config_path)
        self.policy = ControlPolicy.from_config(self.config)
        self.log = (tmp / "service.log").open("w", buffering=1)
        self.committed: set[int] = set()
        self._lock = threading.Lock()
        self._fallback_since: datetime | None = None
        self._overdue_since: datetime | None = None
        self._outage_reserve: float | None = None
        self._down_since: datetime | None = None
        self.disk_full = False
        self.rebooting = 0  # reboot faults in force (the gateway is down while any is)
        self.child: Child | None = None

    # -- set-up ---------------------------------------------------------------------------

    def _write_config(self) -> Path:
        secret = self.tmp / "gateway-password"
        secret.write_text(self.gateway.customer_password)
        secret.chmod(0o600)
        token = self.tmp / "fleet-token.json"
        token.write_text(
            json.dumps(
                {
                    "access_token": self.fleet.access_token,
                    "refresh_token": self.fleet.refresh_token,
                }
            )
        )
        token.chmod(0o600)
        path = self.tmp / "config.yaml"
        path.write_text(
            f"gateway:\n  host: 127.0.0.1\n  port: {self.gateway.port}\n"
            f"  password_file: {secret}\n  timeout_s: {GATEWAY_TIMEOUT_S}\n"
            "  rate_limit_cooldown_s: 1\n"
            f"recorder:\n  database: {self.database}\n  interval_s: {INTERVAL_S}\n"
            "control:\n  backend: fleet\n  fleet:\n"
            f"    base_url: {self.fleet.url}\n    auth_url: {self.fleet.url}\n"
            f"    site_id: '{self.fleet.site_id}'\n    token_file: {token}\n"
            "    client_id: wattplan-soak\n"
            "web:\n  enabled: false\n"
            "forecast:\n  weather:\n    provider: none\n"  # loopback only: no weather API
            f"state_dir: {self.state_dir}\n"
        )
        return path

    # -- the child's decisions ------------------------------------------------------------

    def on_decision(self, when: str, why: str, what: str) -> None:
        at = datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        with self._lock:
            self.report.decisions += 1
            if "skipped (budget)" in what:
                self.report.budget_skips += 1
            fallback = not what.startswith("plan") or what.startswith("nothing applied")
            if fallback and self._fallback_since is None:
                self._fallback_since = at
            elif not fallback and self._fallback_since is not None:
                self.report.safe_fallback_s += (at - self._fallback_since).total_seconds()
                self._fallback_since = None

    # -- faults ---------------------------------------------------------------------------

    def begin(self, fault: Fault, now: datetime) -> None:
        fault.started = now
        self.log.write(f"SOAK {now:%a %H:%M:%S} begin {fault.kind.value} {fault.minutes:.0f} min\n")
        self.report.faults[fault.kind.value] += 1
        faults = self.gateway.faults
        match fault.kind:
            case Kind.TIMEOUT:
                fault.handle = faults.add(
                    FaultKind.HANG, count=fault.requests, seconds=GATEWAY_TIMEOUT_S + 1
                )
            case Kind.HTTP_500 | Kind.HTTP_502 | Kind.HTTP_503 | Kind.HTTP_429:
                code = int(fault.kind.value)
                fault.handle = faults.add(FaultKind.STATUS, count=fault.requests, code=code)
            case Kind.MALFORMED:
                fault.handle = faults.add(FaultKind.MALFORMED, count=fault.requests)
            case Kind.TOKEN_EXPIRY:
                faults.expire_tokens()
            case Kind.CERTIFICATE:
                self._swap_certificate(make_certificate())
            case Kind.REBOOT:
                self.rebooting += 1
                self.gateway.stop()
            case Kind.POWER_CUT:
                faults.power_cut(now, fault.until)
            case Kind.FLEET_429 | Kind.FLEET_5XX:
                for endpoint in FleetEndpoint:
                    self.fleet.faults.answer[endpoint] = fault.code
            case Kind.FLEET_TOKEN:
                self.fleet.expire_tokens()
            case Kind.SIGKILL | Kind.SIGTERM:
                self.restart(signal.SIGKILL if fault.kind is Kind.SIGKILL else signal.SIGTERM)
            case Kind.DISK_FULL:
                self.disk_full = True
                if self.child is not None:
                    self.child.limit_file_size(DISK_FULL_BYTES)

    def over(self, fault: Fault, now: datetime) -> bool:
        """End ``fault`` if its time is up (or its requests are spent); True once ended."""
        if fault.handle is not None:
            spent = fault.handle.hits >= fault.requests
            if spent and fault.ended is None:
                fault.ended = now
                self.log.write(f"SOAK {now:%a %H:%M:%S} spent {fault.kind.value}\n")
            return spent
        if now < fault.until:
            return False
        match fault.kind:
            case Kind.CERTIFICATE:
                self._swap_certificate(self.certificate)
            case Kind.REBOOT:
                self.rebooting -= 1
                if not self.rebooting:
                    self.gateway.start()
            case Kind.FLEET_429 | Kind.FLEET_5XX:
                self.fleet.faults.answer.clear()
            case Kind.DISK_FULL:
                self.disk_full = False
                if self.child is not None:
                    self.child.limit_file_size(None)
        fault.ended = now
        self.log.write(f"SOAK {now:%a %H:%M:%S} end {fault.kind.value}\n")
        return True

    def _swap_certificate(self, certificate) -> None:
        """Serve ``certificate`` from now on (from the reboot's end, if the gateway is down)."""
        if not self.rebooting:
            self.gateway.stop()
        self.gateway.certificate = certificate
        if not self.rebooting:
            self.gateway.start()

    # -- the child ------------------------------------------------------------------------

    def spawn(self) -> None:
        self._down_since = self._down_since or self.clock.now()
        self.child = Child(self)
        if self.disk_full:
            self.child.limit_file_size(DISK_FULL_BYTES)

    def restart(self, sig: signal.Signals) -> None:
        assert self.child is not None
        self.snapshot()
        self._down_since = self.clock.now()
        ready = self.child.ready.is_set()
        code = self.child.stop(sig)
        if sig is signal.SIGTERM and not _clean_stop(code, ready=ready):
            self.report.unexpected_exits.append(f"exit {code} after SIGTERM")
        self.report.restarts += 1
        self.spawn()

    def watch_child(self, now: datetime) -> None:
        child = self.child
        assert child is not None
        if child.ready.is_set() and self._down_since is not None:
            self.report.down_s += (now - self._down_since).total_seconds()
            self._down_since = None
        code = child.proc.poll()
        if code is not None and not child.asked_to_stop:
            child._reader.join(timeout=10)
            last = " | ".join(child.tail[-3:])
            self.report.unexpected_exits.append(f"{now:%a %H:%M} exit {code}: {last}")
            self.snapshot()
            self._down_since = now
            self.report.restarts += 1
            self.spawn()

    # -- checks ---------------------------------------------------------------------------

    def snapshot(self) -> None:
        """Remember every committed sample (to check none goes missing later)."""
        if not self.database.exists():
            return
        with RecordingStore(self.database, readonly=True) as store:
            self.committed |= set(store.epochs())

    def check(self, now: datetime) -> None:
        settings = self.site.settings
        grid_up = self.gateway.faults.grid_up_at(now)
        # The reserve never goes down during an outage.
        if not grid_up:
            reserve = settings.backup_reserve_app_percent
            if self._outage_reserve is None:
                self._outage_reserve = reserve
            elif reserve < self._outage_reserve - 0.5:
                self.report.unsafe.append(
                    f"{now:%a %H:%M}: reserve lowered during an outage "
                    f"({self._outage_reserve:g} % → {reserve:g} %)"
                )
                self._outage_reserve = reserve
        else:
            self._outage_reserve = None
        # No forced state outlives its lease while the service is up and can send commands.
        overdue = False
        if is_forced(settings, self.policy):
            lease = load_lease(self.state_dir)
            overdue = lease is None or lease.expired(now)
        control_path_down = bool(self.fleet.faults.answer) or self._down_since is not None
        if not overdue or control_path_down or not grid_up:
            self._overdue_since = None
            return
        if self._overdue_since is None:
            self._overdue_since = now
        elif now - self._overdue_since > timedelta(seconds=4 * INTERVAL_S + 600):
            self.report.unsafe.append(
                f"{now:%a %H:%M}: forced state {settings.describe()} past its lease since "
                f"{self._overdue_since:%H:%M}"
            )
            self._overdue_since = None

    def explain_gaps(self) -> None:
        with RecordingStore(self.database, readonly=True) as store:
            self.report.samples = store.sample_count()
            gaps = store.gaps()
            final = set(store.epochs())
        self.report.samples_lost = len(self.committed - final)
        self.report.gap_rows = len(gaps)
        slack = timedelta(seconds=2 * INTERVAL_S) + timedelta(seconds=3 * self.clock.speed)
        for gap in gaps:
            near = [
                f
                for f in self.faults
                if f.started is not None
                and f.kind in GAP_CLASSES
                and f.started - slack <= gap.start <= (f.ended or self.end) + slack
            ]
            same = [f for f in near if gap.error_class in GAP_CLASSES[f.kind]]
            why = (same or near)[0].kind.value if near else None
            if why is None:
                self.report.gaps_unexplained.append(
                    f"{gap.start:%a %H:%M} {gap.error_class}: {gap.message[:120]}"
                )
            else:
                self.report.gaps_explained[why] += 1

    def count_commands(self) -> None:
        for method, path, status in self.fleet.requests:
            if method is not HTTPMethod.POST or path == OAUTH:
                continue
            if path in {e.value for e in FleetEndpoint} and 200 <= status < 300:
                self.report.commands_sent += 1
            elif path in {e.value for e in FleetEndpoint}:
                self.report.commands_refused += 1

    # -- the run --------------------------------------------------------------------------

    def run(self) -> Report:
        began = time.monotonic()
        pending = list(self.faults)
        active: list[Fault] = []
        self.spawn()
        try:
            while (now := self.clock.now()) < self.end:
                while pending and pending[0].at <= now:
                    fault = pending.pop(0)
                    self.begin(fault, now)
                    active.append(fault)
                active = [f for f in active if not self.over(f, now)]
                self.watch_child(now)
                self.check(now)
                time.sleep(TICK_S)
            for fault in active:  # end what is still in force, then stop the service
                fault.minutes = 0
                self.over(fault, self.clock.now())
            self.snapshot()
            assert self.child is not None
            ready = self.child.ready.is_set()
            code = self.child.stop(signal.SIGTERM)
            if not _clean_stop(code, ready=ready):
                self.report.unexpected_exits.append(f"exit {code} after the final SIGTERM")
        finally:
            if self.child is not None and self.child.proc.poll() is None:
                self.child.proc.kill()
            self.fleet.stop()
            self.gateway.stop()
            self.log.close()
        self.explain_gaps()
        self.count_commands()
        if self._fallback_since is not None:
            self.report.safe_fallback_s += (self.end - self._fallback_since).total_seconds()
        self.report.wall_s = time.monotonic() - began
        return self.report


def _clean_stop(code: int, *, ready: bool) -> bool:
    """Exit 0, or killed by the SIGTERM itself before the service was built (still importing or
    reading its inputs: nothing of its own to revert; systemd counts that a clean stop too)."""
    return code == 0 or (code == -signal.SIGTERM and not ready)


def soak(tmp: Path, *, days: float = 7, speed: float = 1000, seed: int = 17) -> Report:
    """Run the soak in ``tmp``; the service's log is ``tmp/service.log``."""
    return Soak(tmp, days=days, speed=speed, seed=seed).run()


def child(config: Path, clock_start: str, clock_wall: float, speed: float) -> int:
    """The service ``wattplan run`` builds, on the soak's clock (same start, same speed)."""
    from optimiser.cli import build_parser
    from optimiser.cli.run_cmd import serve

    args = build_parser().parse_args(["--config", str(config), "run", "--no-web"])
    start = datetime.fromisoformat(clock_start)
    clock = AcceleratedClock(start + timedelta(seconds=(time.time() - clock_wall) * speed), speed)
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return serve(args, load_config(config), clock)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=7.0, help="simulated days")
    parser.add_argument("--speed", type=float, default=1000.0, help="clock speed")
    parser.add_argument("--seed", type=int, default=17, help="the fault schedule's seed")
    parser.add_argument("--keep", type=Path, help="keep the run's files (log, database) here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--clock-start", help=argparse.SUPPRESS)
    parser.add_argument("--clock-wall", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        return child(args.child, args.clock_start, args.clock_wall, args.speed)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        report = soak(args.keep, days=args.days, speed=args.speed, seed=args.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="wattplan-soak-") as tmp:
            report = soak(Path(tmp), days=args.days, speed=args.speed, seed=args.seed)
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
