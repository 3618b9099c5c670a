"""How fast the dashboard renders and the API answers while the service runs at speed.

Run: ``python benchmarks/web_speed.py [--speed 600] [--rounds 50] [--report-year]`` from the
repository root. Starts ``wattplan run`` on the embedded emulator (its clock ``--speed`` times
faster, polling and re-planning all the while) with the dashboard on a free loopback port, then

- loads every page ``--pages`` times in headless Chromium (Debian's ``chromium`` and
  ``chromium-driver``) and reports the time to first contentful paint and to the page's load
  event (median, p95) from the browser's own Navigation and Paint Timing;
- calls every ``/api/*`` endpoint and ``/metrics`` ``--rounds`` times and reports the latency
  (median, p95) in ms;

and with ``--report-year`` times ``wattplan simulate --demo --report`` over the demo year and
checks the file is under 5 MB and needs no network (no ``src``/``href`` leaves the file).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.optimiser.web.browser import chromium  # noqa: E402

ENDPOINTS = (
    "api/state",
    "api/plan",
    "api/plan-vs-actual",
    "api/history",
    "api/decisions",
    "api/money",
    "api/health",
    "metrics",
)
PAGES = ("", "plan", "money", "decisions", "health")
URL = re.compile(r"(http://127\.0\.0\.1:\d+/)")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def start_service(folder: Path, speed: float) -> tuple[subprocess.Popen, str]:
    config = folder / "config.yaml"
    config.write_text(
        f"recorder:\n  database: {folder / 'rec.sqlite'}\n  interval_s: 90\n"
        f"web:\n  port: 0\nstate_dir: {folder / 'state'}\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "optimiser.cli",
            "--config",
            str(config),
            "run",
            "--speed",
            str(speed),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        match = URL.search(proc.stderr.readline())
        if match:
            # Drain the log so the service never blocks on a full pipe.
            subprocess.Popen(["cat"], stdin=proc.stderr, stdout=subprocess.DEVNULL)
            return proc, match.group(1)
    proc.kill()
    raise SystemExit("wattplan run did not print the dashboard's URL")


def page_timings(url: str, rounds: int) -> None:
    print(f"{'page':<12} {'paint med':>10} {'paint p95':>10} {'load med':>10} {'load p95':>10}")
    with chromium() as driver:
        for page in PAGES:
            paint, load = [], []
            for _ in range(rounds):
                driver.get(url + page)
                timing = driver.execute_script(
                    "var n = performance.getEntriesByType('navigation')[0];"
                    "var p = performance.getEntriesByName('first-contentful-paint')[0];"
                    "return [p ? p.startTime : null, n.loadEventEnd];"
                )
                if timing[0] is not None:
                    paint.append(timing[0])
                load.append(timing[1])
            print(
                f"{page or 'now':<12} {statistics.median(paint):>8.0f}ms {p95(paint):>8.0f}ms "
                f"{statistics.median(load):>8.0f}ms {p95(load):>8.0f}ms"
            )


def api_latency(url: str, rounds: int) -> None:
    print(f"{'endpoint':<20} {'median':>9} {'p95':>9}")
    with requests.Session() as session:
        for endpoint in ENDPOINTS:
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                response = session.get(url + endpoint, timeout=10)
                times.append(1000 * (time.perf_counter() - t0))
                response.raise_for_status()
            print(f"{endpoint:<20} {statistics.median(times):>7.1f}ms {p95(times):>7.1f}ms")


def report_year(folder: Path) -> None:
    path = folder / "year.html"
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "optimiser.cli", "simulate", "--demo", "--report", str(path)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    html = path.read_text(encoding="utf-8")
    outside = re.findall(r"""(?:src|href)\s*=\s*["'](?!#)""", html)
    print(
        f"simulate --demo --report: {time.perf_counter() - t0:.0f} s, "
        f"{path.stat().st_size / 1e6:.2f} MB (limit 5 MB), "
        f"{'no' if not outside else len(outside)} external references"
    )
    with chromium() as driver:
        driver.get(path.as_uri())
        charts = driver.execute_script("return window.wattplanReport.charts.length")
        print(f"  opened offline in Chromium: {charts} charts drawn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=600.0)
    parser.add_argument("--rounds", type=int, default=50, help="API calls per endpoint")
    parser.add_argument("--pages", type=int, default=10, help="loads per page")
    parser.add_argument("--report-year", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wattplan-web-speed-") as tmp:
        folder = Path(tmp)
        proc, url = start_service(folder, args.speed)
        try:
            time.sleep(3)  # a few accelerated slots: a plan, decisions, samples
            print(
                f"wattplan run --speed {args.speed:g}, dashboard at {url} ({os.cpu_count()} CPUs)"
            )
            page_timings(url, args.pages)
            api_latency(url, args.rounds)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        if args.report_year:
            report_year(folder)


if __name__ == "__main__":
    main()
