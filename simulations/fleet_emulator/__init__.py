"""Tesla Fleet API emulator backed by the shared Powerwall model (see :mod:`.server`)."""

from simulations.fleet_emulator.server import FleetEmulator, FleetFaults, demo_site
from simulations.fleet_emulator.site import EmulatedFleetSite

__all__ = ["EmulatedFleetSite", "FleetEmulator", "FleetFaults", "demo_site"]
