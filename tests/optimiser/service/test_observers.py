"""Publishers observe every poll, plan, decision and event, and a failing one stops nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from optimiser.gateway.models import SiteState
from optimiser.planning import PlanResult
from optimiser.service import EventKind, ServiceEvent
from optimiser.service.records import DecisionRecord
from tests.optimiser.service.conftest import at_night, make_service


class Collector:
    def __init__(self) -> None:
        self.states: list[SiteState] = []
        self.plans: list[PlanResult] = []
        self.decisions: list[DecisionRecord] = []
        self.events: list[ServiceEvent] = []

    def on_state(self, state: SiteState, at: datetime) -> None:
        self.states.append(state)

    def on_plan(self, result: PlanResult, at: datetime) -> None:
        self.plans.append(result)

    def on_decision(self, record: DecisionRecord) -> None:
        self.decisions.append(record)

    def on_event(self, event: ServiceEvent) -> None:
        self.events.append(event)


class Broken:
    def on_state(self, state: SiteState, at: datetime) -> None:
        raise RuntimeError("broker gone")

    def on_plan(self, result: PlanResult, at: datetime) -> None:
        raise RuntimeError("broker gone")

    def on_decision(self, record: DecisionRecord) -> None:
        raise RuntimeError("broker gone")

    def on_event(self, event: ServiceEvent) -> None:
        raise RuntimeError("broker gone")


def test_observers_see_polls_plans_decisions_and_a_power_cut(house):
    at_night(house, 2)
    seen = Collector()
    service = make_service(house)
    service.observers = (Broken(), seen)  # the broken one first: it must not starve the next
    service.run(until=house.clock.now() + timedelta(minutes=40))
    assert len(seen.states) == service.stats.polls - service.stats.gaps > 0
    assert len(seen.plans) == service.stats.plans > 0
    assert seen.decisions == service.decisions

    house.site.cut_power()
    service.run(until=house.clock.now() + timedelta(minutes=10))
    house.site.restore_power()
    service.run(until=house.clock.now() + timedelta(minutes=10))
    kinds = [e.kind for e in seen.events]
    assert kinds.count(EventKind.GRID_LOST) == 1
    assert kinds.count(EventKind.GRID_RESTORED) == 1
    assert kinds.index(EventKind.GRID_LOST) < kinds.index(EventKind.GRID_RESTORED)
    # Nothing lost to the broken observer: every distinct reading was recorded.
    assert service.stats.samples == len({s.time for s in seen.states})
