"""The ``wattplan run`` loop: poll → record → decide → apply, on an injected clock.

The order of its steps, the watchdog's state (:mod:`optimiser.service.watchdog`), the timer
(:mod:`optimiser.service.timer`) and the stop's retries (:mod:`optimiser.service.stop`) are
described in the package docstring (:mod:`optimiser.service`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from optimiser.config import Config
from optimiser.control import Backend
from optimiser.control.apply_now import apply_current_slot
from optimiser.control.backends import DryRunBackend
from optimiser.control.budget import CommandBudget
from optimiser.control.lease_file import load_lease
from optimiser.control.policy import ControlPolicy
from optimiser.control.report import AppliedReport
from optimiser.control.safety import Failure, Lease, is_forced
from optimiser.domain.clock import Clock
from optimiser.domain.history import History
from optimiser.domain.slots import require_aware
from optimiser.forecast import Forecaster
from optimiser.gateway.models import SiteState
from optimiser.planner.solve import Hook
from optimiser.planning import Forecasting, PlanRequest, PlanResult, build_request, plan_cycle
from optimiser.recorder import RecordingStore, sample_from_site_state
from optimiser.service.home import HomeInputs
from optimiser.service.inbox import Inbox
from optimiser.service.observers import EventKind, Observer, ServiceEvent, notify
from optimiser.service.records import CommandCount, DecisionRecord, ServiceStats
from optimiser.service.stop import STOP_ATTEMPTS, STOP_RETRY_WINDOW_S, retry_spread
from optimiser.service.timer import (
    Schedule,
    decision_after,
    nightly_after,
    poll_after,
    sleep_until,
)
from optimiser.service.watchdog import Link, SafeRevert, Watchdog, carries_on
from rules.context import Context
from rules.schema import RulesFile
from tariffs.model import Tariff

log = logging.getLogger("wattplan.run")

STOPPING = SafeRevert("stopping: forced state reverted to safe settings")


class SiteReader(Protocol):
    """Where the service reads the site (the gateway client)."""

    def site_state(self) -> SiteState: ...


@dataclass
class KeptPlan:
    """A plan the service made, and when."""

    result: PlanResult
    made_at: datetime


@dataclass
class Service:
    """The ``wattplan run`` loop (see :mod:`optimiser.service`).

    Parameters
    ----------
    config : Config
        The configuration.
    gateway : SiteReader
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
        With an ``inbox``, the home's facts, override and reserve floor are merged into
        these as they arrive (:mod:`optimiser.service.home`).
    state_dir : Path, optional
        Lease file location (default ``config.state_path()``).
    plan_hooks : sequence of callables
        Extra planner hooks passed to ``plan_cycle`` (tests inject failures this way).
    on_poll : callable, optional
        Called with every site state read.
    observers : sequence of Observer
        Publishers told of every poll, plan, decision and event (MQTT, the dashboard);
        see :mod:`optimiser.service.observers`.
    inbox : Inbox, optional
        Messages from the home (context facts, a manual override, a reserve floor, control
        on/off, re-plan now); the loop wakes for them and re-plans at once
        (:mod:`optimiser.service.inbox`).
    budget : CommandBudget, optional
        The backend's daily command budget: every decision records what is used and left.
    first_state : SiteState, optional
        A reading taken just before the start (``wattplan run`` waits for the gateway's first
        answer to size the backend): the start's poll uses it instead of reading again.
    keep_plans : int
        How many recent plans :attr:`plans` keeps.
    stop_retry_window_s, stop_attempts : float, int
        How long [s] and how often :meth:`shutdown` retries a revert that did not go through.
    """

    config: Config
    gateway: SiteReader
    backend: Backend
    clock: Clock
    tariff: Tariff
    store: RecordingStore | None = None
    forecaster: Forecaster | None = None
    history: Callable[[datetime], History | None] | None = None
    rules: RulesFile | None = None
    context: Context | None = None
    state_dir: Path | None = None
    plan_hooks: Sequence[Hook] = ()
    decisions: list[DecisionRecord] = field(default_factory=list)
    plans: list[KeptPlan] = field(default_factory=list)
    stats: ServiceStats = field(default_factory=ServiceStats)
    on_poll: Callable[[SiteState], None] | None = None
    observers: Sequence[Observer] = ()
    inbox: Inbox | None = None
    budget: CommandBudget | None = None
    first_state: SiteState | None = None
    keep_plans: int = 3
    stop_retry_window_s: float = STOP_RETRY_WINDOW_S
    stop_attempts: int = STOP_ATTEMPTS

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self.watchdog = Watchdog()
        self._schedule: Schedule | None = None  # set by the start
        self._state: SiteState | None = None
        self._history: History | None = None
        self._lease: Lease | None = None
        self._tz = ZoneInfo(self.config.site.timezone)
        self._policy = ControlPolicy.from_config(self.config, self.backend.capabilities)
        self._state_dir = self.state_dir if self.state_dir is not None else self.config.state_path()
        self.home = HomeInputs()
        self._user_rules, self._user_context = self.rules, self.context
        self._user_config = self.config
        self._controlling = self.backend

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
        at = self._schedule if self._schedule is not None else self._start()
        if run_for is not None:
            until = self.clock.now() + run_for
        while not self._stop.is_set():
            wake = self._home_wake(at.wake())
            last = until is not None and wake > until
            if not sleep_until(self.clock, until if last else wake, self._stop, self._woken):
                break
            now = self.clock.now()
            if self._home_due(now):
                self._take_home(now)
                continue
            if last:
                break
            if now.timestamp() >= at.poll_s:
                self._poll(now)
                at.poll_s = poll_after(now.timestamp(), self._interval_s)
            if now >= at.nightly:
                self._decide(now, "nightly plan", replan=True, nightly=True)
                at.nightly = self._nightly_after(now)
                if at.decision <= now + timedelta(minutes=1):  # the nightly plan was this slot's
                    at.decision = self._decision_after(now)
            if now >= at.decision:
                self._decide(now, "slot", replan=True)
                at.decision = self._decision_after(now)
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
            self._revert_on_stop()
        except Exception as exc:  # never raise from shutdown: log and leave the lease behind
            log.error("stop: reverting failed: %s: %s", type(exc).__name__, exc)

    # -- steps --------------------------------------------------------------------------------

    def _start(self) -> Schedule:
        now = require_aware(self.clock.now(), "clock time")
        self._schedule = Schedule(
            poll_after(now.timestamp(), self._interval_s),  # the start polls now: the next is due
            self._decision_after(now),
            self._nightly_after(now),
        )
        log.info(
            "wattplan run: backend %s, poll every %g s, re-plan every %d min and at %s local",
            self.backend.capabilities.name,
            self._interval_s,
            self.config.planner.slot_minutes,
            self.config.control.nightly_plan_time,
        )
        self._refresh_history(now)
        # First: the grid state decides what a revert may send.
        self._poll(now, reading=self.first_state)
        self.first_state = None
        persisted = load_lease(self._state_dir)
        if persisted is not None and persisted.expired(now):
            log.info(
                "a forced state from an earlier run lapsed at %s (%s): reverting",
                persisted.expires_at.isoformat(),
                persisted.reason,
            )
            self._apply_safe(now, SafeRevert("earlier forced state lapsed"))
        self._decide(now, "start", replan=True)
        return self._schedule

    def _poll(self, now: datetime, *, reading: SiteState | None = None) -> None:
        """Read the site (or take ``reading``, just read), record, tell the observers, watch."""
        self.stats.polls += 1
        if reading is not None:
            state = reading
        else:
            try:
                state = self.gateway.site_state()
            except Exception as exc:
                if not carries_on(exc):
                    raise
                self._on_poll_failed(now, exc)
                return
        self._state = state
        if self.store is not None and self.store.add_sample(sample_from_site_state(state)):
            self.stats.samples += 1
        if self.on_poll is not None:
            self.on_poll(state)
        notify(self.observers, lambda o: o.on_state(state, now))
        if self.watchdog.link is not Link.UP:
            log.info("gateway back at %s", now.isoformat())
            self._event(EventKind.GATEWAY_BACK, now, "the gateway answers again")
        grid_changed = self.watchdog.answered(state.grid_up)
        if grid_changed:
            kind = EventKind.GRID_RESTORED if state.grid_up else EventKind.GRID_LOST
            self._event(kind, now, "grid restored" if state.grid_up else "grid outage")
        revert = self.watchdog.revert_due
        if revert is not None:
            self._apply_safe(now, revert)
            return
        if grid_changed:
            self._decide(now, "grid back" if state.grid_up else "grid outage", replan=True)
            return
        if self._lease is not None and self._lease.expired(now):
            self._decide(now, "lease lapsed", replan=False)

    def _on_poll_failed(self, now: datetime, exc: BaseException) -> None:
        self.stats.gaps += 1
        if self.store is not None:
            gap_end = now + timedelta(seconds=self._interval_s)
            self.store.add_gap(now, gap_end, type(exc).__name__, str(exc))
        if self.watchdog.link is Link.UP:
            log.warning("gateway lost at %s: %s: %s", now.isoformat(), type(exc).__name__, exc)
            self._event(EventKind.GATEWAY_LOST, now, f"{type(exc).__name__}: {exc}")
        grace = timedelta(seconds=float(self.config.control.gateway_loss_grace_s))
        revert = self.watchdog.failed(now, grace, lambda: self._lease_lapsed(now))
        if revert is not None:
            # The Fleet backend can take it now; the local one only once the gateway is back.
            self._apply_safe(now, revert)

    def _lease_lapsed(self, now: datetime) -> bool:
        lease = self._lease if self._lease is not None else load_lease(self._state_dir)
        return lease is not None and lease.expired(now)

    def _refresh_history(self, now: datetime) -> None:
        if self.history is None:
            return
        try:
            self._history = self.history(now)
        except Exception as exc:
            log.warning("cannot read the recorded history (%s): typical profiles", exc)
            self._history = None

    def _request(self, now: datetime, state: SiteState) -> PlanRequest:
        """The planning request at ``now``: the one request builder, fed the service's view."""
        previous = self.current_plan
        return build_request(
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

    def _plan(self, now: datetime) -> tuple[PlanResult | None, str | None]:
        """A fresh plan, or (None, why) when its inputs could not be read."""
        if self._state is None:
            return None, "no site state yet"
        try:
            request = self._request(now, self._state)
        except Exception as exc:  # any input failure keeps the last plan until it expires
            self.stats.input_failures += 1
            return None, f"planning inputs unavailable: {type(exc).__name__}: {exc}"
        try:
            result = plan_cycle(
                request, self.config, cost_rules=False, hooks=tuple(self.plan_hooks)
            )
        except Exception as exc:  # a crashed solve is a failed plan: safe settings
            self.stats.plan_failures += 1
            log.warning("planner crashed: %s: %s", type(exc).__name__, exc)
            self._event(EventKind.PLAN_FAILED, now, f"solver failed: {exc}")
            return None, f"solver failed: {exc}"
        self.stats.plans += 1
        if not result.outcome.status.is_ok:
            self.stats.plan_failures += 1
            self._event(EventKind.PLAN_FAILED, now, result.outcome.message or "no feasible plan")
        self.plans.append(KeptPlan(result, now))
        del self.plans[: -self.keep_plans]  # the previous plan steers stability
        notify(self.observers, lambda o: o.on_plan(result, now))
        return result, None

    def _decide(self, now: datetime, why: str, *, replan: bool, nightly: bool = False) -> None:
        if nightly:
            self._refresh_history(now)
        blocked = self.watchdog.blocked()
        if blocked is not None:
            self._record(DecisionRecord(now, why, None, error=blocked))
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
            self._apply_safe(now, SafeRevert(f"{why}: no plan"))
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
                grid_up=self.watchdog.grid_up,
            )
        except Exception as exc:
            if not carries_on(exc):
                raise
            self.watchdog.due(SafeRevert.after(Failure.GATEWAY_LOST, str(exc)))
            self._record(DecisionRecord(now, why, None, plan_gbp, error=str(exc)))
            return
        self._after_apply(now, why, applied, plan_gbp)
        if applied.report.skipped and applied.lease is not None and applied.failure is None:
            # The budget could not buy the plan's forced state: hold safe settings instead.
            revert = SafeRevert.after(Failure.BUDGET_EXHAUSTED, "falling back to safe settings")
            self._apply_safe(now, revert)

    def _apply_safe(self, now: datetime, revert: SafeRevert, *, on_stop: bool = False) -> None:
        try:
            applied = apply_current_slot(
                self.config,
                self.backend,
                None,
                now,
                tariff=self.tariff,
                state_dir=self._state_dir,
                failure=revert.failure,
                grid_up=self.watchdog.grid_up,
            )
        except Exception as exc:
            if not carries_on(exc) and not on_stop:
                raise
            self.watchdog.due(revert)
            self._record(DecisionRecord(now, revert.why, None, error=f"cannot apply yet: {exc}"))
            return
        # Done only when every change is in place: an error, a change that did not take or one
        # the budget skipped leaves the revert due (retried at the next poll).
        self.watchdog.reverted(revert, confirmed=applied.report.ok)
        self.stats.safe_fallbacks += 1
        self._event(EventKind.SAFE_FALLBACK, now, revert.why)
        self._after_apply(now, revert.why, applied, None)

    def _revert_on_stop(self) -> None:
        forced = self._lease is not None or load_lease(self._state_dir) is not None
        try:
            device = self.backend.read()
        except Exception as exc:
            log.warning("stop: cannot read the device's settings (%s)", exc)
            device = None
        if device is not None and is_forced(device, self._policy):
            forced = True
        if not forced and self.watchdog.revert_due is None:
            log.info("stop: nothing forced is in place; leaving the settings as they are")
            return

        def attempt(n: int) -> bool:
            try:
                self._apply_safe(self.clock.now(), STOPPING, on_stop=True)
            except Exception as exc:
                self.watchdog.due(STOPPING)
                log.warning("stop: revert attempt %d failed: %s: %s", n, type(exc).__name__, exc)
            return self.watchdog.revert_due is None

        made = retry_spread(attempt, attempts=self.stop_attempts, window_s=self.stop_retry_window_s)
        if self.watchdog.revert_due is None:
            return
        log.error(
            "stop: the revert to safe settings is not confirmed after %d attempt(s); the lease "
            "stays in %s so the next run reverts",
            made,
            self._state_dir,
        )

    def _after_apply(
        self, now: datetime, why: str, applied: AppliedReport, plan_gbp: float | None
    ) -> None:
        self._lease = applied.lease
        if not applied.dry_run:
            self.stats.commands_sent += len(applied.report.sent)
        self._record(DecisionRecord(now, why, applied, plan_gbp))

    def _record(self, record: DecisionRecord) -> None:
        if self.budget is not None:
            record = replace(record, commands=CommandCount.of(self.budget, record.time))
        self.stats.decisions += 1
        self.decisions.append(record)
        log.info("%s", record.line())
        notify(self.observers, lambda o: o.on_decision(record))
        report = record.applied.report if record.applied is not None else None
        if report is not None and report.not_taken:
            detail = f"did not take: {', '.join(report.not_taken)}"
            self._event(EventKind.COMMAND_REFUSED, record.time, detail)
        if report is not None and report.skipped:
            detail = f"skipped (budget): {', '.join(report.skipped)}"
            self._event(EventKind.BUDGET_EXHAUSTED, record.time, detail)

    def _event(self, kind: EventKind, now: datetime, detail: str) -> None:
        event = ServiceEvent(kind, now, detail)
        notify(self.observers, lambda o: o.on_event(event))

    # -- the home -----------------------------------------------------------------------------

    @property
    def _woken(self) -> threading.Event | None:
        return self.inbox.wake if self.inbox is not None else None

    def _home_wake(self, wake: datetime) -> datetime:
        """``wake``, or earlier when a home fact or override lapses before it."""
        lapse = self.home.next_lapse()
        return wake if lapse is None else min(wake, lapse)

    def _home_due(self, now: datetime) -> bool:
        lapse = self.home.next_lapse()
        woken = self.inbox is not None and self.inbox.wake.is_set()
        return woken or (lapse is not None and lapse <= now)

    def _take_home(self, now: datetime) -> None:
        """Fold the home's messages (and what lapsed) into planning, and decide again now."""
        messages = self.inbox.drain() if self.inbox is not None else []
        home, changes = self.home.taking(messages, now)
        if not changes:
            return
        control_was = self.home.control_on
        self.home = home
        self.config = home.control_config(self._user_config)
        self.context = home.context(self._user_context)
        self.rules = home.rules(self._user_rules, floor_percent=self.config.battery.reserve_percent)
        if self.inbox is not None:
            self.inbox.settle(home)
        what = "; ".join(changes)
        log.info("home: %s", what)
        self._event(EventKind.HOME_INPUT, now, what)
        if home.control_on != control_was:
            self._switch_control(now, on=home.control_on)
        self._decide(now, f"home: {what}", replan=True)

    def _switch_control(self, now: datetime, *, on: bool) -> None:
        """Control on: the configured backend again. Off: safe settings first (a forced state
        is not left behind), then a dry run that reads the device and sends nothing."""
        if on:
            self.backend = self._controlling
            return
        self._apply_safe(now, SafeRevert("control switched off: safe settings"))
        self.backend = DryRunBackend(self._controlling)

    # -- timing -------------------------------------------------------------------------------

    @property
    def _interval_s(self) -> float:
        return float(self.config.recorder.interval_s)

    def _decision_after(self, now: datetime) -> datetime:
        return decision_after(
            now, self.config.planner.slot_minutes, self.config.control.settle_minutes
        )

    def _nightly_after(self, now: datetime) -> datetime:
        return nightly_after(now, self.config.control.nightly_plan_time, self._tz)
