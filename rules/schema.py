"""The rules file: a strict schema for what users know and the optimiser does not.

A rules file is a list of rules; each rule has a ``name``, conditions under ``when`` (all must
hold) and actions under ``do``. Rules earlier in the file have higher priority unless
``priority`` says otherwise (higher number wins; ties keep file order). Unknown keys are errors.

Example::

    rules:
      - name: storm
        when: {context: {storm_warning: true}}
        do: {min_reserve: {percent: 80, hard: true}, force_mode: backup}
      - name: no export on Sundays
        when: {days: [sun]}
        do: {no_export: all}
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")

Percent = Annotated[float, Field(ge=0, le=100)]
ContextValue = bool | int | float | str


class Weekday(StrEnum):
    """Day names as users write them."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def index(self) -> int:
        """Monday = 0, as ``datetime.weekday()``."""
        return list(Weekday).index(self)


_FULL_DAYS = {
    f"{day.value}{rest}": day.value
    for day, rest in zip(
        Weekday, ("day", "sday", "nesday", "rsday", "day", "urday", "day"), strict=True
    )
} | {day.value: day.value for day in Weekday}


def _day_name(text: str) -> str:
    """``Mon``/``monday`` → ``mon``; anything else is left as written for the enum to refuse."""
    return _FULL_DAYS.get(text.strip().lower(), text)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def parse_clock(value: str) -> time:
    """``"07:30"`` → ``time(7, 30)``; ``"24:00"`` is accepted as end of day (00:00)."""
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"expected a local time like '07:30', got {value!r}")
    hour, minute = int(match[1]), int(match[2])
    if (hour, minute) == (24, 0):
        return time(0, 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"expected a local time like '07:30', got {value!r}")
    return time(hour, minute)


class TimeWindow(_Strict):
    """A daily local-time window ``[start, end)``; crosses midnight when end <= start."""

    start: time
    end: time

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        if isinstance(value, str):
            match = _WINDOW.match(value)
            if not match:
                raise ValueError(f"expected a window like '16:00-19:00', got {value!r}")
            start = parse_clock(f"{match[1]}:{match[2]}")
            end = parse_clock(f"{match[3]}:{match[4]}")
            all_day = (start, f"{match[3]}:{match[4]}") == (time(0, 0), "24:00")
            if start == end and not all_day:
                raise ValueError(
                    f"expected a window that starts and ends at different times, got {value!r} "
                    "(for all day write '00:00-24:00' or leave time out)"
                )
            return {"start": start, "end": end}
        return value

    def contains(self, local: time) -> bool:
        """Whether local clock time ``local`` falls in the window."""
        if self.start == self.end:
            return True  # "00:00-24:00", the only empty-looking window allowed: all day
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


class DateRange(_Strict):
    """Inclusive local date range."""

    start: date = Field(alias="from")
    end: date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(f"'to' ({self.end}) is before 'from' ({self.start})")
        return self


class Threshold(_Strict):
    """A numeric comparison: ``above`` and/or ``below`` (strict)."""

    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Threshold:
        if self.above is None and self.below is None:
            raise ValueError("give 'above' or 'below' (or both)")
        if self.above is not None and self.below is not None and self.above >= self.below:
            raise ValueError(
                f"expected 'above' less than 'below', got above {self.above:g} and below "
                f"{self.below:g}: no value is both, so the condition would never hold"
            )
        return self

    def holds(self, value: float) -> bool:
        """Whether ``value`` satisfies the comparison."""
        if self.above is not None and not value > self.above:
            return False
        return not (self.below is not None and not value < self.below)


class PriceCondition(_Strict):
    """Slot prices compared with thresholds. [p/kWh]"""

    import_price: Threshold | None = Field(None, alias="import")
    export_price: Threshold | None = Field(None, alias="export")


class ForecastCondition(_Strict):
    """Day-level forecast conditions, in the local day of each slot. [kWh]"""

    solar_today_kwh: Threshold | None = None
    solar_tomorrow_kwh: Threshold | None = None
    load_today_kwh: Threshold | None = None


class When(_Strict):
    """Conditions; all given ones must hold. Absent means always."""

    time: TimeWindow | None = None
    days: tuple[Weekday, ...] | None = None
    dates: tuple[date, ...] | None = None
    between: DateRange | None = None
    context: dict[str, ContextValue] | None = Field(
        None, description="context flags that must equal the given values"
    )
    price: PriceCondition | None = None
    forecast: ForecastCondition | None = None
    soc_percent: Threshold | None = Field(
        None, description="state of charge now, Tesla app scale [%]"
    )
    grid: Literal["up", "down"] | None = None

    @field_validator("days", mode="before")
    @classmethod
    def _days_lower(cls, value: object) -> object:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            return [_day_name(v) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("context", mode="before")
    @classmethod
    def _context_shorthand(cls, value: object) -> object:
        # ``context: storm_warning`` means ``context: {storm_warning: true}``.
        if isinstance(value, str):
            return {value: True}
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return dict.fromkeys(value, True)
        return value


class MinReserve(_Strict):
    """Keep at least ``percent`` (app scale) stored in the rule's slots."""

    percent: Percent
    hard: bool = False
    penalty_p_per_kwh: float = Field(
        100.0, gt=0, description="cost of each kWh below the floor in each slot, when soft [p/kWh]"
    )


class Reach(_Strict):
    """Hold at least ``percent`` (app scale) at local time ``by`` on each day the rule holds."""

    percent: Percent
    by: time
    penalty_p_per_kwh: float = Field(100.0, gt=0)

    @field_validator("by", mode="before")
    @classmethod
    def _clock(cls, value: object) -> object:
        return parse_clock(value) if isinstance(value, str) else value


class ExtraLoad(_Strict):
    """An extra load (e.g. an EV charging session) of ``kw`` in the rule's slots. [kW]"""

    kw: float = Field(gt=0, le=50)


class ForceMode(StrEnum):
    """Powerwall modes a rule may force."""

    SELF_CONSUMPTION = "self_consumption"
    AUTONOMOUS = "autonomous"
    BACKUP = "backup"


class Do(_Strict):
    """Actions; at least one is required."""

    min_reserve: MinReserve | None = None
    reach: Reach | None = None
    max_soc_percent: Percent | None = Field(None, description="Tesla app scale [%]")
    no_export: Literal["battery", "all"] | None = Field(
        None, description="'battery': the battery may not export; 'all': nothing is exported"
    )
    no_grid_charge: bool | None = None
    hold: bool | None = Field(None, description="do not discharge the battery")
    force_mode: ForceMode | None = None
    extra_load: ExtraLoad | None = None
    scale_load: float | None = Field(None, ge=0, le=10, description="multiply the load forecast")
    export_bonus_p_per_kwh: float | None = Field(
        None, ge=-100, le=500, description="added to the export price (saving sessions)"
    )

    @field_validator("no_export", mode="before")
    @classmethod
    def _bool_means_all(cls, value: object) -> object:
        return "all" if value is True else value

    @model_validator(mode="after")
    def _something(self) -> Do:
        if not any(v is not None and v is not False for v in self.__dict__.values()):
            raise ValueError("a rule needs at least one action under 'do'")
        floor, ceiling = self.min_reserve, self.max_soc_percent
        if floor is not None and ceiling is not None and floor.percent > ceiling:
            raise ValueError(
                f"expected min_reserve at or below max_soc_percent, got a floor of "
                f"{floor.percent:g}% above a ceiling of {ceiling:g}%"
            )
        return self


class Rule(_Strict):
    """One rule: a name, conditions and actions."""

    name: str = Field(min_length=1, max_length=80)
    when: When = When()
    do: Do
    priority: int = 0
    enabled: bool = True
    expires: datetime | None = Field(None, description="ignored after this time (aware)")

    @field_validator("expires")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("expires needs a time zone, e.g. 2026-12-01T00:00:00Z")
        return value


class RulesFile(_Strict):
    """The whole rules file."""

    version: Literal[1] = 1
    rules: tuple[Rule, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> RulesFile:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"two rules are named {rule.name!r}; names must be unique")
            seen.add(rule.name)
        return self

    def ordered(self) -> tuple[Rule, ...]:
        """Enabled rules, highest priority first (ties: file order)."""
        ranked = sorted(enumerate(self.rules), key=lambda item: (-item[1].priority, item[0]))
        return tuple(rule for _, rule in ranked if rule.enabled)
