"""The Tesla Backup Gateway emulator: HTTPS local API on loopback over the shared Powerwall model.

Public names: :class:`GatewayEmulator`, :class:`EmulatedSite`, :class:`SiteSnapshot`,
:class:`Faults`, :func:`uk_household_day`.
"""

from simulations.emulator.defaults import uk_household_day
from simulations.emulator.faults import Fault, Faults
from simulations.emulator.server import GatewayEmulator
from simulations.emulator.site import EmulatedSite, SiteSnapshot

__all__ = [
    "EmulatedSite",
    "Fault",
    "Faults",
    "GatewayEmulator",
    "SiteSnapshot",
    "uk_household_day",
]
