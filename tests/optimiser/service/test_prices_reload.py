"""``wattplan run`` reads the tariff and its events again at every plan: a saving session
announced while it runs reaches the next plan; a failed read plans on the last prices."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from tariffs.events import EventKind, EventPrices, PriceEvent
from tests.optimiser.service.conftest import at_night, make_service


def test_a_session_announced_while_running_reaches_the_next_plan(house):
    at_night(house, 2)
    session_start = house.clock.now() + timedelta(hours=15)
    session = PriceEvent(
        EventKind.SAVING_SESSION, session_start, session_start + timedelta(hours=1), 300.0
    )
    announced: list[PriceEvent] = []
    reads: list = []
    fail = {"on": False}

    def prices(now, context):
        reads.append(now)
        if fail["on"]:
            raise OSError("cache unreadable")
        return EventPrices(house.tariff, tuple(announced))

    service = make_service(house)
    service.prices = prices
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert reads and len(reads) == service.stats.plans

    def uplift(plan) -> float:
        base = house.tariff.prices(plan.grid).import_price
        return float(np.max(np.asarray(plan.import_price) - base))

    assert uplift(service.current_plan.outcome.plan) == 0.0
    announced.append(session)
    service.run(until=house.clock.now() + timedelta(minutes=30))
    assert uplift(service.current_plan.outcome.plan) == 300.0

    fail["on"] = True
    plans = service.stats.plans
    service.run(until=house.clock.now() + timedelta(minutes=30))
    assert service.stats.plans > plans  # planning went on, on the last prices
    assert uplift(service.current_plan.outcome.plan) == 300.0
