"""The user's control settings, made legal for the backend that applies them.

Every path that sets the reserve floor — :func:`~optimiser.control.translate.settings_for`,
:func:`~optimiser.control.safety.safe_settings`, the grid-outage rule, the replay — takes it
from a :class:`ControlPolicy` made for the backend (:meth:`ControlPolicy.for_backend`), so the
Fleet API's rule meets the configured floor once: a floor in (80, 100) is sent as 80
(:meth:`~optimiser.control.capabilities.Capabilities.legal_reserve`). The plan still keeps the
configured floor (the planner's soft floor is ``battery.reserve_percent``) and holds above 80
still hold, so only a self-powered slot or the safe fallback can go below the configured floor,
never below 80. ``wattplan config check`` warns about such a floor (:func:`config_warnings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from optimiser.config import Config
from optimiser.control.capabilities import BackendName, Capabilities, ReservePurpose
from optimiser.control.spans import FLIP_VALUE_GBP

HOLD_TOLERANCE_APP_PERCENT = 3.0
"""Don't re-send a hold reserve within this of the device's. [app %]"""


@dataclass(frozen=True, slots=True)
class ControlPolicy:
    """The user's control settings the translation needs.

    Attributes
    ----------
    reserve_floor_app_percent : float
        Reserve kept for power cuts, as the backend accepts it (see :meth:`for_backend`).
        [app %]
    lease_minutes : float
        How long a forced state may last before it must be renewed. [min]
    hold_tolerance_app_percent : float
        A hold keeps the device's reserve when it is within this of the wanted one, and a hold
        within this of the floor is self-power at the floor. [app %]
    flip_value_gbp : float
        Short self-power/hold flips worth less than this are not followed
        (:func:`~optimiser.control.spans.suppress_flips`). [£]
    notes : tuple of str
        Why the floor differs from the configured one (not compared).
    """

    reserve_floor_app_percent: float = 20.0
    lease_minutes: float = 90.0
    hold_tolerance_app_percent: float = HOLD_TOLERANCE_APP_PERCENT
    flip_value_gbp: float = FLIP_VALUE_GBP
    notes: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def from_config(cls, config: Config, capabilities: Capabilities | None = None) -> ControlPolicy:
        """From a wattplan ``Config`` (``battery.reserve_percent``, ``control.lease_minutes``,
        ``control.hold_tolerance_percent``, ``control.flip_value_gbp``), made legal for
        ``capabilities`` (default: the Fleet API's rule when ``control.backend`` is ``fleet``)."""
        control = config.control
        policy = cls(
            reserve_floor_app_percent=config.battery.reserve_percent,
            lease_minutes=control.lease_minutes,
            hold_tolerance_app_percent=control.hold_tolerance_percent,
            flip_value_gbp=control.flip_value_gbp,
        )
        if capabilities is None and BackendName(control.backend) is BackendName.FLEET:
            capabilities = Capabilities.fleet()
        return policy if capabilities is None else policy.for_backend(capabilities)

    def for_backend(self, capabilities: Capabilities) -> ControlPolicy:
        """This policy with a floor ``capabilities`` accept (idempotent)."""
        legal = capabilities.legal_reserve(self.reserve_floor_app_percent, ReservePurpose.FLOOR)
        if legal.note is None:
            return self
        return replace(
            self, reserve_floor_app_percent=legal.app_percent, notes=(*self.notes, legal.note)
        )


def config_warnings(config: Config) -> list[str]:
    """Control settings that work but not as written (for ``wattplan config check``)."""
    if BackendName(config.control.backend) is not BackendName.FLEET:
        return []
    legal = Capabilities.fleet().legal_reserve(config.battery.reserve_percent, ReservePurpose.FLOOR)
    return [] if legal.note is None else [legal.note]
