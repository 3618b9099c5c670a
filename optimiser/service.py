"""``wattplan run``: the long-running service that polls, records, plans and applies.

One loop on an injectable clock (a real clock in production; an ``AcceleratedClock`` or a
``SteppedClock`` in tests, so a simulated day and night take seconds):

- **poll** every ``recorder.interval_s`` on whole multiples of it (UTC): read the gateway's
  ``SiteState``, record it (``optimiser.recorder`` store; a failed poll is a gap);
- **decide** ``control.settle_minutes`` before every slot boundary, and at
  ``control.nightly_plan_time`` (local, with fresh history): re-plan through the one planning
  path (:func:`optimiser.planning.plan_cycle`) and apply the span due through
  :func:`optimiser.control.apply_now.apply_current_slot` (safety rule included);
- **watch** at every poll: a lapsed lease is renewed from a fresh plan or reverted; a grid
  outage keeps the reserve for the home, and is checked before every other failure (nothing
  sent in an outage lowers the reserve or leaves backup mode);
- **fall back** on failures: gateway lost for ``control.gateway_loss_grace_s`` (or until the
  forced state's lease lapses, if sooner) → safe settings as soon as any backend can take them
  (for the local backend, once the gateway is back), and keep polling; solver failure or an
  invalid plan → safe settings, re-plan at the next slot; inputs unreadable (tariff, forecast)
  → keep the last plan until it is ``control.plan_max_age_minutes`` old, then safe settings;
  budget exhausted → safe settings with the commands kept for safety. A revert stays pending
  (retried every poll) until every change is read back in place;
- **stop** on :meth:`Service.request_stop` (SIGTERM, Ctrl-C), at ``until`` or on an error
  (:meth:`Service.serve`): revert a forced state to safe settings, retried within a bounded
  time, then return (or re-raise). Temporary errors (:data:`TEMPORARY`) never stop the loop.

Every decision is logged as one line (``decision: …``) and kept in :attr:`Service.decisions`.
"""

from __future__ import annotations

import logging
import math
import threading
import time as systime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from optimiser.config import Config
from optimiser.control.apply_now import AppliedReport, apply_current_slot
from optimiser.control.errors import BudgetExhausted, ControlUnavailable, FleetRateLimited
from optimiser.control.lease_file import load_lease
from optimiser.control.safety import Failure, is_forced
from optimiser.control.translate import ControlPolicy
from optimiser.domain.clock import Clock, SteppedClock
from optimiser.domain.slots import floor_to_slot, require_aware
from optimiser.gateway.errors import GatewayUnavailable, ProtocolError, RateLimited
from optimiser.planning import Forecasting, PlanResult, build_request, plan_cycle

log = logging.getLogger("wattplan.run")

#: Errors that mean "unreachable or refused for now" (retry): record a gap, fall back, keep
#: trying. Everything else (authentication, permission, trust, a Fleet request the API
#: rejects) is stop-and-tell: the service reverts what it can and exits with the error.
#: A garbled gateway answer to a poll is a gap, not a reason to stop.
TEMPORARY: tuple[type[BaseException], ...] = (
    GatewayUnavailable,
    RateLimited,
    ProtocolError,
    ControlUnavailable,
    FleetRateLimited,
    BudgetExhausted,
)
GATEWAY_LOSS = TEMPORARY

#: How long ``shutdown`` keeps retrying a revert that did not go through, and how often. [s]
STOP_RETRY_WINDOW_S = 60.0
STOP_ATTEMPTS = 3


@dataclass(frozen=True)
class DecisionRecord:
    """One decision of the service (also logged as one line).

    Attributes
    ----------
    time : datetime
        When, UTC.
    why : str
        What triggered it (``slot``, ``nightly``, ``lease lapsed``, ``gateway back``, …).
    applied : AppliedReport or None
        What was applied (None when nothing could be sent).
    plan_gbp : float or None
        Cost of the plan made for this decision, if one was made. [£]
    error : str or None
        Why nothing could be applied.
    """

    time: datetime
    why: str
    applied: AppliedReport | None
    plan_gbp: float | None = None
    error: str | None = None

    def line(self) -> str:
        """The log line."""
        head = f"decision {self.time:%Y-%m-%d %H:%M} UTC ({self.why})"
        if self.applied is None:
            return f"{head}: nothing applied: {self.error}"
        a = self.applied
        verb = "would send" if a.dry_run else "sent"
        sent = ", ".join(a.report.sent) or "nothing"
        cost = f"; plan £{self.plan_gbp:.2f}" if self.plan_gbp is not None else ""
        why = a.failure.value if a.failure is not None else (a.report.reason or "plan")
        extra = ""
        if a.report.not_taken:
            extra += f"; did not take: {', '.join(a.report.not_taken)}"
        if a.report.skipped:
            extra += f"; skipped (budget): {', '.join(a.report.skipped)}"
        if a.report.errors:
            extra += f"; errors: {'; '.join(a.report.errors)}"
        return f"{head}: {why} → {a.target.describe()}; {verb} {sent}{cost}{extra}"


@dataclass
class ServiceStats:
    """Counts of what the service did (for logs and tests)."""

    polls: int = 0
    samples: int = 0
    gaps: int = 0
    plans: int = 0
    plan_failures: int = 0
    input_failures: int = 0
    decisions: int = 0
    safe_fallbacks: int = 0
    commands_sent: int = 0
    reverted_on_stop: bool = False


def is_gateway_loss(exc: BaseException) -> bool:
    """Whether ``exc`` is temporary (retry later), by class (see :data:`TEMPORARY`)."""
    return isinstance(exc, TEMPORARY)


def stop_time_needed_s(config: Config) -> float:
    """Worst-case time ``shutdown`` may take to revert (systemd's TimeoutStopSec must cover
    it). [s]

    :data:`STOP_RETRY_WINDOW_S` for starting attempts, plus one last attempt begun just before
    it closes, plus the first read of the device: an attempt reads, sends up to
    ``safety_commands`` commands, reads back, resends once and reads again, each request
    within ``control.fleet.timeout_s``.
    """
    requests = 2 + 3 + 2 * max(config.control.safety_commands, 1)  # + the outage check's read
    timeout = float(config.control.fleet.timeout_s)
    if config.gateway is not None:
        timeout = max(timeout, float(config.gateway.timeout_s))
    return STOP_RETRY_WINDOW_S + requests * timeout


@dataclass
class _Plan:
    result: PlanResult
    made_at: datetime


@dataclass
class Service:
    """The ``wattplan run`` loop (see the module docstring).

    Parameters
    ----------
    config : Config
        The configuration.
    gateway : Gateway
        Read with ``site_state()`` at every poll.
    backend : Backend
        Where settings go (dry-run, local, fleet).
    clock : Clock
        Time source (inject a stepped or accelerated clock in tests).
    tariff : Tariff
        Prices the plans (and is doctored for export).
    store : RecordingStore, optional
        Where polls are recorded (None: not recorded).
    forecaster : Forecaster, optional
        Default: ``HistoryForecaster`` over ``history``.
    history : callable, optional
        ``history(now) -> History | None``, read at start and nightly.
    rules, context : the user's rules and context, optional.
    state_dir : Path, optional
        Lease file location (default ``config.state_path()``).
    plan_hooks : sequence of callables
        Extra planner hooks passed to ``plan_cycle`` (tests inject failures this way).
    stop_retry_window_s, stop_attempts : float, int
        How long [s] and how often :meth:`shutdown` retries a revert that did not go through.
    """

    config: Config
    gateway: Any
    backend: Any
    clock: Clock
    tariff: Any
    store: Any = None
    forecaster: Any = None
    history: Callable[[datetime], Any] | None = None
    rules: Any = None
    context: Any = None
    state_dir: Path | None = None
    plan_hooks: Sequence[Callable[..., None]] = ()
    decisions: list[DecisionRecord] = field(default_factory=list)
    plans: list[_Plan] = field(default_factory=list)
    stats: ServiceStats = field(default_factory=ServiceStats)
    on_poll: Callable[[Any], None] | None = None
    keep_plans: int = 3
    stop_retry_window_s: float = STOP_RETRY_WINDOW_S
    stop_attempts: int = STOP_ATTEMPTS

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._started = False
        self._state: Any = None
        self._gateway_lost = False
        self._lost_since: datetime | None = None
        self._loss_reverted = False
        self._grid_up = True
        self._pending_safe: str | None = None
        self._history: Any = None
        self._lease = None
        self._next_poll: float = 0.0
        self._next_decision: datetime | None = None
        self._next_nightly: datetime | None = None
        self._tz = ZoneInfo(self.config.site.timezone)
        self._policy = ControlPolicy.from_config(self.config, self.backend.capabilities)
        self._state_dir = self.state_dir if self.state_dir is not None else self.config.state_path()

    # -- public -------------------------------------------------------------------------------

    def request_stop(self) -> None:
        """Ask the loop to stop at the next opportunity (signal-safe)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def current_plan(self) -> PlanResult | None:
        return self.plans[-1].result if self.plans else None

    def run(
        self, until: datetime | None = None, *, run_for: timedelta | None = None
    ) -> ServiceStats:
        """Run until ``until`` (clock time) or a stop request; may be called again to go on.

        ``run_for`` instead counts from when the service is ready (after its first poll, plan
        and decision), so a slow start does not eat the run. On a stop request the forced
        state is reverted to safe settings before returning.
        """
        if not self._started:
            self._start()
        if run_for is not None:
            until = self.clock.now() + run_for
        while not self._stop.is_set():
            now = self.clock.now()
            next_poll = datetime.fromtimestamp(self._next_poll, now.tzinfo)
            wake = min(next_poll, self._next_decision, self._next_nightly)
            if until is not None and wake > until:
                self._sleep_until(until)
                break
            if not self._sleep_until(wake):
                break
            now = self.clock.now()
            if now.timestamp() >= self._next_poll:
                self._poll(now)
                self._next_poll = self._after(now.timestamp())
            if now >= self._next_nightly:
                self._decide(now, "nightly plan", replan=True, nightly=True)
                self._next_nightly = self._nightly_after(now)
                if self._next_decision <= now + timedelta(minutes=1):
                    self._next_decision = self._decision_after(now)
            if now >= self._next_decision:
                self._decide(now, "slot", replan=True)
                self._next_decision = self._decision_after(now)
        if self._stop.is_set():
            self.shutdown()
        return self.stats

    def serve(
        self, until: datetime | None = None, *, run_for: timedelta | None = None
    ) -> ServiceStats:
        """:meth:`run`, then :meth:`shutdown` however it ends (a stop, ``until``, or an error,
        which is re-raised after the revert)."""
        try:
            return self.run(until=until, run_for=run_for)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Revert a forced state to safe settings (called on stop); never raises.

        A revert that does not go through (an error, a change not taken or skipped) is retried
        up to ``stop_attempts`` times within ``stop_retry_window_s`` of real time; the
        lease file stays until a read-back confirms the safe settings, so the next run reverts.
        """
        if self.stats.reverted_on_stop:
            return
        self.stats.reverted_on_stop = True
        try:
            self._shutdown()
        except Exception as exc:  # never raise from shutdown: log and leave the lease behind
            log.error("stop: reverting failed: %s: %s", type(exc).__name__, exc)

    def _shutdown(self) -> None:
        forced = self._lease is not None or load_lease(self._state_dir) is not None
        try:
            device = self.backend.read()
        except Exception as exc:
            log.warning("stop: cannot read the device's settings (%s)", exc)
            device = None
        if device is not None and is_forced(device, self._policy):
            forced = True
        if not forced and self._pending_safe is None:
            log.info("stop: nothing forced is in place; leaving the settings as they are")
            return
        deadline = systime.monotonic() + self.stop_retry_window_s
        attempt = 0
        while attempt < self.stop_attempts:
            if attempt:  # the attempts spread over the window: a short blip is ridden out
                spacing = self.stop_retry_window_s / self.stop_attempts
                wait = min(spacing, deadline - systime.monotonic())
                if wait <= 0:
                    break  # no new attempt once the window has closed
                systime.sleep(wait)
            attempt += 1
            why = "stopping: forced state reverted to safe settings"
            try:
                self._apply_safe(self.clock.now(), why, on_stop=True)
            except Exception as exc:
                self._pending_safe = why
                log.warning(
                    "stop: revert attempt %d failed: %s: %s", attempt, type(exc).__name__, exc
                )
            if self._pending_safe is None:
                return
        log.error(
            "stop: the revert to safe settings is not confirmed after %d attempt(s); the lease "
            "stays in %s so the next run reverts",
            attempt,
            self._state_dir,
        )

    # -- steps --------------------------------------------------------------------------------

    def _start(self) -> None:
        self._started = True
        now = require_aware(self.clock.now(), "clock time")
        interval = float(self.config.recorder.interval_s)
        self._next_poll = math.ceil(now.timestamp() / interval) * interval
        self._next_decision = self._decision_after(now)
        self._next_nightly = self._nightly_after(now)
        log.info(
            "wattplan run: backend %s, poll every %g s, re-plan every %d min and at %s local",
            self.backend.capabilities.name,
            interval,
            self.config.planner.slot_minutes,
            self.config.control.nightly_plan_time,
        )
        self._refresh_history(now)
        self._poll(now)  # first: the grid state decides what a revert may send
        persisted = load_lease(self._state_dir)
        if persisted is not None and persisted.expired(now):
            log.info(
                "a forced state from an earlier run lapsed at %s (%s): reverting",
                persisted.expires_at.isoformat(),
                persisted.reason,
            )
            self._apply_safe(now, "earlier forced state lapsed")
        self._decide(now, "start", replan=True)

    def _poll(self, now: datetime) -> None:
        self.stats.polls += 1
        try:
            state = self.gateway.site_state()
        except Exception as exc:
            if not is_gateway_loss(exc):
                raise
            self._on_gateway_lost(now, exc)
            return
        self._state = state
        if self.store is not None:
            from optimiser.recorder import sample_from_site_state

            if self.store.add_sample(sample_from_site_state(state)):
                self.stats.samples += 1
        if self.on_poll is not None:
            self.on_poll(state)
        if self._gateway_lost:
            self._gateway_lost = False
            self._lost_since = None
            self._loss_reverted = False
            log.info("gateway back at %s", now.isoformat())
        grid_up = bool(getattr(state, "grid_up", True))
        grid_changed = grid_up != self._grid_up
        self._grid_up = grid_up  # before any revert: an outage must not lower the reserve
        if self._pending_safe is not None:
            self._apply_safe(now, self._pending_safe)
            return
        if grid_changed:
            self._decide(now, "grid back" if grid_up else "grid outage", replan=True)
            return
        if self._lease is not None and self._lease.expired(now):
            self._decide(now, "lease lapsed", replan=False)

    def _on_gateway_lost(self, now: datetime, exc: BaseException) -> None:
        self.stats.gaps += 1
        interval = float(self.config.recorder.interval_s)
        if self.store is not None:
            self.store.add_gap(now, now + timedelta(seconds=interval), type(exc).__name__, str(exc))
        if not self._gateway_lost:
            log.warning("gateway lost at %s: %s: %s", now.isoformat(), type(exc).__name__, exc)
            self._lost_since = now
        self._gateway_lost = True
        if self._pending_safe is not None:
            # Retry: the Fleet backend may take it now (the local one raises: still pending).
            self._apply_safe(now, self._pending_safe)
            return
        if self._loss_reverted:
            return
        grace = timedelta(seconds=float(self.config.control.gateway_loss_grace_s))
        lost_for = now - (self._lost_since or now)
        lease = self._lease if self._lease is not None else load_lease(self._state_dir)
        lapsed = lease is not None and lease.expired(now)
        if lost_for < grace and not lapsed:
            return  # a blip: keep the forced state (it is leased) and keep polling
        self._loss_reverted = True
        self._pending_safe = f"{Failure.GATEWAY_LOST.value}: falling back to safe settings"
        # The Fleet backend can take them now; the local one only once the gateway is back.
        self._apply_safe(now, self._pending_safe)

    def _refresh_history(self, now: datetime) -> None:
        if self.history is None:
            return
        try:
            self._history = self.history(now)
        except Exception as exc:
            log.warning("cannot read the recorded history (%s): typical profiles", exc)
            self._history = None

    def _plan(self, now: datetime) -> tuple[PlanResult | None, str | None]:
        """A fresh plan, or (None, why) when its inputs could not be read."""
        state = self._state
        if state is None:
            return None, "no site state yet"
        previous = self.current_plan
        try:
            request = build_request(
                self.config,
                state,
                now=now,
                tariff=self.tariff,
                history=self._history,
                rules=self.rules,
                context=self.context,
                previous=previous.outcome.plan if previous is not None else None,
                capabilities=self.backend.capabilities,
                forecasting=None if self.forecaster is None else Forecasting(self.forecaster),
            )
        except Exception as exc:
            self.stats.input_failures += 1
            return None, f"planning inputs unavailable: {type(exc).__name__}: {exc}"
        try:
            result = plan_cycle(
                request, self.config, cost_rules=False, hooks=tuple(self.plan_hooks)
            )
        except Exception as exc:
            self.stats.plan_failures += 1
            log.warning("planner crashed: %s: %s", type(exc).__name__, exc)
            return None, f"solver failed: {exc}"
        self.stats.plans += 1
        if not result.outcome.status.is_ok:
            self.stats.plan_failures += 1
        self.plans.append(_Plan(result, now))
        del self.plans[: -self.keep_plans]  # the previous plan steers stability
        return result, None

    def _decide(self, now: datetime, why: str, *, replan: bool, nightly: bool = False) -> None:
        if nightly:
            self._refresh_history(now)
        if self._gateway_lost:
            error = (
                "gateway lost; safe settings due"
                if self._loss_reverted or self._pending_safe is not None
                else "gateway lost; the device keeps its leased settings for the grace"
            )
            self._record(DecisionRecord(now, why, None, error=error))
            return
        plan_gbp = None
        result = self.current_plan
        made_at = self.plans[-1].made_at if self.plans else None
        if replan:
            fresh, problem = self._plan(now)
            if fresh is not None:
                result, made_at = fresh, now
                if fresh.outcome.plan is not None:
                    plan_gbp = fresh.outcome.plan.cost_gbp
            else:
                log.warning("%s; keeping the last plan", problem)
        if result is None:
            self._apply_safe(now, f"{why}: no plan")
            return
        max_age = timedelta(minutes=self.config.control.plan_max_age_minutes)
        valid_until = made_at + max_age if made_at is not None else None
        try:
            applied = apply_current_slot(
                self.config,
                self.backend,
                result,
                now,
                tariff=self.tariff,
                state_dir=self._state_dir,
                valid_until=valid_until,
                grid_up=self._grid_up,
            )
        except Exception as exc:
            if not is_gateway_loss(exc):
                raise
            self._pending_safe = f"{Failure.GATEWAY_LOST.value}: {exc}"
            self._record(DecisionRecord(now, why, None, plan_gbp, error=str(exc)))
            return
        self._after_apply(now, why, applied, plan_gbp)
        if applied.report.skipped and applied.lease is not None and applied.failure is None:
            # The budget could not buy the plan's forced state: hold safe settings instead.
            self._apply_safe(
                now, f"{Failure.BUDGET_EXHAUSTED.value}: falling back to safe settings"
            )

    def _apply_safe(self, now: datetime, why: str, *, on_stop: bool = False) -> None:
        failure = Failure.GATEWAY_LOST if why.startswith(Failure.GATEWAY_LOST.value) else None
        if why.startswith(Failure.BUDGET_EXHAUSTED.value):
            failure = Failure.BUDGET_EXHAUSTED
        try:
            applied = apply_current_slot(
                self.config,
                self.backend,
                None,
                now,
                tariff=self.tariff,
                state_dir=self._state_dir,
                failure=failure,
                grid_up=self._grid_up,
            )
        except Exception as exc:
            if not is_gateway_loss(exc) and not on_stop:
                raise
            self._pending_safe = why
            self._record(DecisionRecord(now, why, None, error=f"cannot apply yet: {exc}"))
            return
        # Done only when every change is in place: an error, a change that did not take or one
        # the budget skipped leaves the revert pending (retried at the next poll).
        self._pending_safe = None if applied.report.ok else why
        self.stats.safe_fallbacks += 1
        self._after_apply(now, why, applied, None)

    def _after_apply(
        self, now: datetime, why: str, applied: AppliedReport, plan_gbp: float | None
    ) -> None:
        self._lease = applied.lease
        if not applied.dry_run:
            self.stats.commands_sent += len(applied.report.sent)
        self._record(DecisionRecord(now, why, applied, plan_gbp))

    def _record(self, record: DecisionRecord) -> None:
        self.stats.decisions += 1
        self.decisions.append(record)
        log.info("%s", record.line())

    # -- timing -------------------------------------------------------------------------------

    def _after(self, now_s: float) -> float:
        interval = float(self.config.recorder.interval_s)
        return (math.floor(now_s / interval) + 1) * interval

    def _decision_after(self, now: datetime) -> datetime:
        """The next slot boundary minus the settle margin, strictly after ``now``."""
        minutes = self.config.planner.slot_minutes
        settle = timedelta(minutes=self.config.control.settle_minutes)
        boundary = floor_to_slot(now, minutes) + timedelta(minutes=minutes)
        while boundary - settle <= now:
            boundary += timedelta(minutes=minutes)
        return boundary - settle

    def _nightly_after(self, now: datetime) -> datetime:
        hh, mm = (int(x) for x in self.config.control.nightly_plan_time.split(":"))
        local = now.astimezone(self._tz)
        day = local.date()
        while True:
            at = datetime.combine(day, time(hh, mm), self._tz)
            if at > now:
                return at.astimezone(now.tzinfo)
            day += timedelta(days=1)

    def _sleep_until(self, target: datetime) -> bool:
        """Sleep on the clock until ``target``; False when a stop was requested first."""
        stepped = isinstance(self.clock, SteppedClock)
        speed = float(getattr(self.clock, "speed", 1.0))
        while not self._stop.is_set():
            remaining = (target - self.clock.now()).total_seconds()
            if remaining <= 0:
                return True
            # Nap at most a real second, so a stop request is noticed promptly.
            self.clock.sleep(remaining if stepped else min(remaining, speed))
        return False
