"""``wattplan record`` wiring: open the store, get a poll function, run the loop.

The poll comes from a *poll factory*: ``poll_factory(config)`` returns either a poll function
or a context manager yielding one (so a gateway connection is closed when recording ends).
The default factory uses the gateway client (``optimiser.gateway.open_gateway``) and records
its temporary errors (unavailable, rate-limited, protocol) as gaps; authentication and trust
errors stop the recorder, because retrying them would lock the user out.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from optimiser.domain.clock import Clock, RealClock
from optimiser.gateway import Gateway, open_gateway
from optimiser.recorder.loop import Poll, RecordStats, record
from optimiser.recorder.sample import Sample, sample_from_site_state
from optimiser.recorder.store import RecordingStore

PollFactory = Callable[[Any], "Poll | contextlib.AbstractContextManager[Poll]"]


def gateway_poll_factory(
    open_gateway: Callable[[Any], contextlib.AbstractContextManager[Gateway]],
) -> PollFactory:
    """A poll factory reading ``gateway.site_state()`` from ``open_gateway(config)``."""

    @contextlib.contextmanager
    def factory(config: Any) -> Iterator[Poll]:
        with open_gateway(config) as gateway:

            def poll() -> Sample:
                return sample_from_site_state(gateway.site_state())

            yield poll

    return factory


def gateway_retryable_errors() -> tuple[type[BaseException], ...]:
    """The gateway errors that make a gap rather than stop the recorder."""
    try:
        from optimiser import gateway
    except ImportError:
        return (Exception,)
    names = ("GatewayUnavailable", "RateLimited", "ProtocolError")
    found = tuple(getattr(gateway, n) for n in names if hasattr(gateway, n))
    return found or (Exception,)


@contextlib.contextmanager
def _as_context(made: Any) -> Iterator[Poll]:
    if hasattr(made, "__enter__"):
        with made as poll:
            yield poll
    else:
        yield made


def run_recorder(
    config: Any,
    poll_factory: PollFactory | None = None,
    *,
    opener: Callable[[Any], contextlib.AbstractContextManager[Gateway]] = open_gateway,
    database: Path | None = None,
    interval_s: float | None = None,
    clock: Clock | None = None,
    stop: threading.Event | None = None,
    max_samples: int | None = None,
    max_polls: int | None = None,
    on_sample: Callable[[Sample], None] | None = None,
    on_gap: Callable[..., None] | None = None,
    retry_on: tuple[type[BaseException], ...] | None = None,
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
    retry_on : poll errors recorded as gaps; default: the gateway's temporary errors for the
        gateway factory, any ``Exception`` for an injected factory.
    """
    path = Path(database or config.recorder.database).expanduser()
    interval = float(interval_s or config.recorder.interval_s)
    if poll_factory is None:
        poll_factory = gateway_poll_factory(opener)
        retry_on = retry_on or gateway_retryable_errors()
    retry_on = retry_on or (Exception,)
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
            retry_on=retry_on,
        )
