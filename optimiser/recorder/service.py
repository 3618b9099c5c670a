"""``wattplan record`` wiring: open the store, get a poll function, run the loop.

The poll comes from a *poll factory*: ``poll_factory(config)`` returns either a poll function
or a context manager yielding one (so a gateway connection is closed when recording ends).
The default factory uses the gateway client (``optimiser.gateway.open_gateway``). Either way
a failed poll follows its error's ``next_step`` (:mod:`optimiser.domain.errors`): the gateway's
unavailable, rate-limited and protocol errors become gaps; authentication, access and trust
errors stop the recorder, because retrying them would lock the user out. An exception that is
not a wattplan error stops the gateway factory's recorder (the client translates everything it
meets, so it is a bug) and is a gap for an injected factory (its own failure).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from optimiser.config import Config
from optimiser.domain.clock import Clock, RealClock
from optimiser.domain.errors import NextStep
from optimiser.gateway import Gateway, open_gateway
from optimiser.recorder.loop import Poll, RecordStats, record
from optimiser.recorder.sample import Sample, sample_from_site_state
from optimiser.recorder.store import RecordingStore

PollFactory = Callable[[Config], "Poll | contextlib.AbstractContextManager[Poll]"]
GatewayOpener = Callable[[Config], contextlib.AbstractContextManager[Gateway]]


def gateway_poll_factory(open_gateway: GatewayOpener) -> PollFactory:
    """A poll factory reading ``gateway.site_state()`` from ``open_gateway(config)``."""

    @contextlib.contextmanager
    def factory(config: Config) -> Iterator[Poll]:
        with open_gateway(config) as gateway:

            def poll() -> Sample:
                return sample_from_site_state(gateway.site_state())

            yield poll

    return factory


@contextlib.contextmanager
def _as_context(made: Poll | contextlib.AbstractContextManager[Poll]) -> Iterator[Poll]:
    if isinstance(made, contextlib.AbstractContextManager):
        with made as poll:
            yield poll
    else:
        yield made


def run_recorder(
    config: Config,
    poll_factory: PollFactory | None = None,
    *,
    opener: GatewayOpener = open_gateway,
    database: Path | None = None,
    interval_s: float | None = None,
    clock: Clock | None = None,
    stop: threading.Event | None = None,
    max_samples: int | None = None,
    max_polls: int | None = None,
    on_sample: Callable[[Sample], None] | None = None,
    on_gap: Callable[[datetime, BaseException], None] | None = None,
) -> RecordStats:
    """Record until stopped, with settings from ``config.recorder`` unless overridden.

    Parameters
    ----------
    config : optimiser.config.Config
        The configuration (``recorder.database``, ``recorder.interval_s``, gateway).
    poll_factory : callable | None
        ``poll_factory(config)`` → poll function or context manager of one; None = the gateway
        that ``opener(config)`` opens (the CLI passes one that wires the embedded emulator).
    database, interval_s : overrides of ``config.recorder``.
    clock, stop, max_samples, max_polls, on_sample, on_gap : passed to :func:`record`.
    """
    path = Path(database or config.recorder.database).expanduser()
    interval = float(interval_s or config.recorder.interval_s)
    foreign = NextStep.GAP_AND_RETRY
    if poll_factory is None:
        poll_factory = gateway_poll_factory(opener)
        foreign = NextStep.STOP_AND_TELL
    # Lock the store before connecting, so a second recorder fails fast and touches nothing.
    with RecordingStore(path) as store, _as_context(poll_factory(config)) as poll:
        return record(
            poll,
            store,
            clock=clock or RealClock(),
            interval_s=interval,
            stop=stop,
            max_samples=max_samples,
            max_polls=max_polls,
            on_sample=on_sample,
            on_gap=on_gap,
            foreign=foreign,
        )
