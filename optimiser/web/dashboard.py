"""The dashboard as one running thing: the app over a source, its server, and (for a running
service) the journal thread that lets ``wattplan dashboard`` show the plan and decisions."""

from __future__ import annotations

import logging
from pathlib import Path

from optimiser.service.inbox import Inbox
from optimiser.web.app import create_app
from optimiser.web.journal import JournalWriter
from optimiser.web.live import LiveView
from optimiser.web.server import WebServer
from optimiser.web.sources import LiveSource, Source

log = logging.getLogger("wattplan.web")


class Dashboard:
    """Serve ``source`` on ``host:port``; with ``journal_dir``, also keep the journal there
    (a :class:`LiveSource` only); the write endpoints feed ``inbox`` (None: they answer 503)."""

    def __init__(
        self,
        source: Source,
        host: str,
        port: int,
        journal_dir: Path | None = None,
        inbox: Inbox | None = None,
    ) -> None:
        self.source = source
        self.server = WebServer(create_app(source, inbox), host, port)
        self.journal: JournalWriter | None = None
        if journal_dir is not None and isinstance(source, LiveSource):
            view: LiveView = source.view
            self.journal = JournalWriter(
                journal_dir, lambda: source.board().journal(), view.wait_for_change
            )

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> Dashboard:
        self.server.start()
        if self.journal is not None:
            self.journal.start()
        return self

    def stop(self) -> None:
        if self.journal is not None:
            self.journal.stop()
        self.server.stop()

    def __enter__(self) -> Dashboard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
