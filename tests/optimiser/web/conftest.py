"""A dashboard served over a real service: the service tests' house (the demo household on a
stepped clock, a real HTTPS gateway emulator, a SQLite recording), the dashboard on a free
loopback port, and requests over real HTTP.

The clock only moves when a test runs the service (:meth:`Served.run`), so what a page shows
and what the API answers can be compared exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests

from optimiser.config import WebConfig
from optimiser.control.factory import budget_of
from optimiser.mqtt.link import LinkStatus
from optimiser.service import Inbox, Service
from optimiser.web import Dashboard, LiveSource, LiveView
from tests.optimiser.service.conftest import House, house, make_service  # noqa: F401

TOKEN = "correct-horse-battery-staple-42"


@dataclass
class Served:
    house: House
    service: Service
    view: LiveView
    dashboard: Dashboard

    @property
    def url(self) -> str:
        return self.dashboard.url

    def run(self, minutes: float) -> None:
        """Run the service for ``minutes`` of clock time (instantly: the clock is stepped)."""
        self.service.run(until=self.house.clock.now() + timedelta(minutes=minutes))

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path, timeout=10, **kwargs)


def serve(
    site: House,
    *,
    broker: Callable[[], LinkStatus] | None = None,
    config_update: dict | None = None,
    **web,
) -> Served:
    """The house's service (local backend, its command budget counted with every decision)
    with the dashboard, its write endpoints unlocked by :data:`TOKEN`; ``broker`` is the
    service's MQTT link, if any; ``config_update`` changes the config's sections."""
    service = make_service(site)
    service.inbox = Inbox()
    service.budget = budget_of(service.backend)
    view = LiveView()
    service.observers = (view,)
    token_file = site.tmp / "web-token"
    token_file.write_text(TOKEN + "\n")
    settings = {"port": 0, "refresh_s": 1, "site": "test", "token_file": token_file} | web
    update = {"web": WebConfig(**settings)} | (config_update or {})
    config = service.config.model_copy(update=update)
    source = LiveSource(view, config, site.tariff, site.clock, site.store.path, broker)
    dashboard = Dashboard(
        source, "127.0.0.1", 0, journal_dir=site.tmp / "state", inbox=service.inbox
    )
    return Served(site, service, view, dashboard.start())


@pytest.fixture
def served(house):  # noqa: F811 - the fixture imported above
    site = serve(house)
    try:
        yield site
    finally:
        site.dashboard.stop()
