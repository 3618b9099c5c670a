"""Start-up: wait for the gateway's first answer with a bounded, logged back-off.

After a power cut the gateway can take minutes (or hours) to answer again (500, 429, resets)
while the host is already up; ``wattplan run`` must not exit then. Gap-and-retry errors (and a
certificate other than the pinned one, as in the loop: :func:`~optimiser.service.watchdog.
carries_on`) are waited out until the gateway answers or a stop is requested
(or, when given, a bound is spent: the last temporary error is raised); anything else (a
refused password, a changed certificate) is raised at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from optimiser.domain.clock import Clock
from optimiser.recorder.errors import StoreCorrupt, StoreError, StoreLocked
from optimiser.service.timer import sleep_until
from optimiser.service.watchdog import carries_on

log = logging.getLogger("wattplan.run")

T = TypeVar("T")

FIRST_DELAY_S = 5.0
"""The first wait after a failed read [s]; it doubles up to :data:`MAX_DELAY_S`."""
MAX_DELAY_S = 120.0
"""The longest wait between two reads [s]."""


def wait_for_site(
    read: Callable[[], T],
    *,
    clock: Clock,
    stop: threading.Event | None = None,
    give_up_after_s: float | None = None,
) -> T | None:
    """``read()``, retried on gap-and-retry errors with exponential back-off until it answers
    (or for at most ``give_up_after_s`` [s] of ``clock`` time, when given); each retry is
    logged. None when ``stop`` is set first."""
    start = clock.now()
    delay = FIRST_DELAY_S
    attempt = 1
    while True:
        try:
            return read()
        except Exception as exc:
            if not carries_on(exc):
                raise
            waited = (clock.now() - start).total_seconds()
            if give_up_after_s is not None and waited + delay > give_up_after_s:
                log.error(
                    "start-up: gateway still unavailable after %d attempts in %.0f s: %s",
                    attempt,
                    waited,
                    exc,
                )
                raise
            log.warning(
                "start-up: gateway unavailable (attempt %d): %s; retrying in %.0f s",
                attempt,
                exc,
                delay,
            )
        if not sleep_until(
            clock, clock.now() + timedelta(seconds=delay), stop or threading.Event()
        ):
            return None
        delay = min(2 * delay, MAX_DELAY_S)
        attempt += 1


def wait_for_store(
    open_store: Callable[[], T], *, clock: Clock, stop: threading.Event | None = None
) -> T | None:
    """``open_store()``, retried with the same back-off while the recorder's database cannot
    be opened for want of disk ("disk I/O error", "database or disk is full": a full disk is
    temporary); any other store error is raised at once. None when ``stop`` is set first."""
    delay = FIRST_DELAY_S
    while True:
        try:
            return open_store()
        except (StoreLocked, StoreCorrupt):
            raise
        except StoreError as exc:
            if "disk" not in str(exc).lower():
                raise
            log.warning(
                "start-up: recorder database unavailable: %s; retrying in %.0f s", exc, delay
            )
        if not sleep_until(
            clock, clock.now() + timedelta(seconds=delay), stop or threading.Event()
        ):
            return None
        delay = min(2 * delay, MAX_DELAY_S)
