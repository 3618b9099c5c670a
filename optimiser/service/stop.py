"""How the service stops: a revert that did not go through is retried a few times, spread
over a bounded window of real time, and systemd must wait for all of it."""

from __future__ import annotations

import time as systime
from collections.abc import Callable

from optimiser.config import Config

#: How long ``shutdown`` keeps retrying a revert that did not go through, and how often. [s]
STOP_RETRY_WINDOW_S = 60.0
STOP_ATTEMPTS = 3


def stop_time_needed_s(config: Config) -> float:
    """Worst-case time ``shutdown`` may take to revert (systemd's TimeoutStopSec must cover
    it). [s]

    :data:`STOP_RETRY_WINDOW_S` for starting attempts, plus one last attempt begun just before
    it closes, plus the first read of the device: an attempt reads, sends up to
    ``safety_commands`` commands, reads back, resends once and reads again, each request
    within ``control.fleet.timeout_s``.
    """
    requests = 2 + 3 + 2 * max(config.control.safety_commands, 1)  # + the outage check's read
    timeout = float(config.control.fleet.timeout_s)
    if config.gateway is not None:
        timeout = max(timeout, float(config.gateway.timeout_s))
    return STOP_RETRY_WINDOW_S + requests * timeout


def retry_spread(attempt: Callable[[int], bool], *, attempts: int, window_s: float) -> int:
    """Call ``attempt(n)`` (n = 1, 2, …) until it returns True, at most ``attempts`` times,
    spaced evenly over ``window_s`` of real time so a short blip is ridden out; no attempt
    starts once the window has closed. Returns how many attempts ran."""
    deadline = systime.monotonic() + window_s
    made = 0
    while made < attempts:
        if made:
            wait = min(window_s / attempts, deadline - systime.monotonic())
            if wait <= 0:
                break
            systime.sleep(wait)
        made += 1
        if attempt(made):
            break
    return made
