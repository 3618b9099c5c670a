"""``wattplan run``: the long-running service that polls, records, plans and applies.

One loop (:mod:`~optimiser.service.loop`) on an injectable clock (a real clock in production;
an ``AcceleratedClock`` or a ``SteppedClock`` in tests, so a simulated day and night take
seconds):

- **poll** every ``recorder.interval_s`` on whole multiples of it (UTC): read the gateway's
  ``SiteState``, record it (``optimiser.recorder`` store; a failed poll is a gap);
- **decide** ``control.settle_minutes`` before every slot boundary, and at
  ``control.nightly_plan_time`` (local, with fresh history): re-plan through the one planning
  path (:func:`optimiser.planning.plan_cycle`) and apply the span due through
  :func:`optimiser.control.apply_now.apply_current_slot` (safety rule included). When these
  fall due is :mod:`~optimiser.service.timer`'s job;
- **watch** at every poll (:mod:`~optimiser.service.watchdog`, the safety state): a lapsed
  lease is renewed from a fresh plan or reverted; a grid outage keeps the reserve for the home,
  and is checked before every other failure (nothing sent in an outage lowers the reserve or
  leaves backup mode);
- **fall back** on failures: gateway lost for ``control.gateway_loss_grace_s`` (or until the
  forced state's lease lapses, if sooner) → safe settings as soon as any backend can take them
  (for the local backend, once the gateway is back), and keep polling; solver failure or an
  invalid plan → safe settings, re-plan at the next slot; inputs unreadable (tariff, forecast)
  → keep the last plan until it is ``control.plan_max_age_minutes`` old, then safe settings;
  budget exhausted → safe settings with the commands kept for safety. A revert stays due
  (retried every poll) until every change is read back in place;
- **stop** on :meth:`Service.request_stop` (SIGTERM, Ctrl-C), at ``until`` or on an error
  (:meth:`Service.serve`): revert a forced state to safe settings, retried within a bounded
  time (:mod:`~optimiser.service.stop`), then return (or re-raise).

Errors follow their class's policy (:mod:`optimiser.domain.errors`): a gap-and-retry error —
the gateway unreachable, rate-limited or answering something wattplan does not understand, a
control backend unreachable, rate-limited or out of budget — never stops the loop: a failed
poll is a gap (and counts towards the gateway-loss grace; nothing it answered is acted on), a
failed apply leaves safe settings due. Any other error (authentication, access, trust, a
command the device rejected) stops the service after its revert, and the CLI exits with the
error's code.

Every decision is logged as one line (``decision: …``) and kept in :attr:`Service.decisions`
(:mod:`~optimiser.service.records`). Publishers (MQTT, the dashboard) observe polls, plans,
decisions and events through :mod:`~optimiser.service.observers` and never block the loop.
What the home tells the service (context facts, a manual override, a reserve floor, control
on/off, re-plan now) arrives through :mod:`~optimiser.service.inbox`: the loop wakes at once,
merges it into its context and rules (:mod:`~optimiser.service.home`) and re-plans; overrides
reach the device through the same safety rule and command budget as the plan's own decisions.
"""

from optimiser.service.home import HomeInputs
from optimiser.service.inbox import (
    ContextFact,
    ControlSwitch,
    HomeMessage,
    Inbox,
    ManualMode,
    ModeOverride,
    ReplanNow,
    ReserveFloor,
)
from optimiser.service.loop import Service
from optimiser.service.observers import EventKind, Observer, ServiceEvent
from optimiser.service.records import DecisionRecord, ServiceStats
from optimiser.service.stop import stop_time_needed_s

__all__ = [
    "ContextFact",
    "ControlSwitch",
    "DecisionRecord",
    "EventKind",
    "HomeInputs",
    "HomeMessage",
    "Inbox",
    "ManualMode",
    "ModeOverride",
    "Observer",
    "ReplanNow",
    "ReserveFloor",
    "Service",
    "ServiceEvent",
    "ServiceStats",
    "stop_time_needed_s",
]
