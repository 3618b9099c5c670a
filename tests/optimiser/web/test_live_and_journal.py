"""The observer keeps only the latest data; the journal carries a run's board to
``wattplan dashboard``'s recorded source."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from optimiser.domain.clock import SteppedClock
from optimiser.service import EventKind, ServiceEvent
from optimiser.web import LiveView, RecordedSource
from optimiser.web.journal import read_journal, write_journal

T0 = datetime(2025, 1, 15, 12, tzinfo=UTC)


def test_the_view_counts_and_keeps_events_and_a_lost_gateway(served):
    served.run(30)
    taken = served.view.take()
    assert taken.state is not None and taken.polls == served.service.stats.polls
    assert taken.decision_count == len(served.service.decisions)
    assert len(taken.plans) == served.service.stats.plans
    now = served.house.clock.now()
    served.view.on_event(ServiceEvent(EventKind.GATEWAY_LOST, now, "unreachable"))
    taken = served.view.take()
    assert taken.gateway_up is False
    assert taken.event_counts == {EventKind.GATEWAY_LOST: 1}
    board = served.dashboard.source.board()
    assert board.counts["gateway_lost"] == 1 and board.gateway_up is False


def test_waiting_for_a_change_returns_when_the_view_changes():
    view = LiveView()
    seen = []
    waiter = threading.Thread(target=lambda: seen.append(view.wait_for_change(0, 10.0)))
    waiter.start()
    view.on_event(ServiceEvent(EventKind.PLAN_FAILED, T0, "no feasible plan"))
    waiter.join(timeout=10)
    assert seen == [1]
    assert view.wait_for_change(1, 0.0) == 1  # nothing new: returns at the timeout


def test_a_recorded_source_shows_the_last_sample_and_the_journal(served, tmp_path):
    served.run(60)
    board = served.dashboard.source.board()
    state_dir = tmp_path / "state"
    write_journal(state_dir, board.journal())
    assert read_journal(state_dir)["plan"]["made_at"] == board.plan["made_at"]
    source = RecordedSource(
        served.dashboard.source.config,
        served.house.tariff,
        SteppedClock(served.house.clock.now()),
        served.house.store.path,
        state_dir,
    )
    recorded = source.board()
    assert recorded.live is False
    assert recorded.state["time"] == board.state["time"]
    assert recorded.state["soe_kwh"] == board.state["soe_kwh"]
    assert recorded.plan == board.plan
    assert list(recorded.decisions) == list(board.decisions)
    assert recorded.planned == board.planned
    assert recorded.gateway_up is True


def test_a_damaged_journal_is_no_journal(tmp_path):
    (tmp_path / "dashboard.json").write_text("{not json")
    assert read_journal(tmp_path) is None
    assert read_journal(tmp_path / "missing") is None
