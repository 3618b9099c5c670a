"""Backends that apply :class:`~optimiser.domain.device.Settings` to a Powerwall, one per file.

- :mod:`~optimiser.control.backends.base`: the :class:`Backend` protocol and the
  :class:`ApplyReport` every ``apply`` returns;
- :mod:`~optimiser.control.backends.verifying`: the shared read → send differences → read back →
  retry once algorithm, within the command budget;
- :mod:`~optimiser.control.backends.dry_run`, :mod:`~optimiser.control.backends.local`,
  :mod:`~optimiser.control.backends.fleet`, :mod:`~optimiser.control.backends.v1r` (signed
  local control, confirmed by behaviour), :mod:`~optimiser.control.backends.memory` (the
  replay's simulated device).
"""

from optimiser.control.backends.base import ApplyReport, Backend
from optimiser.control.backends.dry_run import DryRunBackend
from optimiser.control.backends.fleet import FleetBackend, settings_from_site_info
from optimiser.control.backends.local import (
    FIRMWARE_LOCK_HINT,
    FIRMWARE_LOCK_MESSAGE,
    LocalBackend,
    OperationGateway,
)
from optimiser.control.backends.memory import MemoryBackend
from optimiser.control.backends.v1r import V1rBackend

__all__ = [
    "FIRMWARE_LOCK_HINT",
    "FIRMWARE_LOCK_MESSAGE",
    "ApplyReport",
    "Backend",
    "DryRunBackend",
    "FleetBackend",
    "LocalBackend",
    "MemoryBackend",
    "OperationGateway",
    "V1rBackend",
    "settings_from_site_info",
]
