"""What a Powerwall should visibly do after a change, judged from its live flows. Pure.

Reading the settings back proves the gateway stored them, not that the Powerwall acts on
them (one firmware stored v1r writes until the Tesla app was opened). So after a change the
v1r backend watches the battery's power for a bounded time:

- **charge**: the reserve is above the state of charge (by more than ``margin``) with grid
  charging on, in a grid-connected site: the battery must charge (below ``-threshold``);
- **hold**: the reserve is at or above the state of charge (or grid charging is off under a
  raised reserve, or backup mode): the battery must not discharge (at most ``threshold``);
- anything else (self-power, export) has no behaviour to check beyond the read-back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from optimiser.domain.device import OperationMode, Settings

CHARGE_MARGIN_RAW_PERCENT = 2.0
"""A reserve this far above the state of charge asks the battery to charge. [raw %]"""
HOLD_MARGIN_RAW_PERCENT = 0.1
"""A reserve at the state of charge (within float noise) or above holds it. [raw %]"""
POWER_THRESHOLD_KW = 0.1
"""Battery power below this is no flow (meter noise). [kW]"""


class Expectation(StrEnum):
    """What the battery should be seen doing."""

    CHARGE = "charging"
    HOLD = "not discharging"
    NONE = "nothing to check"


@dataclass(frozen=True, slots=True)
class Reading:
    """The live flows that matter: state of charge [raw %], battery power [kW, > 0
    discharging], and whether the grid is up."""

    soc_raw_percent: float
    battery_kw: float
    grid_up: bool


def expected(target: Settings, reading: Reading) -> Expectation:
    """What ``target`` asks of the battery at ``reading``'s state of charge."""
    if not reading.grid_up:
        return Expectation.NONE  # islanded: the battery carries the home whatever the settings
    if target.mode is OperationMode.BACKUP:
        return Expectation.HOLD
    gap = target.backup_reserve_raw_percent - reading.soc_raw_percent
    if gap > CHARGE_MARGIN_RAW_PERCENT and target.grid_charging:
        return Expectation.CHARGE
    if gap > -HOLD_MARGIN_RAW_PERCENT:
        return Expectation.HOLD
    return Expectation.NONE


def follows(expectation: Expectation, reading: Reading) -> bool:
    """Whether ``reading`` shows the battery doing what ``expectation`` asks."""
    if expectation is Expectation.CHARGE:
        return reading.battery_kw < -POWER_THRESHOLD_KW
    if expectation is Expectation.HOLD:
        return reading.battery_kw <= POWER_THRESHOLD_KW
    return True
