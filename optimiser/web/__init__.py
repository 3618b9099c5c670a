"""The energy dashboard and JSON API (``wattplan run`` serves it; ``wattplan dashboard`` serves
it from a recording).

- :mod:`.live`: :class:`LiveView`, the service's observer (keeps the latest data, returns at
  once);
- :mod:`.sources`: :class:`LiveSource` (a running service) and :class:`RecordedSource` (a
  recording and the journal) give the pages one :class:`Board`;
- :mod:`.views`, :mod:`.actual`, :mod:`.money`, :mod:`.health`, :mod:`.history`: pure
  documents the pages and ``/api/*`` show;
- :mod:`.app` (FastAPI), :mod:`.pages` (Jinja2 templates), :mod:`.metrics` (Prometheus),
  :mod:`.server` (uvicorn on its own thread), :mod:`.journal`, :mod:`.dashboard` (all of it);
- :mod:`.report`: the self-contained HTML report of ``wattplan simulate --report``.

``static/`` holds uPlot (MIT, ``LICENSE-uPlot``), vendored from the npm registry: the pages
load nothing from the internet.
"""

from optimiser.web.app import create_app
from optimiser.web.dashboard import Dashboard
from optimiser.web.live import LiveView
from optimiser.web.server import WebServer, WebServerError
from optimiser.web.sources import Board, LiveSource, RecordedSource

__all__ = [
    "Board",
    "Dashboard",
    "LiveSource",
    "LiveView",
    "RecordedSource",
    "WebServer",
    "WebServerError",
    "create_app",
]
