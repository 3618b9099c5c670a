"""Refused gateway logins in a row, remembered across processes.

The gateway locks an account out after a few refused logins, whoever sends them: five
``wattplan status`` runs with a wrong password are five refusals. The count lives in a small
JSON file in the state directory (``failed_logins.json``), is forgotten
:data:`FailedLogins.FORGET_AFTER_S` after the last refusal, and is cleared by a successful
login. Without a file (or when it cannot be written) the count lives in memory only.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "failed_logins.json"


class FailedLogins:
    """The number of refused logins in a row, kept in ``path`` (or in memory when None).

    ``wall`` is the wall clock (seconds since the epoch), shared by every process. [s]
    """

    FORGET_AFTER_S = 900.0
    """A refusal older than this no longer counts (the gateway's lock-out has passed). [s]"""

    def __init__(self, path: Path | None = None, *, wall: Callable[[], float] = time.time):
        self.path = path
        self._wall = wall
        self._count = 0
        self._last = 0.0

    def count(self) -> int:
        """Refused logins in a row, as of now."""
        self._load()
        if self._count and self._wall() - self._last > self.FORGET_AFTER_S:
            self._count = 0
        return self._count

    def refused(self) -> int:
        """Count one more refusal; the new count."""
        self._count = self.count() + 1
        self._last = self._wall()
        self._save()
        return self._count

    def succeeded(self) -> None:
        """A login was accepted: the count starts again."""
        if self.count():
            self._count = 0
            self._save()

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._count, self._last = int(data["refused"]), float(data["last_epoch_s"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s: unreadable (%s); counting refused logins in memory", self.path, exc)

    def _save(self) -> None:
        if self.path is None:
            return
        text = json.dumps({"refused": self._count, "last_epoch_s": self._last})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("%s: cannot write (%s); counting refused logins in memory", self.path, exc)
