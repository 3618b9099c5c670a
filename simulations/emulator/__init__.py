"""The Tesla Backup Gateway emulator: HTTPS local API on loopback over the shared Powerwall model.

One job per module: :mod:`.site` (the house: the Powerwall model stepped on a clock),
:mod:`.payloads` (the gateway's JSON from a site snapshot), :mod:`.auth` (login, tokens,
lock-out), :mod:`.api` (the endpoints), :mod:`.https_server` (TLS and HTTP I/O, acted-out
faults), :mod:`.faults` (what to inject), :mod:`.certs`, :mod:`.defaults`, and
:mod:`.gateway`, which puts them together as :class:`GatewayEmulator`.
"""

from simulations.emulator.defaults import uk_household_day
from simulations.emulator.faults import Fault, FaultKind, Faults
from simulations.emulator.gateway import GatewayEmulator
from simulations.emulator.site import EmulatedSite, SiteSnapshot

__all__ = [
    "EmulatedSite",
    "Fault",
    "FaultKind",
    "Faults",
    "GatewayEmulator",
    "SiteSnapshot",
    "uk_household_day",
]
