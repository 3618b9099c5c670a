"""The Fleet emulator's demo house: an :class:`EmulatedSite`, the same class the gateway
emulator serves, so one house can answer on both APIs at once."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from optimiser.domain.clock import Clock
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.domain.traces import Trace
from simulations.emulator.site import EmulatedSite


def demo_site(clock: Clock, *, soe_kwh: float = 6.75) -> EmulatedSite:
    """One Powerwall 2 holding ``soe_kwh`` [kWh], a daily load and solar shape, self-powered
    at a 20 % app reserve."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    hours = np.arange(48) / 2.0
    load = 0.35 + 0.6 * np.exp(-(((hours - 18.5) / 2.0) ** 2)) + 0.3 * np.exp(-((hours - 8) ** 2))
    solar = np.clip(3.0 * np.cos((hours - 13.0) / 6.0 * np.pi / 2), 0.0, None)
    solar[(hours < 7) | (hours > 19)] = 0.0
    trace = Trace(start.timestamp() + hours * 3600.0, load, solar, wrap=True)
    settings = Settings(backup_reserve_app_percent=20.0)
    return EmulatedSite(
        PowerwallSpec.powerwall2(1), PowerwallState(soe_kwh=soe_kwh), settings, trace, clock
    )
