"""The typed layer: :class:`Gateway` turns endpoint JSON into frozen models and a SiteState."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from optimiser.domain.device import OperationMode
from optimiser.gateway import models
from optimiser.gateway.api import GatewayApi
from optimiser.gateway.errors import AccessDenied, ProtocolError
from optimiser.gateway.models import (
    GridStatus,
    MetersAggregates,
    Operation,
    Powerwalls,
    SiteInfo,
    Sitemaster,
    SiteState,
    Soe,
    Status,
    SystemStatus,
    parse,
)

log = logging.getLogger(__name__)

FIRMWARE_LOCK_HINT = (
    "since gateway firmware 1.50.1 (October 2020) only an installer login, enabled by a "
    "physical switch on the gateway, may change the mode or reserve locally; a customer login "
    "gets 403. Use the Tesla Fleet API backend instead (control.backend: fleet)"
)


class Gateway:
    """A typed client of one gateway's local API (a context manager)."""

    def __init__(self, api: GatewayApi) -> None:
        self.api = api

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the HTTP session."""
        self.api.close()

    # -- readings ----------------------------------------------------------------------------

    def system_status(self) -> SystemStatus:
        return parse(SystemStatus, self.api.get_system_status(), "/api/system_status")

    def soe(self) -> Soe:
        return parse(Soe, self.api.get_system_status_soe(), "/api/system_status/soe")

    def grid_status(self) -> GridStatus:
        return parse(
            GridStatus, self.api.get_system_status_grid_status(), "/api/system_status/grid_status"
        )

    def meters(self) -> MetersAggregates:
        return parse(MetersAggregates, self.api.get_meters_aggregates(), "/api/meters/aggregates")

    def operation(self) -> Operation:
        return parse(Operation, self.api.get_operation(), "/api/operation")

    def site_info(self) -> SiteInfo:
        return parse(SiteInfo, self.api.get_site_info(), "/api/site_info")

    def status(self) -> Status:
        return parse(Status, self.api.get_status(), "/api/status")

    def sitemaster(self) -> Sitemaster:
        return parse(Sitemaster, self.api.get_sitemaster(), "/api/sitemaster")

    def powerwalls(self) -> Powerwalls:
        return parse(Powerwalls, self.api.get_powerwalls(), "/api/powerwalls")

    def site_state(self) -> SiteState:
        """One consistent-enough reading of the whole site (five cheap requests)."""
        meters = self.meters()
        status = self.system_status()
        return models.site_state(
            _reading_time(meters),
            status,
            self.soe(),
            self.grid_status(),
            meters,
            self.operation(),
        )

    # -- control -----------------------------------------------------------------------------

    def set_operation(self, mode: OperationMode, backup_reserve_percent: float) -> Operation:
        """Set mode and reserve (raw scale) by the legacy installer sequence; returns read-back.

        ``GET /api/sitemaster/stop`` → ``POST /api/operation`` → ``GET /api/config/completed``
        → ``GET /api/sitemaster/run``. A customer login gets :class:`AccessDenied`.
        """
        mode = OperationMode(mode)
        if not 0 <= backup_reserve_percent <= 100:
            raise ValueError(
                f"backup_reserve_percent must be within [0, 100], got {backup_reserve_percent}"
            )
        try:
            self.api.get_sitemaster_stop()
        except AccessDenied as exc:
            raise AccessDenied(
                f"the gateway refused local control to user {self.api.username!r} (HTTP 403)",
                hint=FIRMWARE_LOCK_HINT,
            ) from exc
        try:
            self.api.post_operation(mode.value, backup_reserve_percent)
            self.api.get_config_completed()
        finally:
            self.api.get_sitemaster_run()
        return self.operation()

    def set_island_mode(self, off_grid: bool) -> dict[str, Any]:
        """Go off-grid (``backup``) or reconnect (``intentional_reconnect_failsafe``)."""
        mode = "backup" if off_grid else "intentional_reconnect_failsafe"
        answer = self.api.post_islanding_mode(mode)
        return answer if isinstance(answer, dict) else {}


def _reading_time(meters: MetersAggregates) -> datetime:
    """The gateway's own time of the reading (site meter), else now; aware UTC."""
    stamp = meters.site.last_communication_time
    if stamp:
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise ProtocolError(
                f"/api/meters/aggregates: field 'site.last_communication_time': expected an "
                f"RFC 3339 time, got {stamp[:40]!r}",
                endpoint="/api/meters/aggregates",
                field="site.last_communication_time",
            ) from None
        if when.tzinfo is not None and when.year > 2000:
            return when.astimezone(UTC)
    return datetime.now(UTC)
