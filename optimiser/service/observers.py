"""What the service tells the home: observers of its polls, plans, decisions and events.

Publishers (MQTT, the web dashboard) implement :class:`Observer` and are handed to
:class:`~optimiser.service.Service`. The loop calls them synchronously after each step, so an
observer must return at once (hand the data to its own thread or queue) and must not raise:
:func:`notify` logs and swallows anything it raises, because publishing never stops polling,
recording or control.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from optimiser.gateway.models import SiteState
from optimiser.planning import PlanResult
from optimiser.service.records import DecisionRecord

log = logging.getLogger("wattplan.run")


class EventKind(StrEnum):
    """Things worth telling the home about once, as they happen."""

    GRID_LOST = "grid_lost"
    GRID_RESTORED = "grid_restored"
    GATEWAY_LOST = "gateway_lost"
    GATEWAY_BACK = "gateway_back"
    PLAN_FAILED = "plan_failed"
    COMMAND_REFUSED = "command_refused"
    BUDGET_EXHAUSTED = "budget_exhausted"
    SAFE_FALLBACK = "safe_fallback"
    HOME_INPUT = "home_input"
    """The home changed a context fact, the override, the reserve floor or control on/off
    (:mod:`optimiser.service.inbox`)."""


@dataclass(frozen=True)
class ServiceEvent:
    """One event: what, when (UTC) and a human sentence."""

    kind: EventKind
    time: datetime
    detail: str


class Observer(Protocol):
    """Receives what the service knows; each method returns at once and never raises."""

    def on_state(self, state: SiteState, at: datetime) -> None:
        """A poll read the site (every ``recorder.interval_s``)."""

    def on_plan(self, result: PlanResult, at: datetime) -> None:
        """A new plan was made."""

    def on_decision(self, record: DecisionRecord) -> None:
        """A decision was taken (what was applied, or why nothing could be)."""

    def on_event(self, event: ServiceEvent) -> None:
        """Something happened that the home should hear about once."""


def notify(observers: Sequence[Observer], call: Callable[[Observer], None]) -> None:
    """Call every observer; an observer's exception is logged, never propagated."""
    for observer in observers:
        try:
            call(observer)
        except Exception as exc:  # publishing must never stop the loop
            log.warning(
                "observer %s failed: %s: %s", type(observer).__name__, type(exc).__name__, exc
            )
