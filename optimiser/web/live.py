"""The dashboard's view of a running service: an observer that only keeps the latest data.

:class:`LiveView` is handed to :class:`~optimiser.service.Service` as an observer. Each
``on_*`` call takes a lock for the time of a few assignments and returns: nothing is converted,
written or sent on the control loop's thread. The web server's threads call
:meth:`LiveView.take` for a consistent copy and do the work (JSON, charts, files) themselves.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from optimiser.gateway.models import SiteState
from optimiser.planning import PlanResult
from optimiser.service.observers import EventKind, ServiceEvent
from optimiser.service.records import DecisionRecord

KEEP_DECISIONS = 500
KEEP_EVENTS = 200
KEEP_PLANS = 200  # about four days of half-hourly re-plans: the plan-vs-actual ledger's input
KEEP_STATES = 4000  # 90 s polls: four days (the history when nothing is recorded)


@dataclass(frozen=True)
class Taken:
    """A consistent copy of what the service has told the view (oldest first).

    ``version`` grows with every call; ``states`` holds (reading, poll time) pairs and
    ``plans`` (plan, made at) pairs; ``counts`` are totals since start, per event kind.
    """

    version: int
    state: SiteState | None
    state_at: datetime | None
    states: tuple[SiteState, ...]
    plans: tuple[tuple[PlanResult, datetime], ...]
    decisions: tuple[DecisionRecord, ...]
    events: tuple[ServiceEvent, ...]
    polls: int
    decision_count: int
    event_counts: dict[EventKind, int]
    gateway_up: bool


class LiveView:
    """An :class:`~optimiser.service.Observer` keeping the latest state, plans, decisions and
    events under a lock; every method returns at once and never raises."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._version = 0
        self._state: SiteState | None = None
        self._state_at: datetime | None = None
        self._states: deque[SiteState] = deque(maxlen=KEEP_STATES)
        self._plans: deque[tuple[PlanResult, datetime]] = deque(maxlen=KEEP_PLANS)
        self._decisions: deque[DecisionRecord] = deque(maxlen=KEEP_DECISIONS)
        self._events: deque[ServiceEvent] = deque(maxlen=KEEP_EVENTS)
        self._polls = 0
        self._decision_count = 0
        self._event_counts: dict[EventKind, int] = {}
        self._gateway_up = True

    # -- Observer -----------------------------------------------------------------------------

    def on_state(self, state: SiteState, at: datetime) -> None:
        with self._lock:
            self._state, self._state_at = state, at
            self._states.append(state)
            self._polls += 1
            self._gateway_up = True
            self._bump()

    def on_plan(self, result: PlanResult, at: datetime) -> None:
        with self._lock:
            self._plans.append((result, at))
            self._bump()

    def on_decision(self, record: DecisionRecord) -> None:
        with self._lock:
            self._decisions.append(record)
            self._decision_count += 1
            self._bump()

    def on_event(self, event: ServiceEvent) -> None:
        with self._lock:
            self._events.append(event)
            self._event_counts[event.kind] = self._event_counts.get(event.kind, 0) + 1
            if event.kind is EventKind.GATEWAY_LOST:
                self._gateway_up = False
            self._bump()

    def _bump(self) -> None:
        self._version += 1
        self._changed.notify_all()

    # -- readers (web threads) ----------------------------------------------------------------

    @property
    def version(self) -> int:
        """Grows with every observer call."""
        return self._version

    def take(self) -> Taken:
        """A consistent copy of everything kept (for the web server's threads)."""
        with self._lock:
            return Taken(
                version=self._version,
                state=self._state,
                state_at=self._state_at,
                states=tuple(self._states),
                plans=tuple(self._plans),
                decisions=tuple(self._decisions),
                events=tuple(self._events),
                polls=self._polls,
                decision_count=self._decision_count,
                event_counts=dict(self._event_counts),
                gateway_up=self._gateway_up,
            )

    def wait_for_change(self, after: int, timeout_s: float) -> int:
        """Block (a web or journal thread, never the loop) until the version passes ``after``
        or ``timeout_s`` runs out; returns the version."""
        with self._changed:
            self._changed.wait_for(lambda: self._version > after, timeout=timeout_s)
            return self._version
