"""The emulated Powerwall site behind the Fleet emulator: spec, state, settings, trace, clock.

A minimal local twin of the gateway emulator's ``EmulatedSite`` (to be unified with it): it
advances the shared model :func:`simulations.powerwall.step` up to the clock's now, in steps
of at most ``max_step_s``, using the trace's load and solar. Thread-safe.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from simulations.clock import Clock
from simulations.powerwall import (
    Flows,
    PowerwallSpec,
    PowerwallState,
    Settings,
    step,
)
from simulations.traces import Trace


class EmulatedFleetSite:
    """A Powerwall site driven by a trace on a clock.

    Parameters
    ----------
    spec, state, settings : the shared model's inputs (reserve on the raw scale).
    trace : Trace
        Load and available solar.
    clock : Clock
        Source of now.
    max_step_s : float
        Longest model step. [s]
    """

    def __init__(
        self,
        spec: PowerwallSpec,
        state: PowerwallState,
        settings: Settings,
        trace: Trace,
        clock: Clock,
        *,
        max_step_s: float = 300.0,
    ) -> None:
        self.spec = spec
        self.state = state
        self.settings = settings
        self.trace = trace
        self.clock = clock
        self.max_step_s = max_step_s
        self.grid_up = True
        self.storm_mode = False
        self.tariff_content: dict[str, Any] | None = None
        self.flows = Flows(battery_kw=0.0, grid_kw=0.0, solar_kw=0.0, load_kw=0.0)
        self.imported_kwh = 0.0
        self.exported_kwh = 0.0
        self._time = clock.now()
        self._lock = threading.RLock()

    @property
    def lock(self) -> threading.RLock:
        """Held while reading or changing the site."""
        return self._lock

    @property
    def time(self) -> datetime:
        """The model's time (last advance), UTC."""
        return self._time

    def advance(self, now: datetime | None = None) -> None:
        """Step the model from its time up to ``now`` (default: the clock's now)."""
        with self._lock:
            target = now or self.clock.now()
            limit = timedelta(seconds=self.max_step_s)
            while self._time < target:
                delta = min(target - self._time, limit)
                dt_h = delta.total_seconds() / 3600.0
                load_kw, solar_kw = self.trace.at(self._time)
                self.state, self.flows = step(
                    self.spec,
                    self.state,
                    self.settings,
                    load_kw=load_kw,
                    solar_kw=solar_kw,
                    dt_h=dt_h,
                    when=self._time,
                    grid_up=self.grid_up,
                )
                self.imported_kwh += max(self.flows.grid_kw, 0.0) * dt_h
                self.exported_kwh += max(-self.flows.grid_kw, 0.0) * dt_h
                self._time += delta

    def apply(self, **changes: Any) -> None:
        """Advance to now, then change settings (fields of :class:`Settings`)."""
        with self._lock:
            self.advance()
            self.settings = replace(self.settings, **changes)

    def cut_power(self) -> None:
        """Start a power cut."""
        with self._lock:
            self.advance()
            self.grid_up = False

    def restore_power(self) -> None:
        """End a power cut."""
        with self._lock:
            self.advance()
            self.grid_up = True

    @property
    def soc_raw_percent(self) -> float:
        """Stored energy on the gateway's raw scale. [%]"""
        return 100.0 * self.state.soe_kwh / self.spec.capacity_kwh
