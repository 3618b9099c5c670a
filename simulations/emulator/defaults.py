"""A built-in, realistic UK household day: the emulator's default load and solar.

One day at 5-minute resolution that repeats forever (``wrap=True``): a gas-heated
three-bedroom house (about 9 kWh a day, breakfast and evening peaks, a kettle or two) with a
4 kWp south-facing array on a bright spring day (about 17 kWh). Deterministic: the same
numbers every time, so tests and demos agree.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.domain.traces import Trace

STEP_MINUTES = 5
_ANCHOR = datetime(2026, 4, 20, tzinfo=UTC)  # a Monday in spring; the trace wraps daily


def uk_household_day(seed: int = 7) -> Trace:
    """One repeating day of household load and 4 kWp solar. [kW]"""
    n = 24 * 60 // STEP_MINUTES
    hours = np.arange(n) * STEP_MINUTES / 60.0
    rng = np.random.default_rng(seed)

    def bump(centre: float, width: float, height: float) -> np.ndarray:
        return height * np.exp(-0.5 * ((hours - centre) / width) ** 2)

    load = (
        0.22  # fridge, router, standby
        + bump(7.5, 0.7, 0.9)  # breakfast
        + bump(13.0, 1.5, 0.25)  # lunch, someone at home
        + bump(18.5, 1.4, 1.3)  # cooking, telly
        + bump(21.5, 1.0, 0.5)  # evening
        + rng.gamma(2.0, 0.04, n)  # appliance noise
    )
    for hour in (7.25, 11.0, 16.5, 20.0):  # kettle: 3 kW for 5 minutes
        load[int(hour * 60 / STEP_MINUTES)] += 2.9
    load[int(19.0 * 60 / STEP_MINUTES) : int(20.0 * 60 / STEP_MINUTES)] += 1.0  # washing
    daylight = np.clip(np.sin(np.pi * (hours - 5.75) / 13.5), 0.0, None)
    clouds = 1.0 - 0.35 * rng.beta(0.6, 2.5, n)
    solar = 3.2 * daylight**1.4 * clouds
    epoch = _ANCHOR.timestamp() + np.arange(n) * STEP_MINUTES * 60.0
    return Trace(epoch_s=epoch, load_kw=np.round(load, 4), solar_kw=np.round(solar, 4), wrap=True)


def default_spec() -> PowerwallSpec:
    """One Powerwall 2."""
    return PowerwallSpec.powerwall2(1)


def default_state(spec: PowerwallSpec) -> PowerwallState:
    """60% full, with a few years of lifetime counters at 90% round trip. [kWh]"""
    return PowerwallState(
        soe_kwh=0.6 * spec.capacity_kwh, charged_kwh=4200.0, discharged_kwh=3780.0
    )


def default_settings() -> Settings:
    """Self-powered with a 20% reserve as the Tesla app shows it (24% raw), as most homes run."""
    return Settings(backup_reserve_app_percent=20.0)
