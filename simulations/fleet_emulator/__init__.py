"""The Tesla Fleet API emulator, backed by the shared Powerwall model.

One job per module: :mod:`.site` (the demo house), :mod:`.auth` (OAuth tokens),
:mod:`.quota` (commands per UTC day), :mod:`.tariff` (reading an uploaded tariff),
:mod:`.api` (the endpoints and injected faults), :mod:`.http_server` (I/O), and
:mod:`.emulator`, which puts them together as :class:`FleetEmulator`.
"""

from simulations.fleet_emulator.api import FleetEndpoint, FleetFaults
from simulations.fleet_emulator.emulator import FleetEmulator
from simulations.fleet_emulator.site import demo_site

__all__ = ["FleetEmulator", "FleetEndpoint", "FleetFaults", "demo_site"]
