"""Start-up: wait for the gateway's first answer with a bounded, logged back-off.

After a power cut the gateway can take minutes to answer again (500, 429, resets) while the
host is already up; ``wattplan run`` must not exit then. Only gap-and-retry errors are waited
out (:mod:`optimiser.domain.errors`); anything else (a refused password, a changed certificate)
is raised at once, and the last temporary error is raised once the bound is spent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from optimiser.domain.clock import Clock
from optimiser.domain.errors import NextStep, next_step_of

log = logging.getLogger("wattplan.run")

T = TypeVar("T")

FIRST_DELAY_S = 5.0
"""The first wait after a failed read [s]; it doubles up to :data:`MAX_DELAY_S`."""
MAX_DELAY_S = 120.0
"""The longest wait between two reads [s]."""
GIVE_UP_AFTER_S = 1800.0
"""How long start-up waits for the gateway before exiting (then systemd restarts it) [s]."""


def wait_for_site(
    read: Callable[[], T], *, clock: Clock, give_up_after_s: float = GIVE_UP_AFTER_S
) -> T:
    """``read()``, retried on gap-and-retry errors with exponential back-off for at most
    ``give_up_after_s`` [s] of ``clock`` time; each retry is logged."""
    start = clock.now()
    delay = FIRST_DELAY_S
    attempt = 1
    while True:
        try:
            return read()
        except Exception as exc:
            if not next_step_of(exc, foreign=NextStep.STOP_AND_TELL).keeps_running:
                raise
            waited = (clock.now() - start).total_seconds()
            if waited + delay > give_up_after_s:
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
        clock.sleep(delay)
        delay = min(2 * delay, MAX_DELAY_S)
        attempt += 1
