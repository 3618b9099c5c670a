"""The Powerwall's control vocabulary: operation modes, export rules, an uploaded tariff, settings.

These are the few things a Powerwall accepts (DOMAIN.md §2). Every layer — the gateway client,
the planner's baselines, control, the emulator and the replay — speaks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from optimiser.domain.units import app_to_raw


class OperationMode(StrEnum):
    """The gateway's ``real_mode``."""

    SELF_CONSUMPTION = "self_consumption"
    AUTONOMOUS = "autonomous"
    BACKUP = "backup"


class ExportRule(StrEnum):
    """``customer_preferred_export_rule``: what may be exported to the grid."""

    BATTERY_OK = "battery_ok"
    PV_ONLY = "pv_only"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class TouPeriod:
    """One period of an uploaded tariff, in local minutes of the day (end exclusive, may wrap).

    Prices are p/kWh as uploaded; only their order matters to the device.
    """

    name: str
    start_minute: int
    end_minute: int
    buy: float
    sell: float

    def covers(self, minute: int) -> bool:
        """Whether local minute-of-day ``minute`` falls in this period."""
        if self.start_minute < self.end_minute:
            return self.start_minute <= minute < self.end_minute
        return minute >= self.start_minute or minute < self.end_minute


@dataclass(frozen=True)
class TouSchedule:
    """A daily time-of-use tariff as the Powerwall sees it after an upload."""

    periods: tuple[TouPeriod, ...]
    timezone: str = "Europe/London"

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("a tariff needs at least one period")
        lookup = []
        for minute in range(1440):
            matches = [i for i, p in enumerate(self.periods) if p.covers(minute)]
            if len(matches) != 1:
                hhmm = f"{minute // 60:02d}:{minute % 60:02d}"
                raise ValueError(
                    f"tariff periods must cover each minute of the day exactly once; "
                    f"{hhmm} is covered by {len(matches)}"
                )
            lookup.append(matches[0])
        object.__setattr__(self, "_lookup", tuple(lookup))
        object.__setattr__(self, "_tz", ZoneInfo(self.timezone))
        # Read at every control decision (UploadedTariff.cheapest_at): computed once.
        object.__setattr__(self, "_min_buy", min(p.buy for p in self.periods))
        object.__setattr__(self, "_max_buy", max(p.buy for p in self.periods))

    def period_at(self, when: datetime) -> TouPeriod:
        """The period in force at ``when`` (aware)."""
        local = when.astimezone(self._tz)
        return self.periods[self._lookup[local.hour * 60 + local.minute]]

    @property
    def min_buy(self) -> float:
        """Cheapest buy price of the day."""
        return self._min_buy

    @property
    def max_buy(self) -> float:
        """Dearest buy price of the day."""
        return self._max_buy


@dataclass(frozen=True)
class UploadedTariff:
    """A tariff uploaded for time-based control (``autonomous`` mode).

    Attributes
    ----------
    content : mapping
        The ``tariff_content_v2`` document sent to (or read back from) the device.
    schedule : TouSchedule or None
        How the device reads ``content`` (None: not parsed, e.g. a tariff read back from the
        Fleet API). Not compared: two uploads are the same when their documents are.
    """

    content: Mapping[str, object]
    schedule: TouSchedule | None = field(default=None, compare=False)

    def cheapest_at(self, when: datetime) -> bool:
        """Whether ``when`` falls in the cheapest buy period (where autonomous charges)."""
        sched = self.schedule
        if sched is None or not sched.min_buy < sched.max_buy - 1e-9:
            return False  # unread, or one flat price: autonomous does not charge from the grid
        return sched.period_at(when).buy <= sched.min_buy + 1e-9

    def cheapest_throughout(self, start: datetime, end: datetime) -> bool:
        """Whether ``[start, end)`` lies in the cheapest period (checked every 15 minutes)."""
        t = start
        while t < end:
            if not self.cheapest_at(t):
                return False
            t += timedelta(minutes=15)
        return self.cheapest_at(end - timedelta(minutes=1))


@dataclass(frozen=True)
class Settings:
    """What a Powerwall holds: the five settings it accepts (and a simulator's dispatch).

    Attributes
    ----------
    mode : OperationMode
        ``default_real_mode`` / ``real_mode``.
    backup_reserve_app_percent : float
        Backup reserve on the Tesla app's scale, as the app and the Fleet API speak it; the
        gateway's raw scale converts through :mod:`optimiser.domain.units`. [app %]
    grid_charging : bool
        Whether the battery may charge from the grid.
    export_rule : ExportRule
        ``customer_preferred_export_rule``.
    tariff : UploadedTariff or None
        The tariff uploaded for time-based control (in a target: None leaves the device's
        uploaded tariff alone).
    dispatch_kw : float or None
        Direct dispatch, simulators only (> 0 discharge, < 0 charge; overrides the mode and
        ignores the reserve). [kW]
    notes : tuple of str
        Why these settings (not compared).
    """

    mode: OperationMode = OperationMode.SELF_CONSUMPTION
    backup_reserve_app_percent: float = 20.0
    grid_charging: bool = True
    export_rule: ExportRule = ExportRule.PV_ONLY
    tariff: UploadedTariff | None = None
    dispatch_kw: float | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.backup_reserve_app_percent <= 100:
            raise ValueError(
                f"backup_reserve_app_percent must be within [0, 100], "
                f"got {self.backup_reserve_app_percent}"
            )

    @property
    def backup_reserve_raw_percent(self) -> float:
        """The reserve on the gateway's raw scale. [raw %]"""
        return app_to_raw(self.backup_reserve_app_percent)

    def describe(self) -> str:
        """One line for logs."""
        tariff = "" if self.tariff is None else " +tariff"
        grid = "grid-charge" if self.grid_charging else "no-grid-charge"
        return (
            f"{self.mode.value} reserve {self.backup_reserve_app_percent:g}% "
            f"{grid} export {self.export_rule.value}{tariff}"
        )
