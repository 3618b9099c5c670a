"""Typed, frozen models of the gateway's payloads, and the :class:`SiteState` snapshot.

Payload models tolerate unknown fields (firmware adds them) but a missing or mistyped required
field is a :class:`~optimiser.gateway.errors.ProtocolError` naming the endpoint and the field
(:func:`parse`). Field names are the gateway's; units are the gateway's (W, Wh, raw %), and
:class:`SiteState` converts to the glossary's (kW, kWh).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from optimiser.domain.device import OperationMode
from optimiser.domain.units import raw_to_app
from optimiser.gateway.errors import ProtocolError

GRID_CONNECTED = "SystemGridConnected"
GRID_STATUSES = (
    "SystemGridConnected",
    "SystemIslandedActive",
    "SystemTransitionToGrid",
    "SystemTransitionToIsland",
    "SystemIslandedReady",
    "SystemMicroGridFaulted",
    "SystemWaitForUser",
)


class Payload(BaseModel):
    """Base of gateway payload models: frozen, unknown fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


M = TypeVar("M", bound=Payload)


def parse(model: type[M], payload: Any, endpoint: str) -> M:
    """Validate ``payload`` from ``endpoint``; a mismatch is a :class:`ProtocolError`."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(body)"
        got = first.get("input")
        got_text = "nothing" if first["type"] == "missing" else f"{got!r}"[:80]
        raise ProtocolError(
            f"{endpoint}: field {field!r}: {first['msg'].lower()} (got {got_text})",
            endpoint=endpoint,
            field=field,
        ) from exc


class BatteryBlock(Payload):
    """One Powerwall in ``system_status.battery_blocks``. [W, Wh]"""

    PackagePartNumber: str = ""
    PackageSerialNumber: str = ""
    nominal_energy_remaining: float
    nominal_full_pack_energy: float
    p_out: float = 0.0
    energy_charged: float | None = None
    energy_discharged: float | None = None
    off_grid: bool = False
    backup_ready: bool | None = None


class SystemStatus(Payload):
    """``GET /api/system_status``. [W, Wh]"""

    nominal_full_pack_energy: float
    nominal_energy_remaining: float
    max_charge_power: float
    max_discharge_power: float
    battery_target_power: float | None = None
    system_island_state: str | None = None
    available_blocks: int | None = None
    grid_faults: list[Any] = Field(default_factory=list)
    battery_blocks: list[BatteryBlock] = Field(default_factory=list)


class Soe(Payload):
    """``GET /api/system_status/soe``: raw-scale percentage. [%]"""

    percentage: float


class GridStatus(Payload):
    """``GET /api/system_status/grid_status``."""

    grid_status: str
    grid_services_active: bool | None = None


class Meter(Payload):
    """One meter of ``/api/meters/aggregates``. [W, Wh]"""

    last_communication_time: str | None = None
    instant_power: float
    frequency: float | None = None
    energy_exported: float
    energy_imported: float
    instant_average_voltage: float | None = None


class MetersAggregates(Payload):
    """``GET /api/meters/aggregates``."""

    site: Meter
    battery: Meter
    load: Meter
    solar: Meter


class Operation(Payload):
    """``GET /api/operation``; reserve on the raw scale. [%]"""

    real_mode: OperationMode
    backup_reserve_percent: float

    @property
    def app_reserve_percent(self) -> float:
        """Backup reserve on the Tesla app's scale. [%]"""
        return raw_to_app(self.backup_reserve_percent)


class SiteInfo(Payload):
    """``GET /api/site_info`` (kWh and kW here)."""

    site_name: str | None = None
    timezone: str | None = None
    max_system_energy_kWh: float | None = None
    max_system_power_kW: float | None = None
    nominal_system_energy_kWh: float | None = None
    nominal_system_power_kW: float | None = None


class Status(Payload):
    """``GET /api/status``."""

    din: str
    version: str
    start_time: str | None = None
    up_time_seconds: str | None = None
    device_type: str | None = None


class Sitemaster(Payload):
    """``GET /api/sitemaster``."""

    status: str
    running: bool
    connected_to_tesla: bool | None = None


class PowerwallUnit(Payload):
    """One entry of ``/api/powerwalls``."""

    PackageSerialNumber: str = ""
    type: str | None = None


class Powerwalls(Payload):
    """``GET /api/powerwalls``."""

    powerwalls: list[PowerwallUnit]
    gateway_din: str | None = None


@dataclass(frozen=True, slots=True)
class SiteState:
    """One reading of the site, in the glossary's units, for the planner and the recorder.

    Attributes
    ----------
    time : datetime
        When read, aware UTC.
    capacity_kwh, soe_kwh : float
        Usable full-pack and stored energy. [kWh]
    soc_percent : float
        Stored energy on the gateway's raw scale. [%]
    max_charge_kw, max_discharge_kw : float
        Site power limits. [kW]
    mode : OperationMode
        ``real_mode``.
    backup_reserve_percent : float
        Backup reserve, raw scale. [%]
    grid_status : str
        The gateway's grid status, e.g. ``SystemGridConnected``.
    grid_up : bool
        True only when connected to the grid.
    load_kw, solar_kw, battery_kw, site_kw : float
        Instant powers; battery > 0 discharging, site > 0 importing. [kW]
    battery_charged_kwh, battery_discharged_kwh : float
        Lifetime AC energy into / out of the batteries. [kWh]
    site_imported_kwh, site_exported_kwh : float
        Lifetime grid meter. [kWh]
    solar_exported_kwh, load_imported_kwh : float
        Lifetime solar production and household consumption. [kWh]
    """

    time: datetime
    capacity_kwh: float
    soe_kwh: float
    soc_percent: float
    max_charge_kw: float
    max_discharge_kw: float
    mode: OperationMode
    backup_reserve_percent: float
    grid_status: str
    grid_up: bool
    load_kw: float
    solar_kw: float
    battery_kw: float
    site_kw: float
    battery_charged_kwh: float
    battery_discharged_kwh: float
    site_imported_kwh: float
    site_exported_kwh: float
    solar_exported_kwh: float
    load_imported_kwh: float

    @property
    def app_percent(self) -> float:
        """Stored energy on the Tesla app's scale. [%]"""
        return raw_to_app(self.soc_percent)

    @property
    def app_reserve_percent(self) -> float:
        """Backup reserve on the Tesla app's scale. [%]"""
        return raw_to_app(self.backup_reserve_percent)

    @property
    def round_trip_efficiency(self) -> float | None:
        """Lifetime discharged / charged energy; None until 50 kWh have gone in. [-]

        Over a battery's life the change in stored energy is negligible against the
        throughput, so the ratio of the lifetime AC counters is the real round trip.
        """
        if self.battery_charged_kwh < 50.0:
            return None
        return self.battery_discharged_kwh / self.battery_charged_kwh

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (for ``wattplan status --json``)."""
        out: dict[str, Any] = {name: getattr(self, name) for name in self.__slots__}
        out["time"] = self.time.isoformat()
        out["mode"] = self.mode.value
        out["app_percent"] = self.app_percent
        out["app_reserve_percent"] = self.app_reserve_percent
        out["round_trip_efficiency"] = self.round_trip_efficiency
        return out


def site_state(
    time: datetime,
    status: SystemStatus,
    soe: Soe,
    grid: GridStatus,
    meters: MetersAggregates,
    operation: Operation,
) -> SiteState:
    """Combine one reading of each endpoint into a :class:`SiteState` (pure)."""
    blocks = status.battery_blocks
    if blocks and all(b.energy_charged is not None for b in blocks):
        charged_wh = sum(b.energy_charged or 0.0 for b in blocks)
        discharged_wh = sum(b.energy_discharged or 0.0 for b in blocks)
    else:
        charged_wh, discharged_wh = meters.battery.energy_imported, meters.battery.energy_exported
    return SiteState(
        time=time,
        capacity_kwh=status.nominal_full_pack_energy / 1000.0,
        soe_kwh=status.nominal_energy_remaining / 1000.0,
        soc_percent=soe.percentage,
        max_charge_kw=status.max_charge_power / 1000.0,
        max_discharge_kw=status.max_discharge_power / 1000.0,
        mode=operation.real_mode,
        backup_reserve_percent=operation.backup_reserve_percent,
        grid_status=grid.grid_status,
        grid_up=grid.grid_status == GRID_CONNECTED,
        load_kw=meters.load.instant_power / 1000.0,
        solar_kw=meters.solar.instant_power / 1000.0,
        battery_kw=meters.battery.instant_power / 1000.0,
        site_kw=meters.site.instant_power / 1000.0,
        battery_charged_kwh=charged_wh / 1000.0,
        battery_discharged_kwh=discharged_wh / 1000.0,
        site_imported_kwh=meters.site.energy_imported / 1000.0,
        site_exported_kwh=meters.site.energy_exported / 1000.0,
        solar_exported_kwh=meters.solar.energy_exported / 1000.0,
        load_imported_kwh=meters.load.energy_imported / 1000.0,
    )
