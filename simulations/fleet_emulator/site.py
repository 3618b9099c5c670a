"""The Fleet emulator's site is the gateway emulator's :class:`EmulatedSite`.

One class models the house for both APIs, so a test can serve a single
:class:`~simulations.emulator.site.EmulatedSite` through the gateway emulator (local API) and
the :class:`~simulations.fleet_emulator.FleetEmulator` at the same time and see one Powerwall.
:class:`EmulatedFleetSite` remains as a name for it with the Fleet emulator's argument order.
"""

from __future__ import annotations

from optimiser.domain.clock import Clock
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState
from optimiser.domain.traces import Trace
from simulations.emulator.site import EmulatedSite


class EmulatedFleetSite(EmulatedSite):
    """An :class:`EmulatedSite` (kept for the Fleet emulator's callers; same behaviour)."""

    def __init__(
        self,
        spec: PowerwallSpec,
        state: PowerwallState,
        settings: Settings,
        trace: Trace,
        clock: Clock,
        *,
        max_step_s: float = 60.0,
    ) -> None:
        super().__init__(spec, state, settings, trace, clock, max_step_s=max_step_s)
