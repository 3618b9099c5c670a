"""Control: turn a plan into the few settings a Powerwall accepts, apply them, verify them.

The data flow, one module per step:

- :mod:`~optimiser.control.spans` (pure): the plan's per-slot actions
  (:class:`~optimiser.domain.actions.Action`) → merged :class:`ActionSpan` s, flip hysteresis.
- :mod:`~optimiser.control.translate` (pure): the span due →
  :class:`~optimiser.domain.device.Settings` for the backend's :class:`Capabilities`
  (:mod:`~optimiser.control.capabilities`, with the Fleet API's reserve rule) and the user's
  :class:`ControlPolicy` (:mod:`~optimiser.control.policy`);
  :mod:`~optimiser.control.limits` tells the planner what the backend can follow.
- :mod:`~optimiser.control.decision` (pure but for the tariff,
  :mod:`~optimiser.control.tariff_upload`): what the plan asks for now;
  :mod:`~optimiser.control.plan_check`: whether a plan can be followed at all.
- :mod:`~optimiser.control.safety` (pure): :class:`Lease`, :func:`safe_settings`, :func:`decide`
  (fallbacks); :mod:`~optimiser.control.lease_file`: the lease on disk.
- :mod:`~optimiser.control.commands`, :mod:`~optimiser.control.budget`,
  :mod:`~optimiser.control.value`, :mod:`~optimiser.control.budget_decision`: what a change
  costs, the daily command budget, what each span is worth, whether to pay for it.
- :mod:`~optimiser.control.apply_now`: the whole chain for now → :class:`AppliedReport`
  (:mod:`~optimiser.control.report`); :mod:`~optimiser.control.deviations`: where control
  will not follow the plan, for ``wattplan plan``.
- :mod:`~optimiser.control.backends`: one module per backend behind the :class:`Backend`
  protocol; :mod:`~optimiser.control.fleet_client`: the Tesla Fleet API client;
  :mod:`~optimiser.control.factory`: the configured backend.
- :mod:`~optimiser.control.errors`: the exception tree.
"""

from optimiser.control.apply_now import apply_current_slot
from optimiser.control.backends import (
    ApplyReport,
    Backend,
    DryRunBackend,
    FleetBackend,
    LocalBackend,
    MemoryBackend,
)
from optimiser.control.budget import CommandBudget, prioritise
from optimiser.control.capabilities import BackendName, Capabilities, ReservePurpose
from optimiser.control.commands import Command, differences
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
from optimiser.control.fleet_client import FleetClient, TokenSource
from optimiser.control.policy import ControlPolicy
from optimiser.control.report import AppliedReport
from optimiser.control.safety import Failure, Lease, decide, is_forced, safe_settings
from optimiser.control.spans import ActionSpan, span_at, span_due, spans_from_plan
from optimiser.control.translate import settings_for

__all__ = [
    "ActionSpan",
    "AppliedReport",
    "ApplyReport",
    "Backend",
    "BackendName",
    "BudgetExhausted",
    "Capabilities",
    "Command",
    "CommandBudget",
    "ControlError",
    "ControlNotPermitted",
    "ControlPolicy",
    "ControlProtocolError",
    "ControlUnavailable",
    "DryRunBackend",
    "Failure",
    "FleetAuthError",
    "FleetBackend",
    "FleetClient",
    "FleetError",
    "FleetProtocolError",
    "FleetRateLimited",
    "FleetUnavailable",
    "Lease",
    "LocalBackend",
    "MemoryBackend",
    "ReservePurpose",
    "TokenSource",
    "apply_current_slot",
    "decide",
    "differences",
    "is_forced",
    "prioritise",
    "safe_settings",
    "settings_for",
    "span_at",
    "span_due",
    "spans_from_plan",
]
