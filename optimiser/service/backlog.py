"""What the recorder could not write yet: samples and gaps held in memory while the database
cannot take them (a full disk, an I/O error), written in order once it can again.

A full disk is a temporary fault: the service goes on polling, planning and controlling. The
backlog is bounded (the oldest entries go first beyond :data:`MAX_HELD`); it is lost if the
process dies before the database takes it, and nothing committed is ever touched.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from optimiser.recorder import RecordingStore, Sample
from optimiser.recorder.errors import StoreCorrupt, StoreError

log = logging.getLogger("wattplan.run")

MAX_HELD = 50_000
"""Samples and gaps held at most (about 52 days of 90 s polls)."""


@dataclass(frozen=True)
class HeldGap:
    """A failed poll not yet written: from ``start`` to ``end``, and why."""

    start: datetime
    end: datetime
    error_class: str
    message: str


class RecorderBacklog:
    """Writes samples and gaps to ``store``, holding them while it cannot."""

    def __init__(self, store: RecordingStore, max_held: int = MAX_HELD) -> None:
        self.store = store
        self._held: deque[Sample | HeldGap] = deque(maxlen=max_held)
        self.dropped = 0
        """Entries pushed out of a full backlog (never written)."""

    @property
    def held(self) -> int:
        """Entries waiting to be written."""
        return len(self._held)

    def add(self, entry: Sample | HeldGap) -> int:
        """Hold ``entry`` behind any earlier ones and write what the store takes; returns the
        number of samples newly stored."""
        if len(self._held) == self._held.maxlen:
            self.dropped += 1
        self._held.append(entry)
        return self.flush()

    def flush(self) -> int:
        """Write the held entries in order, stopping at the first the store refuses; returns
        the number of samples newly stored."""
        stored = 0
        while self._held:
            entry = self._held[0]
            try:
                if isinstance(entry, HeldGap):
                    self.store.add_gap(entry.start, entry.end, entry.error_class, entry.message)
                elif self.store.add_sample(entry):
                    stored += 1
            except StoreCorrupt:
                raise
            except StoreError as exc:
                if len(self._held) == 1:  # the first refusal of a run of them
                    log.warning("recorder: cannot write (%s); holding samples in memory", exc)
                return stored
            self._held.popleft()
        return stored
