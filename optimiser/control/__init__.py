"""Control: turn a plan into the few settings a Powerwall accepts, apply them, verify them.

- :mod:`~optimiser.control.intents` (pure): plan arrays → merged :class:`IntentSpan` s.
- :mod:`~optimiser.control.translate` (pure): intent → :class:`DeviceSettings` per backend
  :class:`Capabilities`; :func:`planner_limits` for control-aware planning.
- :mod:`~optimiser.control.safety` (pure): :class:`Lease`, :func:`safe_settings`,
  :func:`decide` (fallbacks).
- :mod:`~optimiser.control.backends`: :class:`DryRunBackend`, :class:`LocalBackend`,
  :class:`FleetBackend` behind the :class:`Backend` protocol.
- :mod:`~optimiser.control.fleet`: the Tesla Fleet API client; :mod:`~optimiser.control.budget`:
  the daily command budget.
- :mod:`~optimiser.control.errors`: the exception tree.
"""

from optimiser.control.backends import (
    ApplyReport,
    Backend,
    Command,
    DryRunBackend,
    FleetBackend,
    LocalBackend,
    differences,
)
from optimiser.control.budget import CommandBudget, prioritise
from optimiser.control.errors import (
    BudgetExhausted,
    ControlError,
    ControlNotPermitted,
    ControlProtocolError,
    ControlUnavailable,
    FleetAuthError,
    FleetError,
    FleetProtocolError,
    FleetRateLimited,
    FleetUnavailable,
)
from optimiser.control.fleet import FleetClient, TokenSource
from optimiser.control.intents import (
    Intent,
    IntentSpan,
    intents_from_arrays,
    intents_from_plan,
    span_at,
    span_due,
)
from optimiser.control.safety import Failure, Lease, decide, is_forced, safe_settings
from optimiser.control.translate import (
    Capabilities,
    ControlPolicy,
    DeviceSettings,
    planner_limits,
    settings_for,
)

__all__ = [
    "ApplyReport",
    "Backend",
    "BudgetExhausted",
    "Capabilities",
    "Command",
    "CommandBudget",
    "ControlError",
    "ControlNotPermitted",
    "ControlPolicy",
    "ControlProtocolError",
    "ControlUnavailable",
    "DeviceSettings",
    "DryRunBackend",
    "Failure",
    "FleetAuthError",
    "FleetBackend",
    "FleetClient",
    "FleetError",
    "FleetProtocolError",
    "FleetRateLimited",
    "FleetUnavailable",
    "Intent",
    "IntentSpan",
    "Lease",
    "LocalBackend",
    "TokenSource",
    "decide",
    "differences",
    "intents_from_arrays",
    "intents_from_plan",
    "is_forced",
    "planner_limits",
    "prioritise",
    "safe_settings",
    "settings_for",
    "span_at",
    "span_due",
]
