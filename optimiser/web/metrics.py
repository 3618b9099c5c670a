"""``GET /metrics``: the board in the Prometheus text format.

Names are ``wattplan_*`` in base units (watts, joules, seconds, ratios 0–1, pounds), each
series labelled with ``site`` (``web.site``). Built at scrape time from the board, in a
registry of its own (never the process-wide default).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from optimiser.web.sources import Board
from optimiser.web.views import current_slot, parse_iso

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
KWH_TO_J = 3.6e6
KW_TO_W = 1e3

_POWERS = (
    ("load_kw", "wattplan_load_watts", "Household demand"),
    ("solar_kw", "wattplan_solar_watts", "Solar generation"),
    ("battery_kw", "wattplan_battery_watts", "Battery power, positive when discharging"),
    ("grid_kw", "wattplan_grid_watts", "Grid power at the meter, positive when importing"),
)


def render(board: Board, site: str, health: list[Mapping[str, Any]]) -> bytes:
    """The exposition text for ``board`` and the health checks."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_BoardCollector(board, site, health))
    return generate_latest(registry)


class _BoardCollector(Collector):
    def __init__(self, board: Board, site: str, health: list[Mapping[str, Any]]) -> None:
        self.board = board
        self.site = site
        self.health = health

    def _gauge(self, name: str, doc: str, value: float | None) -> Iterator[Metric]:
        if value is None:
            return
        family = GaugeMetricFamily(name, doc, labels=["site"])
        family.add_metric([self.site], float(value))
        yield family

    def collect(self) -> Iterator[Metric]:
        board, state = self.board, self.board.state
        yield from self._gauge("wattplan_up", "1 while wattplan serves this site", 1.0)
        yield from self._gauge(
            "wattplan_gateway_up", "1 when the gateway answered the last poll", board.gateway_up
        )
        if board.live and board.mqtt is not None:
            yield from self._gauge(
                "wattplan_mqtt_connected",
                "1 while connected to the MQTT broker",
                board.mqtt["connected"],
            )
        if state is not None:
            for key, name, doc in _POWERS:
                value = state[key]
                yield from self._gauge(name, doc, None if value is None else value * KW_TO_W)
            soe, capacity = state["soe_kwh"], state["capacity_kwh"]
            yield from self._gauge(
                "wattplan_battery_stored_energy_joules",
                "Energy stored in the battery",
                None if soe is None else soe * KWH_TO_J,
            )
            yield from self._gauge(
                "wattplan_battery_capacity_joules",
                "Usable battery capacity",
                None if capacity is None else capacity * KWH_TO_J,
            )
            for key, name, doc in (
                ("soc_percent", "wattplan_battery_charge_ratio", "State of charge (app scale)"),
                ("reserve_percent", "wattplan_battery_reserve_ratio", "Backup reserve (app scale)"),
            ):
                value = state[key]
                yield from self._gauge(name, doc, None if value is None else value / 100.0)
            grid_up = state["grid_up"]
            yield from self._gauge(
                "wattplan_grid_up", "1 when connected to the grid, 0 in a power cut", grid_up
            )
            yield from self._gauge(
                "wattplan_reading_timestamp_seconds",
                "When the latest reading was taken (Unix time)",
                parse_iso(state["time"]).timestamp(),
            )
        yield from self._plan_metrics()
        yield from self._counters()
        if self.health:
            family = GaugeMetricFamily(
                "wattplan_health_check_ok",
                "1 when a Health check passes, 0 when it fails (not-applicable checks omitted)",
                labels=["site", "check"],
            )
            for check in self.health:
                if check["ok"] is not None:
                    family.add_metric([self.site, check["name"]], float(check["ok"]))
            yield family

    def _plan_metrics(self) -> Iterator[Metric]:
        plan = self.board.plan
        if plan is None:
            return
        yield from self._gauge(
            "wattplan_plan_timestamp_seconds",
            "When the latest plan was made (Unix time)",
            parse_iso(plan["made_at"]).timestamp(),
        )
        costs = plan["costs"]
        for key, name, doc in (
            ("plan_gbp", "wattplan_plan_cost_gbp", "The latest plan's expected energy cost"),
            ("no_battery_gbp", "wattplan_plan_no_battery_cost_gbp", "The same with no battery"),
            (
                "self_powered_gbp",
                "wattplan_plan_self_powered_cost_gbp",
                "The same in Tesla self-powered mode",
            ),
        ):
            yield from self._gauge(name, doc, costs.get(key))
        index = current_slot(plan, self.board.now)
        if index is not None:
            slot = plan["slots"][index]
            yield from self._gauge(
                "wattplan_import_price_gbp_per_kwh",
                "Import price now, £/kWh (the tariff's own unit)",
                slot["import_price"] / 100.0,
            )
            yield from self._gauge(
                "wattplan_export_price_gbp_per_kwh",
                "Export price now, £/kWh (the tariff's own unit)",
                slot["export_price"] / 100.0,
            )

    def _counters(self) -> Iterator[Metric]:
        counts = self.board.counts
        if not counts:
            return
        for key, name, doc in (
            ("polls", "wattplan_polls", "Successful polls of the gateway since start"),
            ("decisions", "wattplan_decisions", "Decisions taken since start"),
        ):
            family = CounterMetricFamily(name, doc, labels=["site"])
            family.add_metric([self.site], float(counts.get(key, 0)))
            yield family
        events = CounterMetricFamily(
            "wattplan_events", "Service events since start, by kind", labels=["site", "kind"]
        )
        for kind, count in counts.items():
            if kind not in ("polls", "decisions"):
                events.add_metric([self.site, kind], float(count))
        if events.samples:
            yield events
