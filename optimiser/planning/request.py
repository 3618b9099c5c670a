"""The one request builder: what ``plan``, ``run`` and ``simulate`` hand the planning cycle.

:func:`build_request` turns what was read at decision time ``now`` — the site, the tariff, the
recorded history, the rules and context, the control backend's capabilities — into a frozen
:class:`PlanRequest`: the planning horizon (:class:`Horizon`, by default from the slot under
way to local midnight at the end of tomorrow), prices on it, load and solar forecasts fitted
as the refit policy says (:class:`~optimiser.planning.forecasting.Forecasting`, by default at
every plan), and the per-slot limits of what the device can follow (:func:`control_limits`).
``wattplan plan``, the ``wattplan run`` service and the replay's closed loop and one-shot
bound all call it, so the replay plans exactly what the service would from the same data.
The settle margin is not part of the request: the control layer applies the span due
``control.settle_minutes`` after ``now``, in production and the replay alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.config import Config
from optimiser.control.capabilities import Capabilities
from optimiser.control.limits import fast_charge_slots, planner_limits
from optimiser.control.tariff_upload import uploaded_tariff_for
from optimiser.domain.device import UploadedTariff
from optimiser.domain.history import History
from optimiser.domain.slots import SlotGrid, floor_to_slot
from optimiser.forecast import HistoryForecaster
from optimiser.planner import Battery, Plan
from optimiser.planning.forecasting import Forecasting
from rules.context import Context
from rules.schema import ContextValue, RulesFile
from tariffs import SlotPrices, Tariff

#: The tariff kept uploaded on a local day, or None and why not.
UploadedFor = Callable[[date], tuple[UploadedTariff | None, str | None]]


class SiteReading(Protocol):
    """What planning reads of the site at decision time: a gateway's
    :class:`~optimiser.gateway.models.SiteState`, or the replay's simulated battery."""

    @property
    def soe_kwh(self) -> float:
        """Stored energy. [kWh]"""

    @property
    def capacity_kwh(self) -> float:
        """Usable full-pack energy. [kWh]"""

    @property
    def max_charge_kw(self) -> float:
        """Charge power limit. [kW]"""

    @property
    def max_discharge_kw(self) -> float:
        """Discharge power limit. [kW]"""

    @property
    def round_trip_efficiency(self) -> float | None:
        """AC to AC round trip, None while unknown. [-]"""

    @property
    def app_percent(self) -> float:
        """Stored energy on the Tesla app's scale. [%]"""

    @property
    def grid_up(self) -> bool:
        """True while connected to the grid."""


class PriceSource(Protocol):
    """Prices per slot of any grid: a :class:`~tariffs.Tariff`, or the replay's prices
    computed once for its whole period."""

    def prices(self, grid: SlotGrid) -> SlotPrices:
        """Import and export price of each slot of ``grid``. [p/kWh]"""


@dataclass(frozen=True)
class Horizon:
    """How far each plan looks ahead, from the start of the slot under way.

    Attributes
    ----------
    hours : float or None
        A fixed length. [h]
    until : datetime or None
        A fixed end (a one-shot plan over a period).

    Neither (the default, production's): to local midnight at the end of tomorrow.
    """

    hours: float | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.hours is not None and self.until is not None:
            raise ValueError("a horizon has a length or an end, not both")
        if self.hours is not None and not self.hours > 0:
            raise ValueError(f"horizon hours must be > 0, got {self.hours}")

    def __str__(self) -> str:
        if self.hours is not None:
            return f"{self.hours:g} h"
        if self.until is not None:
            return f"until {self.until.isoformat()}"
        return "to local midnight at the end of tomorrow"

    @property
    def longest_hours(self) -> float | None:
        """The longest look-ahead past a decision (None: to a fixed end). [h]

        Production's reaches 48 h from a decision at local midnight, 49 h over the autumn
        clock change; one slot more covers a decision's partial first slot.
        """
        if self.until is not None:
            return None
        return self.hours if self.hours is not None else 50.0

    def grid(self, now: datetime, minutes: int, tz: ZoneInfo) -> SlotGrid:
        """The planning grid at decision time ``now`` (at least one slot)."""
        start = floor_to_slot(now, minutes)
        if self.hours is not None:
            end = start + timedelta(hours=self.hours)
        elif self.until is not None:
            end = self.until
        else:
            end = datetime.combine(now.astimezone(tz).date() + timedelta(days=2), time(0), tz)
        grid = SlotGrid.covering(start, max(end, start), minutes)
        return grid if grid.count else SlotGrid(start, minutes, 1)


PRODUCTION_HORIZON = Horizon()


def horizon(now: datetime, minutes: int, tz: ZoneInfo) -> SlotGrid:
    """Production's planning grid: from the slot containing ``now`` to local midnight at the
    end of tomorrow."""
    return PRODUCTION_HORIZON.grid(now, minutes, tz)


@dataclass(frozen=True, eq=False)
class ControlLimits:
    """What the control backend can make the device do, per slot (None: no limit).

    Attributes
    ----------
    max_grid_charge_kw : numpy.ndarray or None
        Grid → battery power: the reserve route's rate, or the battery's full rate in the
        uploaded tariff's cheapest period (time-based control). [kW]
    battery_export_allowed : numpy.ndarray or None
        Whether the battery may export in the slot.
    """

    max_grid_charge_kw: np.ndarray | None = None
    battery_export_allowed: np.ndarray | None = None


@dataclass(frozen=True)
class PlanRequest:
    """Everything one planning cycle needs, already read from the world.

    Attributes
    ----------
    now : datetime
        Decision time (aware).
    grid : SlotGrid
        Planning horizon.
    state : SiteReading
        The site now.
    import_price, export_price : numpy.ndarray
        Tariff prices per slot. [p/kWh]
    load_kw, solar_kw : numpy.ndarray
        Forecasts per slot. [kW]
    rules : RulesFile | None
        The user's rules.
    context : Mapping
        Active context facts (storm_warning, holiday…).
    context_expires : Mapping
        When facts with an expiry stop applying; rules use them only in earlier slots.
    previous : Plan | None
        The last plan, for the stability penalty.
    limits : ControlLimits
        Per-slot limits from the control backend: what the device can really do.
    price_source : str
        Where the prices came from (live, cache and its age, snapshot; events), in words.
    estimated_slots : numpy.ndarray or None
        Per slot, whether its price is an estimate, not a published rate.
    forecast_notes : tuple of str
        Where the forecast came from when the user should know (a weather provider that was
        down and the history used instead…), for the plan to show.
    """

    now: datetime
    grid: SlotGrid
    state: SiteReading
    import_price: np.ndarray
    export_price: np.ndarray
    load_kw: np.ndarray
    solar_kw: np.ndarray
    rules: RulesFile | None = None
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    context_expires: Mapping[str, datetime] = field(default_factory=dict)
    previous: Plan | None = None
    limits: ControlLimits = ControlLimits()
    price_source: str = ""
    estimated_slots: np.ndarray | None = None

    def prices_note(self) -> dict[str, object]:
        """Where the prices came from and how many slots are priced with estimates."""
        estimated = 0 if self.estimated_slots is None else int(self.estimated_slots.sum())
        return {"source": self.price_source, "estimated_slots": estimated}

    forecast_notes: tuple[str, ...] = ()


def build_request(
    config: Config,
    state: SiteReading,
    *,
    now: datetime,
    tariff: Tariff | None,
    history: History | None,
    rules: RulesFile | None = None,
    context: Context | None = None,
    previous: Plan | None = None,
    capabilities: Capabilities | None = None,
    forecasting: Forecasting | None = None,
    horizon: Horizon = PRODUCTION_HORIZON,
    prices: PriceSource | None = None,
    uploaded_for: UploadedFor | None = None,
) -> PlanRequest:
    """The :class:`PlanRequest` at decision time ``now`` (see the module docstring).

    Parameters
    ----------
    tariff : Tariff or None
        Prices the plan (unless ``prices`` is given) and is kept uploaded for fast charging.
    history : History or None
        What the forecaster may learn from (it uses only samples known at ``now``).
    capabilities : Capabilities or None
        The control backend's: the plan is limited to what the device can follow. None: no
        limits (the replay's direct dispatch).
    forecasting : Forecasting or None
        The forecaster and its refit policy; default: the config's ``HistoryForecaster``
        fitted at every plan. ``plan`` and ``run`` pass the config's forecaster
        (:func:`optimiser.forecast.weather.forecaster_for`: weather-aware solar where a
        provider is configured), built where their I/O lives.
    horizon : Horizon
        Default: to local midnight at the end of tomorrow.
    prices : PriceSource or None
        Default: ``tariff``.
    uploaded_for : callable or None
        The tariff kept uploaded on a local day (default: converted from ``tariff`` when
        asked; the replay passes a cache).
    """
    tz = ZoneInfo(config.site.timezone)
    grid = horizon.grid(now, config.planner.slot_minutes, tz)
    source = prices if prices is not None else tariff
    if source is None:
        raise ValueError("a plan needs prices: expected a tariff or a price source, got neither")
    slot_prices = source.prices(grid)
    if forecasting is None:
        forecasting = Forecasting(HistoryForecaster(config.site, config.forecast))
    forecast = forecasting.forecast(grid, history, now)
    return PlanRequest(
        now=now,
        grid=grid,
        state=state,
        import_price=slot_prices.import_price,
        export_price=slot_prices.export_price,
        load_kw=forecast.load_kw,
        solar_kw=forecast.solar_kw,
        rules=rules,
        context=context.active(now) if context is not None else {},
        context_expires=context.expiries(now) if context is not None else {},
        previous=previous,
        limits=control_limits(config, state, grid, tariff, capabilities, uploaded_for),
        price_source=slot_prices.source,
        estimated_slots=np.asarray(slot_prices.estimated_slots, dtype=bool),
        forecast_notes=forecast.notes,
    )


def control_limits(
    config: Config,
    state: SiteReading,
    grid: SlotGrid,
    tariff: Tariff | None,
    capabilities: Capabilities | None,
    uploaded_for: UploadedFor | None = None,
) -> ControlLimits:
    """The control backend's per-slot limits for the planner (control-aware planning).

    Grid charging runs at the reserve rate, except in the cheapest period of the tariff kept
    uploaded (where time-based control charges at the battery's full rate).
    """
    if capabilities is None:
        return ControlLimits()
    if tariff is None or not capabilities.can_fast_charge:
        return ControlLimits(**planner_limits(capabilities, grid.count))
    tz = ZoneInfo(config.site.timezone)
    cache: dict[date, tuple[UploadedTariff | None, str | None]] = {}

    def converted(day: date) -> tuple[UploadedTariff | None, str | None]:
        if day not in cache:
            cache[day] = uploaded_tariff_for(tariff, day, config.site.timezone)
        return cache[day]

    uploaded = converted if uploaded_for is None else uploaded_for

    def in_force(when: datetime) -> UploadedTariff | None:
        return uploaded(when.astimezone(tz).date())[0]

    return ControlLimits(
        **planner_limits(
            capabilities,
            grid.count,
            fast_slots=fast_charge_slots(grid.starts, grid.minutes, in_force),
            full_charge_kw=battery_inputs(state, config).max_charge_kw,
        )
    )


DEFAULT_EFFICIENCY = 0.90  # round trip when the gateway's counters cannot tell [-]


def battery_inputs(state: SiteReading, config: Config) -> Battery:
    """The battery as the site reports it, with the config's overrides applied."""
    over = config.battery
    efficiency = over.round_trip_efficiency or state.round_trip_efficiency or DEFAULT_EFFICIENCY
    efficiency = min(max(efficiency, 0.5), 1.0)
    capacity = over.capacity_kwh or state.capacity_kwh
    return Battery(
        capacity_kwh=capacity,
        soe_kwh=min(max(state.soe_kwh, 0.0), capacity),
        max_charge_kw=over.max_charge_kw or state.max_charge_kw,
        max_discharge_kw=over.max_discharge_kw or state.max_discharge_kw,
        charge_efficiency=efficiency**0.5,
        discharge_efficiency=efficiency**0.5,
    )
