"""Events files: saving sessions, power-ups and dispatches written by hand or recorded.

An events file is YAML (a recorded one is JSON, which is YAML too)::

    version: 1
    events:
      - kind: saving_session           # paid per kWh of import cut against a baseline
        start: 2025-12-03T17:30:00Z    # aware times
        end: 2025-12-03T18:30:00Z
        price: 300                     # the reward [p/kWh]; or reward_octopoints: 2400
        code: EVENT-1                  # optional
        joined: true                   # default true; sessions not joined pay nothing
      - kind: power_up                 # import at `price` (default 0: free)
        start: 2025-12-06T13:00:00Z
        end: 2025-12-06T14:00:00Z
    dispatches:                        # Intelligent Octopus smart-charge slots
      - {start: 2025-12-04T01:00:00Z, end: 2025-12-04T02:00:00Z, status: completed}

``wattplan plan --events FILE`` and ``wattplan simulate --events FILE`` read it;
``wattplan octopus events --save FILE`` records what the API says (no secret in it).
Every error names the file, line and column.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from optimiser.domain.yamlsource import load
from tariffs.events import (
    OCTOPOINTS_PER_PENNY,
    Dispatch,
    DispatchStatus,
    EventKind,
    PriceEvent,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"expected a time with a zone (…Z or +00:00), got {value.isoformat()}")
    return value


class EventEntry(_Strict):
    """One saving session or power-up."""

    kind: Literal["saving_session", "power_up"]
    start: datetime
    end: datetime
    price: float | None = Field(
        None, ge=-100, le=2000, description="saving session: reward; power-up: import [p/kWh]"
    )
    reward_octopoints: float | None = Field(None, ge=0, description="per kWh, 8 points = 1p")
    code: str = ""
    joined: bool = True
    source: str | None = None

    _times = field_validator("start", "end")(_aware)

    @model_validator(mode="after")
    def _one_reward(self) -> EventEntry:
        if self.price is not None and self.reward_octopoints is not None:
            raise ValueError("give price or reward_octopoints, not both")
        if self.kind == "saving_session" and self.price is None and not self.reward_octopoints:
            raise ValueError("a saving session needs price (p/kWh) or reward_octopoints")
        if self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} is not after start")
        return self

    def to_event(self, source: str) -> PriceEvent:
        price = self.price
        if price is None:
            price = (self.reward_octopoints or 0.0) / OCTOPOINTS_PER_PENNY
        return PriceEvent(
            EventKind(self.kind),
            self.start,
            self.end,
            price,
            self.code,
            self.source or source,
            self.joined,
        )


class DispatchEntry(_Strict):
    """One Intelligent Octopus dispatch."""

    start: datetime
    end: datetime
    status: DispatchStatus
    source: str | None = None

    _times = field_validator("start", "end")(_aware)

    def to_dispatch(self, source: str) -> Dispatch:
        return Dispatch(self.start, self.end, self.status, self.source or source)


class EventsFile(_Strict):
    """The whole events file."""

    version: Literal[1] = 1
    events: tuple[EventEntry, ...] = ()
    dispatches: tuple[DispatchEntry, ...] = ()
    fetched_at: datetime | None = None


def load_events_file(path: Path) -> tuple[tuple[PriceEvent, ...], tuple[Dispatch, ...]]:
    """Read an events file; raises :class:`~optimiser.domain.yamlsource.YamlError`."""
    parsed = load(path, EventsFile)
    source = str(path)
    return (
        tuple(e.to_event(source) for e in parsed.events),
        tuple(d.to_dispatch(source) for d in parsed.dispatches),
    )


def events_document(
    events: tuple[PriceEvent, ...],
    dispatches: tuple[Dispatch, ...],
    fetched_at: datetime | None = None,
) -> dict[str, object]:
    """Events and dispatches in the file's format (JSON-ready)."""
    doc: dict[str, object] = {
        "version": 1,
        "events": [
            {
                "kind": e.kind.value,
                "start": e.start.isoformat(),
                "end": e.end.isoformat(),
                "price": e.price,
                "code": e.code,
                "joined": e.joined,
                "source": e.source,
            }
            for e in events
            if e.kind is not EventKind.DISPATCH
        ],
        "dispatches": [d.to_json_dict() for d in dispatches],
    }
    if fetched_at is not None:
        doc["fetched_at"] = fetched_at.isoformat()
    return doc


def save_events_file(
    path: Path,
    events: tuple[PriceEvent, ...],
    dispatches: tuple[Dispatch, ...],
    fetched_at: datetime | None = None,
) -> Path:
    """Write events and dispatches (JSON, readable as YAML) atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(
        json.dumps(events_document(events, dispatches, fetched_at), indent=1), encoding="utf-8"
    )
    os.replace(tmp, path)
    return path
