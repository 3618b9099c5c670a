"""Where the dashboard's data comes from: a running service, or a recording and a journal.

Both sources give the pages the same :class:`Board` (JSON documents of :mod:`.views`) and the
same recorded samples, so ``wattplan run`` and ``wattplan dashboard`` serve identical pages.

- :class:`LiveSource` reads a :class:`~optimiser.web.live.LiveView` (the service's observer)
  and the recorder's database read-only (or the service's recent readings with ``--no-record``);
  its clock is the service's.
- :class:`RecordedSource` reads the recorder's database and the journal ``wattplan run`` left
  in the state directory (:mod:`.journal`); it controls nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from optimiser.config import Config
from optimiser.domain.clock import Clock
from optimiser.domain.slots import floor_to_slot
from optimiser.mqtt.link import LinkStatus
from optimiser.planning import PlanResult
from optimiser.recorder import Gap, RecordingStore, Sample, StoreError, sample_from_site_state
from optimiser.service.records import DecisionRecord
from optimiser.web.journal import KEEP_DECISIONS, KEEP_EVENTS, read_journal
from optimiser.web.live import LiveView, Taken
from optimiser.web.views import (
    Json,
    decision_view,
    event_view,
    iso,
    parse_iso,
    plan_view,
    sample_view,
    state_view,
)

LEDGER_DAYS = 3  # planned slots kept for plan-vs-actual [days]


@dataclass(frozen=True)
class Board:
    """Everything the pages show that is not read from the recording.

    Attributes
    ----------
    live : bool
        Served by a running service (False: ``wattplan dashboard``).
    now : datetime
        The service's clock (the real time for a recording).
    state : Json or None
        The latest reading (:func:`~optimiser.web.views.state_view`).
    plan : Json or None
        The latest plan (:func:`~optimiser.web.views.plan_view`).
    planned : dict
        Slot start (ISO) → what the last plan made before it started planned for it.
    decisions, events : tuple of Json
        Oldest first.
    gateway_up : bool
        The gateway answered the last poll.
    counts : dict
        ``polls``, ``decisions`` and one count per event kind, since start.
    mqtt : Json or None
        The MQTT broker connection (:meth:`~optimiser.mqtt.link.LinkStatus.to_json_dict`) as
        the service sees it now, or as ``wattplan run`` last saw it; None: no MQTT link.
    """

    live: bool
    now: datetime
    state: Json | None
    plan: Json | None
    planned: dict[str, Json]
    decisions: tuple[Json, ...]
    events: tuple[Json, ...]
    gateway_up: bool
    counts: dict[str, int] = field(default_factory=dict)
    mqtt: Json | None = None

    def journal(self) -> Json:
        """What the journal keeps of this board."""
        return {
            "written_at": iso(self.now),
            "state": self.state,
            "plan": self.plan,
            "planned": self.planned,
            "decisions": list(self.decisions[-KEEP_DECISIONS:]),
            "events": list(self.events[-KEEP_EVENTS:]),
            "mqtt": self.mqtt,
        }


class Source(Protocol):
    """What the web app reads."""

    config: Config
    tariff: Any
    clock: Clock

    def board(self) -> Board: ...

    def samples(self, since: datetime, until: datetime) -> list[Sample]: ...

    def recording(self) -> tuple[list[Gap], int] | None:
        """(gaps, sample count) of the recording, or None when there is none."""


def _read_store(path: Path, since: datetime, until: datetime) -> list[Sample]:
    if not path.exists():
        return []
    with RecordingStore(path, readonly=True) as store:
        return store.samples(since, until)


def _store_summary(path: Path) -> tuple[list[Gap], int] | None:
    if not path.exists():
        return None
    try:
        with RecordingStore(path, readonly=True) as store:
            return store.gaps(), store.sample_count()
    except StoreError:
        return None


class LiveSource:
    """The board of a running service (see the module docstring); ``broker`` says how the
    service's MQTT link stands (None: the service has none)."""

    def __init__(
        self,
        view: LiveView,
        config: Config,
        tariff: Any,
        clock: Clock,
        database: Path | None,
        broker: Callable[[], LinkStatus] | None = None,
    ) -> None:
        self.view = view
        self.broker = broker
        self.config = config
        self.tariff = tariff
        self.clock = clock
        self.database = database
        self._lock = threading.Lock()
        self._board: Board | None = None
        self._version = -1
        self._ledger: dict[str, Json] = {}
        self._ledger_upto: datetime | None = None
        self._plan_views: dict[int, tuple[PlanResult, Json]] = {}
        self._decision_views: dict[int, tuple[DecisionRecord, Json]] = {}

    def board(self) -> Board:
        taken = self.view.take()
        with self._lock:
            if self._board is None or taken.version != self._version:
                self._board, self._version = self._build(taken), taken.version
            board = self._board
        # The clock and the broker's connection change without the service saying so.
        mqtt = None if self.broker is None else self.broker().to_json_dict()
        return replace(board, now=self.clock.now(), mqtt=mqtt)

    def _build(self, taken: Taken) -> Board:
        now = self.clock.now()
        plan = None
        if taken.plans:
            result, made_at = taken.plans[-1]
            plan = self._plan_view(result, made_at)
        self._update_ledger(taken.plans, now)
        decisions = tuple(self._decision_view(r) for r in taken.decisions)
        kept = {id(r) for r in taken.decisions}
        self._decision_views = {k: v for k, v in self._decision_views.items() if k in kept}
        counts = {"polls": taken.polls, "decisions": taken.decision_count}
        counts |= {kind.value: n for kind, n in taken.event_counts.items()}
        return Board(
            live=True,
            now=now,
            state=None if taken.state is None else state_view(taken.state),
            plan=plan,
            planned=dict(self._ledger),
            decisions=decisions,
            events=tuple(event_view(e) for e in taken.events),
            gateway_up=taken.gateway_up,
            counts=counts,
        )

    def _plan_view(self, result: PlanResult, made_at: datetime) -> Json:
        kept = self._plan_views.get(id(result))
        if kept is not None and kept[0] is result:
            return kept[1]
        view = plan_view(result, made_at)
        self._plan_views = {id(result): (result, view)}
        return view

    def _decision_view(self, record: DecisionRecord) -> Json:
        kept = self._decision_views.get(id(record))
        if kept is not None and kept[0] is record:
            return kept[1]
        view = decision_view(record)
        self._decision_views[id(record)] = (record, view)
        return view

    def _update_ledger(self, plans: tuple[tuple[PlanResult, datetime], ...], now: datetime) -> None:
        """Keep, per slot, what the last plan made before the slot started planned for it."""
        for result, made_at in plans:
            if self._ledger_upto is not None and made_at <= self._ledger_upto:
                continue
            self._ledger_upto = made_at
            plan = result.outcome.plan
            if plan is None:
                continue
            minutes = plan.grid.minutes
            for t, start in enumerate(plan.grid.starts):
                key = iso(start)
                if start >= made_at or key not in self._ledger:
                    self._ledger[key] = {
                        "start": key,
                        "end": iso(start + timedelta(minutes=minutes)),
                        "import_kwh": round(float(plan.import_kwh[t]), 4),
                        "export_kwh": round(float(plan.export_kwh[t]), 4),
                        "battery_kwh": round(float(plan.discharge_kwh[t] - plan.charge_kwh[t]), 4),
                        "soe_kwh": round(float(plan.soe_kwh[t]), 4),
                        "action": str(plan.actions[t]),
                        "partial": start < made_at,
                    }
        horizon = iso(floor_to_slot(now - timedelta(days=LEDGER_DAYS), 30))
        for key in [k for k in self._ledger if k < horizon]:
            del self._ledger[key]

    def samples(self, since: datetime, until: datetime) -> list[Sample]:
        if self.database is not None and self.database.exists():
            return _read_store(self.database, since, until)
        states = self.view.take().states
        return [sample_from_site_state(s) for s in states if since <= s.time < until]

    def recording(self) -> tuple[list[Gap], int] | None:
        return None if self.database is None else _store_summary(self.database)


class RecordedSource:
    """The board of ``wattplan dashboard``: the recording's last sample and the journal."""

    def __init__(self, config: Config, tariff: Any, clock: Clock, database: Path, state_dir: Path):
        self.config = config
        self.tariff = tariff
        self.clock = clock
        self.database = database
        self.state_dir = state_dir

    def board(self) -> Board:
        now = self.clock.now()
        journal = read_journal(self.state_dir) or {}
        state = None
        if self.database.exists():
            try:
                with RecordingStore(self.database, readonly=True) as store:
                    span = store.span()
                    if span is not None:
                        last = store.samples(span[1], span[1] + timedelta(seconds=1))
                        state = sample_view(last[-1]) if last else None
            except StoreError:
                state = None
        if state is None:
            state = journal.get("state")
        age = None if state is None else (now - parse_iso(state["time"])).total_seconds()
        return Board(
            live=False,
            now=now,
            state=state,
            plan=journal.get("plan"),
            planned=journal.get("planned") or {},
            decisions=tuple(journal.get("decisions") or ()),
            events=tuple(journal.get("events") or ()),
            gateway_up=age is not None and age < 3 * float(self.config.recorder.interval_s),
            mqtt=journal.get("mqtt"),
        )

    def samples(self, since: datetime, until: datetime) -> list[Sample]:
        try:
            return _read_store(self.database, since, until)
        except StoreError:
            return []

    def recording(self) -> tuple[list[Gap], int] | None:
        return _store_summary(self.database)
