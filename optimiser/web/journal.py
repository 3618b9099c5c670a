"""The dashboard's journal: the latest plan, decisions and events of ``wattplan run`` in the
state directory, so ``wattplan dashboard`` can show them without a running service.

Written atomically (a temporary file, then a rename) by the web server's journal thread, never
by the control loop; read back whole.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from optimiser.web.views import Json

log = logging.getLogger(__name__)

JOURNAL_FILE = "dashboard.json"
KEEP_DECISIONS = 200
KEEP_EVENTS = 100


def write_journal(state_dir: Path, document: Json) -> Path:
    """Write ``document`` to ``<state_dir>/dashboard.json`` atomically."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / JOURNAL_FILE
    fd, tmp = tempfile.mkstemp(dir=state_dir, prefix=".dashboard-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, separators=(",", ":"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_journal(state_dir: Path) -> Json | None:
    """The journal in ``state_dir``, or None when there is none or it cannot be read."""
    path = state_dir / JOURNAL_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("cannot read the dashboard journal %s: %s", path, exc)
        return None
    return document if isinstance(document, dict) else None


class JournalWriter:
    """A daemon thread writing ``make()`` to the journal whenever ``wait(version)`` says the
    data changed, at most once every ``every_s`` seconds."""

    def __init__(
        self,
        state_dir: Path,
        make: Callable[[], Json],
        wait: Callable[[int, float], int],
        every_s: float = 10.0,
    ) -> None:
        self.state_dir = state_dir
        self._make = make
        self._wait = wait
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wattplan-journal", daemon=True)

    def start(self) -> JournalWriter:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop, writing once more so the journal ends with the latest data."""
        self._stop.set()
        self._thread.join(timeout=10)
        self._write()

    def _run(self) -> None:
        version = -1
        while not self._stop.is_set():
            seen = self._wait(version, 1.0)
            if seen != version:
                version = seen
                self._write()
                self._stop.wait(self._every_s)

    def _write(self) -> None:
        try:
            write_journal(self.state_dir, self._make())
        except Exception as exc:  # a full disk must not stop the dashboard
            log.warning("cannot write the dashboard journal: %s: %s", type(exc).__name__, exc)
