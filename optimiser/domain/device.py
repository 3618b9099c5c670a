"""The Powerwall's control vocabulary: operation modes, export rules, an uploaded tariff, settings.

These are the few things a Powerwall accepts (DOMAIN.md §2). Every layer — the gateway client,
the planner's baselines, control, the emulator and the replay — speaks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo


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

    def period_at(self, when: datetime) -> TouPeriod:
        """The period in force at ``when`` (aware)."""
        local = when.astimezone(self._tz)
        return self.periods[self._lookup[local.hour * 60 + local.minute]]

    @property
    def min_buy(self) -> float:
        """Cheapest buy price of the day."""
        return min(p.buy for p in self.periods)

    @property
    def max_buy(self) -> float:
        """Dearest buy price of the day."""
        return max(p.buy for p in self.periods)


@dataclass(frozen=True, slots=True)
class Settings:
    """What a Powerwall accepts.

    ``backup_reserve_percent`` is on the gateway's raw scale (see DESIGN.md glossary).
    ``dispatch_kw`` is direct dispatch (> 0 discharge, < 0 charge) or None.
    """

    mode: OperationMode = OperationMode.SELF_CONSUMPTION
    backup_reserve_percent: float = 20.0
    grid_charging: bool = True
    export_rule: ExportRule = ExportRule.PV_ONLY
    tariff: TouSchedule | None = None
    dispatch_kw: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.backup_reserve_percent <= 100:
            raise ValueError(
                f"backup_reserve_percent must be within [0, 100], got {self.backup_reserve_percent}"
            )
