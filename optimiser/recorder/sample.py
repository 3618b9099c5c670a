"""One recorded reading of the site: the :class:`Sample` and how to make one from the gateway.

A sample is what the recorder stores every poll. Only the time is required; every other field
may be unknown (``None``) because recordings from other sources do not carry them all. Signs
follow the gateway (DESIGN.md): ``battery_kw`` > 0 discharging, ``site_kw`` > 0 importing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

# Fields holding numbers, in storage order (the store and the CSV writer rely on these names).
NUMERIC_FIELDS = (
    "soe_kwh",
    "capacity_kwh",
    "load_kw",
    "solar_kw",
    "battery_kw",
    "site_kw",
    "backup_reserve_percent",
    "battery_charged_kwh",
    "battery_discharged_kwh",
    "site_imported_kwh",
    "site_exported_kwh",
    "solar_exported_kwh",
    "load_imported_kwh",
)
TEXT_FIELDS = ("mode", "grid_status")


@dataclass(frozen=True, slots=True)
class Sample:
    """A point-in-time reading of the site.

    Attributes
    ----------
    time : datetime
        When the reading was taken; timezone-aware, normalised to UTC.
    soe_kwh : float | None
        Stored energy. [kWh]
    capacity_kwh : float | None
        Usable full-pack energy. [kWh]
    load_kw : float | None
        Household demand. [kW]
    solar_kw : float | None
        PV generation (≈ −0.01 at night is normal). [kW]
    battery_kw : float | None
        Battery AC power, > 0 discharging. [kW]
    site_kw : float | None
        Grid power at the meter, > 0 importing. [kW]
    mode : str | None
        The gateway's ``real_mode`` (``self_consumption``, ``autonomous``, ``backup``).
    backup_reserve_percent : float | None
        Backup reserve on the gateway's raw scale. [%]
    grid_status : str | None
        The gateway's ``grid_status`` (e.g. ``SystemGridConnected``).
    battery_charged_kwh, battery_discharged_kwh : float | None
        Lifetime battery energy in and out. [kWh]
    site_imported_kwh, site_exported_kwh : float | None
        Lifetime grid energy imported and exported. [kWh]
    solar_exported_kwh : float | None
        Lifetime solar energy produced. [kWh]
    load_imported_kwh : float | None
        Lifetime household energy consumed. [kWh]
    """

    time: datetime
    soe_kwh: float | None = None
    capacity_kwh: float | None = None
    load_kw: float | None = None
    solar_kw: float | None = None
    battery_kw: float | None = None
    site_kw: float | None = None
    mode: str | None = None
    backup_reserve_percent: float | None = None
    grid_status: str | None = None
    battery_charged_kwh: float | None = None
    battery_discharged_kwh: float | None = None
    site_imported_kwh: float | None = None
    site_exported_kwh: float | None = None
    solar_exported_kwh: float | None = None
    load_imported_kwh: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.time, datetime):
            raise TypeError(f"Sample.time must be a datetime, got {type(self.time).__name__}")
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise ValueError(
                f"Sample.time must be timezone-aware, got naive {self.time.isoformat()}"
            )
        object.__setattr__(self, "time", self.time.astimezone(UTC))
        for name in NUMERIC_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(f"Sample.{name} must be finite or None, got {value!r}")
            object.__setattr__(self, name, number)
        for name in TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                # A StrEnum (OperationMode) is stored by its value.
                object.__setattr__(self, name, str(getattr(value, "value", value)))

    @property
    def epoch_s(self) -> int:
        """The store's key: the sample time in whole seconds since the Unix epoch (UTC). [s]"""
        return round(self.time.timestamp())

    @property
    def soe_percent(self) -> float | None:
        """Stored energy on the gateway's raw scale, 100 × soe / capacity. [%]"""
        if self.soe_kwh is None or not self.capacity_kwh:
            return None
        return 100.0 * self.soe_kwh / self.capacity_kwh

    def values(self) -> dict[str, Any]:
        """Every field but ``time``, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "time"}


def sample_from_site_state(state: Any) -> Sample:
    """The sample to record from a gateway snapshot.

    Parameters
    ----------
    state : optimiser.gateway.SiteState
        The gateway's typed snapshot. Read by attribute name only, so any object with the
        same attributes works (the recorder does not import the gateway client).

    Returns
    -------
    Sample
        The snapshot's time, energies, powers, mode, reserve, grid status and lifetime
        counters. A missing attribute is an ``AttributeError`` (a programming error, not data).
    """
    return Sample(
        time=state.time,
        soe_kwh=state.soe_kwh,
        capacity_kwh=state.capacity_kwh,
        load_kw=state.load_kw,
        solar_kw=state.solar_kw,
        battery_kw=state.battery_kw,
        site_kw=state.site_kw,
        mode=state.mode,
        backup_reserve_percent=state.backup_reserve_percent,
        grid_status=state.grid_status,
        battery_charged_kwh=state.battery_charged_kwh,
        battery_discharged_kwh=state.battery_discharged_kwh,
        site_imported_kwh=state.site_imported_kwh,
        site_exported_kwh=state.site_exported_kwh,
        solar_exported_kwh=state.solar_exported_kwh,
        load_imported_kwh=state.load_imported_kwh,
    )
