"""The emulated site: the shared Powerwall model driven by a trace on a clock.

:class:`EmulatedSite` owns the battery state and the lifetime meters. One instance can be
served by the gateway emulator (local API) and the Fleet API emulator at once, so one
emulated house is seen through both APIs (``storm_mode`` and the uploaded tariff are the
Fleet API's view of the same device; ``authorized_clients``, the v1r keys, are registered
through the Fleet API and checked by the gateway). Every request to either emulator first calls
:meth:`EmulatedSite.advance`, which steps
:func:`optimiser.domain.powerwall.step` from the last time it ran up to the clock's now in
steps of at most ``max_step_s``; the instantaneous readings are the flows of the last step.
Thread-safe: one lock guards all state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from optimiser.domain.clock import Clock, RealClock
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import Flows, PowerwallSpec, PowerwallState, step
from optimiser.domain.slots import require_aware
from optimiser.domain.traces import Trace
from simulations.emulator.authorized_clients import AuthorizedClients

_PEEK_H = 1 / 3600


@dataclass(frozen=True, slots=True)
class SiteSnapshot:
    """Everything the gateway reports, at one instant.

    Attributes
    ----------
    time : datetime
        Site clock, UTC.
    flows : Flows
        Powers of the last step, gateway signs. [kW]
    grid_up : bool
        False in a power cut or while intentionally islanded.
    site_imported_kwh, site_exported_kwh, solar_exported_kwh, load_imported_kwh : float
        Lifetime meter counters. [kWh]
    solar_imported_kwh : float
        Lifetime energy the solar meter drew (inverter standby at night). [kWh]
    """

    time: datetime
    spec: PowerwallSpec
    state: PowerwallState
    settings: Settings
    flows: Flows
    grid_up: bool
    island_requested: bool
    site_imported_kwh: float
    site_exported_kwh: float
    solar_exported_kwh: float
    load_imported_kwh: float
    started: datetime
    solar_imported_kwh: float = 0.0


class EmulatedSite:
    """A Powerwall site whose physics is :func:`optimiser.domain.powerwall.step`."""

    def __init__(
        self,
        spec: PowerwallSpec,
        state: PowerwallState,
        settings: Settings,
        trace: Trace,
        clock: Clock | None = None,
        *,
        max_step_s: float = 60.0,
        meters_kwh: tuple[float, float, float, float] = (5200.0, 3100.0, 9800.0, 11900.0),
    ) -> None:
        if not 0 < max_step_s <= 60:
            raise ValueError(f"max_step_s must be in (0, 60], got {max_step_s}")
        self.spec = spec
        self.trace = trace
        self.clock: Clock = clock or RealClock()
        self.max_step_s = max_step_s
        self._lock = threading.RLock()
        self._state = state
        self._settings = settings
        self._time = require_aware(self.clock.now(), "clock time")
        self._started = self._time
        self._power_cut = False
        self._island_requested = False
        self.outage: Callable[[datetime], bool] = lambda _when: False
        self.storm_mode = False
        self.authorized_clients = AuthorizedClients(self.clock)  # v1r keys, both APIs see them
        (
            self._site_imported,
            self._site_exported,
            self._solar_exported,
            self._load_imported,
        ) = meters_kwh
        self._solar_imported = 0.0
        self._flows = self._peek()

    # -- control -----------------------------------------------------------------------------

    def apply(self, settings: Settings) -> None:
        """Take new settings from now on (the past is stepped under the old ones first)."""
        with self._lock:
            self.advance()
            self._settings = settings
            self._flows = self._peek()

    @property
    def settings(self) -> Settings:
        """The settings in force; assigning them is :meth:`apply`."""
        with self._lock:
            return self._settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.apply(settings)

    @property
    def lock(self) -> threading.RLock:
        """Held while reading or changing the site."""
        return self._lock

    @property
    def time(self) -> datetime:
        """The model's time (last advance), UTC."""
        with self._lock:
            return self._time

    @property
    def state(self) -> PowerwallState:
        """The battery's state at :attr:`time`."""
        with self._lock:
            return self._state

    @property
    def flows(self) -> Flows:
        """Powers of the last step, gateway signs. [kW]"""
        with self._lock:
            return self._flows

    @property
    def grid_up(self) -> bool:
        """Whether the grid is connected at :attr:`time`."""
        with self._lock:
            return self._grid_up(self._time)

    @property
    def soc_raw_percent(self) -> float:
        """Stored energy on the gateway's raw scale. [%]"""
        with self._lock:
            return 100.0 * self._state.soe_kwh / self.spec.capacity_kwh

    def cut_power(self) -> None:
        """The grid goes down now."""
        with self._lock:
            self.advance()
            self._power_cut = True
            self._flows = self._peek()

    def restore_power(self) -> None:
        """The grid comes back now."""
        with self._lock:
            self.advance()
            self._power_cut = False
            self._flows = self._peek()

    def set_island(self, off_grid: bool) -> None:
        """Go off-grid on purpose (``island_mode: backup``) or reconnect."""
        with self._lock:
            self.advance()
            self._island_requested = off_grid
            self._flows = self._peek()

    # -- time --------------------------------------------------------------------------------

    def advance(self, now: datetime | None = None) -> None:
        """Step the model up to ``now`` (default: the clock's now) in steps ≤ ``max_step_s``."""
        with self._lock:
            target = require_aware(now or self.clock.now(), "time")
            max_step = timedelta(seconds=self.max_step_s)
            while self._time < target:
                dt = min(max_step, target - self._time)
                self._step(dt.total_seconds() / 3600.0)
                self._time += dt

    def snapshot(self) -> SiteSnapshot:
        """The current readings (call :meth:`advance` first to bring them up to date)."""
        with self._lock:
            return SiteSnapshot(
                time=self._time,
                spec=self.spec,
                state=self._state,
                settings=self._settings,
                flows=self._flows,
                grid_up=self._grid_up(self._time),
                island_requested=self._island_requested,
                site_imported_kwh=self._site_imported,
                site_exported_kwh=self._site_exported,
                solar_exported_kwh=self._solar_exported,
                load_imported_kwh=self._load_imported,
                started=self._started,
                solar_imported_kwh=self._solar_imported,
            )

    def _grid_up(self, when: datetime) -> bool:
        return not (self._power_cut or self._island_requested or self.outage(when))

    def _step(self, dt_h: float) -> None:
        load, solar = self.trace.at(self._time)
        state, flows = step(
            self.spec,
            self._state,
            self._settings,
            load_kw=load,
            solar_kw=solar,
            dt_h=dt_h,
            when=self._time,
            grid_up=self._grid_up(self._time),
        )
        self._state = state
        flows = _with_standby(flows, self._grid_up(self._time))
        self._flows = flows
        self._site_imported += max(flows.grid_kw, 0.0) * dt_h
        self._site_exported += max(-flows.grid_kw, 0.0) * dt_h
        self._solar_exported += max(flows.solar_kw, 0.0) * dt_h
        self._solar_imported += max(-flows.solar_kw, 0.0) * dt_h
        self._load_imported += max(flows.load_kw, 0.0) * dt_h

    def _peek(self) -> Flows:
        """Flows at the current instant without moving time (for readings before any step)."""
        load, solar = self.trace.at(self._time)
        _, flows = step(
            self.spec,
            self._state,
            self._settings,
            load_kw=load,
            solar_kw=solar,
            dt_h=_PEEK_H,
            when=self._time,
            grid_up=self._grid_up(self._time),
        )
        return _with_standby(flows, self._grid_up(self._time))


NIGHT_SOLAR_KW = 0.010  # a real solar meter reads about -10 W with no sun (inverter standby)


def _with_standby(flows: Flows, grid_up: bool) -> Flows:
    """The solar meter's night reading (DOMAIN.md §1): the inverter's standby draw, from the
    grid; load is unchanged, so load = site + battery + solar still holds."""
    if flows.solar_kw > 0 or not grid_up:
        return flows
    return replace(
        flows, solar_kw=flows.solar_kw - NIGHT_SOLAR_KW, grid_kw=flows.grid_kw + NIGHT_SOLAR_KW
    )
