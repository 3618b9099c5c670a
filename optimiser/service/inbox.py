"""What the home tells the service: a thread-safe inbox of typed, already validated messages.

Publishers that take input (MQTT's ``…/set`` topics, the web dashboard's write endpoints)
validate what arrives, turn it into one of the messages below and :meth:`Inbox.put` it; a
malformed input never reaches the inbox. ``put`` never blocks and may be called from any
thread. The service loop (:class:`~optimiser.service.Service` with ``inbox=``) wakes at once,
drains the inbox, folds the messages into its :class:`~optimiser.service.home.HomeInputs`
and re-plans through the one planning path; overrides then reach the device through the same
safety rule and command budget as the planner's own decisions.

Messages:

- :class:`ContextFact`: a context fact (``storm_warning``, ``away``…) with an optional expiry,
  merged into the same :class:`~rules.context.Context` that ``--context`` feeds (a value of
  None withdraws the home's fact);
- :class:`ModeOverride`: a manual mode (hold, charge, export, self-powered) for a time to
  live, after which the service returns to its plan by itself (``auto`` ends it now);
- :class:`ReserveFloor`: a floor on the stored energy, Tesla app scale (None removes it);
- :class:`ControlSwitch`: control on, or off (dry run: decisions are made, nothing is sent);
- :class:`ReplanNow`: plan and decide again now.

Times to live and relative expiries are durations, resolved on the service's clock when the
service takes the message (``wattplan run --speed`` runs a faster clock than the publisher's).
What the service has applied is kept here too (:meth:`Inbox.current`), so publishers can show
it; the service tells observers of each change with an ``EventKind.HOME_INPUT`` event.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from rules.schema import ContextValue

if TYPE_CHECKING:
    from optimiser.service.home import HomeInputs

MAX_PENDING = 256
"""Messages kept waiting at most; the oldest are dropped beyond (a flood changes nothing
more than its last messages would)."""


class ManualMode(StrEnum):
    """What a manual override asks of the battery."""

    AUTO = "auto"
    """No override: follow the plan."""
    HOLD = "hold"
    """Do not discharge (nor export) the battery."""
    CHARGE = "charge"
    """Charge to full as fast as the backend allows."""
    EXPORT = "export"
    """Discharge to the reserve floor as fast as the device can (the surplus is exported)."""
    SELF_POWERED = "self_powered"
    """Self-powered mode: the battery serves the home, no grid charging, no battery export."""


Expiry = datetime | timedelta | None
"""An absolute aware time, a duration from when the service takes the message, or never."""


@dataclass(frozen=True)
class ContextFact:
    """Set (or with ``value`` None, withdraw) the home's context fact ``key``."""

    key: str
    value: ContextValue | None
    expires: Expiry = None
    source: str = "home"


@dataclass(frozen=True)
class ModeOverride:
    """Override the plan with ``mode`` for ``ttl``; ``ManualMode.AUTO`` ends an override."""

    mode: ManualMode
    ttl: timedelta = timedelta(minutes=60)
    source: str = "home"


@dataclass(frozen=True)
class ReserveFloor:
    """Keep at least ``percent`` stored (Tesla app scale) [%]; None removes the floor."""

    percent: float | None
    source: str = "home"


@dataclass(frozen=True)
class ControlSwitch:
    """Control on, or off (dry run)."""

    on: bool
    source: str = "home"


@dataclass(frozen=True)
class ReplanNow:
    """Plan and decide again now."""

    source: str = "home"


HomeMessage = ContextFact | ModeOverride | ReserveFloor | ControlSwitch | ReplanNow


class Inbox:
    """Messages from the home for the service loop; every method is thread-safe.

    ``wake`` is set by :meth:`put` and cleared by :meth:`drain`: the service sleeps on it.
    """

    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self._lock = threading.Lock()
        self._pending: deque[HomeMessage] = deque(maxlen=max_pending)
        self._current: HomeInputs | None = None
        self.wake = threading.Event()

    def put(self, message: HomeMessage) -> None:
        """Queue ``message`` and wake the service; returns at once."""
        with self._lock:
            self._pending.append(message)
        self.wake.set()

    def drain(self) -> list[HomeMessage]:
        """Every message queued so far, oldest first (the service's side)."""
        with self._lock:
            messages = list(self._pending)
            self._pending.clear()
            self.wake.clear()
        return messages

    def pending(self) -> int:
        """How many messages wait."""
        with self._lock:
            return len(self._pending)

    def settle(self, inputs: HomeInputs) -> None:
        """Record what the service has applied (the service's side)."""
        with self._lock:
            self._current = inputs

    def current(self) -> HomeInputs | None:
        """What the service has applied so far (None: it has not taken any message yet)."""
        with self._lock:
            return self._current
