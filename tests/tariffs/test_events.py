"""Events as dated import-price overrides (pure): saving sessions add their reward, power-ups
set the price, dispatches are cheap only once confirmed; events files and context facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from optimiser.domain.slots import LONDON, SlotGrid
from optimiser.domain.yamlsource import YamlError
from tariffs import get_tariff
from tariffs.errors import EventError
from tariffs.events import (
    Dispatch,
    DispatchStatus,
    EventKind,
    EventPrices,
    PriceEvent,
    car_charging_until,
    dispatch_events,
)
from tariffs.events_file import load_events_file, save_events_file
from tariffs.live_events import context_events


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 12, day, hour, minute, tzinfo=UTC)


GRID = SlotGrid(utc(6, 0), 30, 48)


def slot(when: datetime) -> int:
    return int((when - GRID.start) / timedelta(minutes=30))


def test_a_saving_session_adds_its_reward_to_the_import_price_for_its_hour_only():
    flux = get_tariff("flux", "C")
    session = PriceEvent(EventKind.SAVING_SESSION, utc(6, 17, 30), utc(6, 18, 30), 300.0)
    base, priced = flux.prices(GRID), EventPrices(flux, (session,)).prices(GRID)
    diff = priced.import_price - base.import_price
    hit = [slot(utc(6, 17, 30)), slot(utc(6, 18))]
    assert np.allclose(diff[hit], 300.0)
    assert np.count_nonzero(diff) == 2
    assert np.array_equal(priced.export_price, base.export_price)
    assert "saving session" in priced.source
    affected = EventPrices(flux, (session,)).affected(GRID)
    assert [a.slot for a in affected] == hit
    assert affected[0].import_after == pytest.approx(affected[0].import_before + 300)


def test_a_session_not_joined_pays_nothing_and_a_power_up_makes_import_free():
    flux = get_tariff("flux", "C")
    skipped = PriceEvent(EventKind.SAVING_SESSION, utc(6, 17), utc(6, 18), 300.0, joined=False)
    power_up = PriceEvent(EventKind.POWER_UP, utc(6, 13), utc(6, 13, 45), 0.0)
    prices = EventPrices(flux, (skipped, power_up)).prices(GRID)
    base = flux.prices(GRID)
    assert prices.import_price[slot(utc(6, 17))] == base.import_price[slot(utc(6, 17))]
    assert prices.import_price[slot(utc(6, 13))] == 0.0
    # 13:30-14:00 is half covered (15 of 30 minutes): half the price.
    assert prices.import_price[slot(utc(6, 13, 30))] == pytest.approx(
        base.import_price[slot(utc(6, 13, 30))] / 2
    )


def test_a_dispatch_is_cheap_once_completed_or_under_way_never_while_merely_planned():
    night = Dispatch(utc(6, 0, 30), utc(6, 1, 30), DispatchStatus.PLANNED)
    bump = Dispatch(utc(6, 13), utc(6, 14), DispatchStatus.PLANNED)
    before = utc(5, 22)
    assert dispatch_events((night, bump), before, 7.0) == ()
    during = dispatch_events((night, bump), utc(6, 13, 10), 7.0)
    assert [(e.kind, e.start) for e in during] == [(EventKind.DISPATCH, bump.start)]
    completed = Dispatch(utc(6, 13), utc(6, 14), DispatchStatus.COMPLETED)
    assert len(dispatch_events((completed,), utc(6, 20), 7.0)) == 1
    # A planned dispatch cancelled is simply gone from the list: nothing cheap.
    assert dispatch_events((), utc(6, 1), 7.0) == ()
    # Not an Intelligent tariff: no dispatch price, nothing cheap.
    assert dispatch_events((completed,), utc(6, 20), None) == ()
    assert car_charging_until((night, bump), utc(6, 1)) == utc(6, 1, 30)
    assert car_charging_until((night, bump), utc(6, 2)) is None


def test_a_confirmed_dispatch_prices_the_whole_house_at_the_dispatch_rate():
    go = get_tariff("intelligent-go", "C")
    assert go.dispatch_price is not None
    done = Dispatch(utc(6, 13), utc(6, 14), DispatchStatus.COMPLETED)
    prices = EventPrices(go, dispatch_events((done,), utc(6, 20), go.dispatch_price)).prices(GRID)
    base = go.prices(GRID).import_price
    got = prices.import_price
    assert got[slot(utc(6, 13))] == got[slot(utc(6, 13, 30))] == 7.0 < base[slot(utc(6, 13))]
    assert got[slot(utc(6, 12, 30))] == base[slot(utc(6, 12, 30))]
    assert got[slot(utc(6, 14))] == base[slot(utc(6, 14))]


def test_events_files_round_trip_and_errors_name_the_line(tmp_path):
    events = (
        PriceEvent(EventKind.SAVING_SESSION, utc(6, 17), utc(6, 18), 300.0, "E1"),
        PriceEvent(EventKind.POWER_UP, utc(6, 13), utc(6, 14), -2.0),
    )
    dispatches = (Dispatch(utc(6, 1), utc(6, 2), DispatchStatus.COMPLETED),)
    path = save_events_file(tmp_path / "events.json", events, dispatches, utc(5, 12))
    read, read_dispatches = load_events_file(path)
    assert [(e.kind, e.start, e.price, e.code) for e in read] == [
        (e.kind, e.start, e.price, e.code) for e in events
    ]
    assert read_dispatches[0].status is DispatchStatus.COMPLETED

    points = tmp_path / "points.yaml"
    points.write_text(
        "events:\n  - kind: saving_session\n    start: 2025-12-06T17:00:00Z\n"
        "    end: 2025-12-06T18:00:00Z\n    reward_octopoints: 2400\n"
    )
    assert load_events_file(points)[0][0].price == 300.0
    naive = tmp_path / "naive.yaml"
    naive.write_text(
        "events:\n  - kind: power_up\n    start: 2025-12-06T13:00:00\n"
        "    end: 2025-12-06T14:00:00Z\n"
    )
    with pytest.raises(YamlError, match=r"naive.yaml:3:.*zone"):
        load_events_file(naive)


def test_context_facts_give_the_next_window_in_local_time():
    now = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)  # 13:00 BST
    session, power_up = context_events(
        {"saving_session": "17:30-18:30 300", "power_up": "12:00-14:00"}, now, LONDON
    )
    assert session.kind is EventKind.SAVING_SESSION and session.price == 300.0
    assert session.start == datetime(2025, 7, 1, 16, 30, tzinfo=UTC)
    assert power_up.price == 0.0 and power_up.start == datetime(2025, 7, 1, 11, tzinfo=UTC)
    late = context_events({"saving_session": "17:30-18:30 300"}, utc(6, 19), LONDON)
    assert late[0].start == utc(7, 17, 30)  # today's is over: tomorrow's
    with pytest.raises(EventError, match="reward"):
        context_events({"saving_session": "17:30-18:30"}, now, LONDON)
    with pytest.raises(EventError, match="17:30-18:30 300"):
        context_events({"power_up": "soon"}, now, LONDON)
