"""Custom tariffs from YAML: local-time bands and prices for import and export.

Example::

    name: My time-of-use tariff
    timezone: Europe/London          # optional
    standing_charge: 52.0            # p/day inc VAT
    import:
      bands:
        - {name: night, from: "02:00", to: "05:00", price: 15.0}
        - {name: peak, from: "16:00", to: "19:00", price: 35.0, days: weekdays}
        - {name: day, from: "05:00", to: "16:00", price: 25.0}
        - {name: day, from: "19:00", to: "02:00", price: 25.0}
        - {name: weekend-peak, from: "16:00", to: "19:00", price: 25.0, days: weekends}
    export:
      flat: 15.0                     # or bands: like import

``days`` is ``all`` (default), ``weekdays``, ``weekends`` or a list of ``mon``…``sun``;
``months`` (default all) lists 1…12 for seasonal variants. Every local minute of every day of
every month must be covered by exactly one band of each side. Times are ``HH:MM`` on 5-minute
steps; ``to`` may be ``24:00`` and may wrap past midnight. Unknown keys are errors, and every
error names the file, line and column.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from optimiser.domain.yamlsource import YamlError, load
from tariffs.errors import TariffFileError
from tariffs.model import Band, BandTable, Rate, RateSeries, Tariff, TouEra, TouSource

_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_DAY_SETS = {"all": frozenset(range(7)), "weekdays": frozenset(range(5)), "weekends": {5, 6}}
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _minutes(value: Any) -> int:
    # YAML 1.1 reads unquoted 16:00 as the base-60 integer 960, which is the minute of the day.
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    elif isinstance(value, str) and len(value.split(":")) == 2:
        hours, mins = value.split(":")
        if not (hours.isdigit() and mins.isdigit() and len(mins) == 2):
            raise ValueError(f"expected a time HH:MM, got {value!r}")
        minutes = int(hours) * 60 + int(mins)
    else:
        raise ValueError(f"expected a time HH:MM, got {value!r}")
    if not 0 <= minutes <= 1440 or minutes % 5:
        raise ValueError(
            f"expected a time from 00:00 to 24:00 on a 5-minute step, got "
            f"{minutes // 60:02d}:{minutes % 60:02d}"
        )
    return minutes


def _days(value: Any) -> frozenset[int]:
    if isinstance(value, str):
        if value not in _DAY_SETS:
            raise ValueError(
                f"expected all, weekdays, weekends or a list of mon…sun, got {value!r}"
            )
        return frozenset(_DAY_SETS[value])
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected all, weekdays, weekends or a list of mon…sun, got {value!r}")
    bad = [v for v in value if str(v).lower() not in _DAYS]
    if bad:
        raise ValueError(f"expected day names mon…sun, got {bad[0]!r}")
    return frozenset(_DAYS[str(v).lower()] for v in value)


LocalTime = Annotated[int, BeforeValidator(_minutes)]
Days = Annotated[frozenset[int], BeforeValidator(_days)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BandSpec(_Strict):
    """One band of a custom tariff."""

    name: str = Field(min_length=1)
    start: LocalTime = Field(alias="from")
    end: LocalTime = Field(alias="to")
    price: float = Field(description="[p/kWh inc VAT]")
    days: Days = frozenset(range(7))
    months: frozenset[Annotated[int, Field(ge=1, le=12)]] = frozenset(range(1, 13))

    @field_validator("price")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"expected a finite price in p/kWh, got {value}")
        return value


class SideSpec(_Strict):
    """Import or export prices: a flat price or bands."""

    flat: float | None = Field(None, description="one price all day [p/kWh]")
    bands: list[BandSpec] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> SideSpec:
        if (self.flat is None) == (self.bands is None):
            raise ValueError("expected exactly one of 'flat' or 'bands'")
        try:
            self.table()  # coverage: every minute exactly once
        except ValueError as exc:
            raise ValueError(f"{exc} (got {len(self.bands or [])} bands)") from None
        return self

    def table(self) -> BandTable:
        if self.bands is None:
            return BandTable((Band("flat", 0, 1440, float(self.flat or 0.0)),))
        return BandTable(
            tuple(Band(b.name, b.start, b.end, b.price, b.days, b.months) for b in self.bands)
        )


class CustomTariffFile(_Strict):
    """The custom tariff YAML document."""

    name: str = Field(min_length=1)
    timezone: str = "Europe/London"
    standing_charge: float = Field(0.0, ge=0, description="[p/day inc VAT]")
    import_: SideSpec = Field(alias="import")
    export: SideSpec

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"expected a time zone like Europe/London, got {value!r}") from exc
        return value


def tariff_from_spec(spec: CustomTariffFile, source: str) -> Tariff:
    """A :class:`Tariff` from a validated custom tariff document."""
    tz = ZoneInfo(spec.timezone)
    return Tariff(
        name=spec.name,
        import_source=TouSource((TouEra(_EPOCH, None, spec.import_.table()),), tz),
        export_source=TouSource((TouEra(_EPOCH, None, spec.export.table()),), tz),
        standing=RateSeries((Rate(_EPOCH, None, spec.standing_charge),)),
        source=source,
        tz=tz,
    )


def load_custom_tariff(path: Path) -> Tariff:
    """Read a custom tariff YAML file; raises :class:`TariffFileError` with file:line:col."""
    try:
        spec = load(Path(path), CustomTariffFile)
    except YamlError as exc:
        raise TariffFileError(str(exc)) from exc
    return tariff_from_spec(spec, f"custom tariff file {path}")
