"""The MQTT publisher: a service observer that publishes, and a listener that feeds the inbox.

:class:`MqttPublisher` implements :class:`~optimiser.service.observers.Observer`. Each call
from the service loop only puts a job on a bounded queue (a full queue drops the job and
counts it) and returns; one worker thread builds the payloads (:mod:`optimiser.mqtt.payloads`),
reads the recorder for savings and hands the bytes to paho's network thread
(:class:`~optimiser.mqtt.link.MqttLink`). So a broker that is down or slow costs the loop a
queue put per call, never a wait.

Retained topics (``state``, ``plan``, ``decision``, ``savings``, ``home``) and the discovery
configs are kept, and published again on every (re)connect and whenever Home Assistant says
``online`` on its status topic. The service publishes them at QoS 0: paho re-sends QoS 1
messages still unacknowledged when a connection broke after the reconnect, so a broker that
hung would be handed stale states after the fresh ones (and keep a stale one retained); what a
broken connection loses, the re-publication on reconnect makes good. A one-shot publication
(:meth:`MqttPublisher.publish_once`) has a single connection and uses QoS 1, to know the broker
has it. Commands arrive in paho's thread, are validated
(:mod:`optimiser.mqtt.commands`) and put in the service's :class:`~optimiser.service.Inbox`;
a rejected one is logged with its topic and why, answered on ``…/<command>/error``, and
changes nothing.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from optimiser.config import Config, MqttConfig
from optimiser.control.budget import CommandBudget
from optimiser.domain.clock import Clock
from optimiser.gateway.models import SiteState
from optimiser.mqtt.commands import CommandRejected, parse_command
from optimiser.mqtt.discovery import DeviceInfo, discovery_configs
from optimiser.mqtt.link import MqttLink
from optimiser.mqtt.payloads import (
    RULE_FIRED,
    EventFilter,
    decision_payload,
    encode,
    event_payload,
    home_payload,
    plan_payload,
    rules_firing,
    state_payload,
)
from optimiser.mqtt.savings import Priced, realised_savings
from optimiser.mqtt.topics import Topics
from optimiser.planning import PlanResult
from optimiser.recorder import RecordingStore
from optimiser.service.inbox import Inbox
from optimiser.service.observers import EventKind, ServiceEvent
from optimiser.service.records import CommandCount, DecisionRecord
from rules.schema import RulesFile

log = logging.getLogger("wattplan.mqtt")

QUEUE_SIZE = 256
SAVINGS_EVERY = timedelta(minutes=15)
"""Savings are read from the recorder at most this often (clock time), and after plans."""
STOP_JOIN_S = 5.0
ONCE_TIMEOUT_S = 10.0
"""How long a one-shot publication (``wattplan plan --apply``) may take. [s]"""


@dataclass(frozen=True)
class _State:
    state: SiteState
    at: datetime
    commands: CommandCount | None


@dataclass(frozen=True)
class _Plan:
    result: PlanResult
    at: datetime


class _Kind(StrEnum):
    CONNECTED = "connected"
    HA_ONLINE = "ha_online"
    BARRIER = "barrier"
    STOP = "stop"


@dataclass(frozen=True)
class _Signal:
    """Connected, Home Assistant online, a barrier (``done`` is set when reached) or stop."""

    what: _Kind
    done: threading.Event | None = None


_Job = _State | _Plan | DecisionRecord | ServiceEvent | _Signal


def rules_context_keys(rules: RulesFile | None) -> set[str]:
    """Every context key the rules file tests."""
    if rules is None:
        return set()
    return {key for rule in rules.rules if rule.when.context for key in rule.when.context}


class MqttPublisher:
    """Publishes what the service observes; takes the home's commands into ``inbox``.

    Parameters
    ----------
    config : Config
        ``mqtt`` (must be set), ``recorder.interval_s`` (expire_after, savings' gaps),
        ``site.timezone`` (today and this month).
    clock : Clock
        The service's clock (expiries are checked and savings dated on it).
    inbox : Inbox, optional
        Where accepted commands go (None: commands are answered with an error).
    tariff : optional
        Prices the recorded savings (None: no savings).
    budget : CommandBudget, optional
        The control backend's daily command budget (None: no budget to report).
    rules : RulesFile, optional
        Its context keys become settable (with ``mqtt.context_keys``).
    database : Path, optional
        The recorder's database, read for savings.
    version : str
        wattplan's version, shown in Home Assistant.
    link : callable, optional
        Builds the :class:`MqttLink` (tests may wrap it).
    """

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock,
        inbox: Inbox | None = None,
        tariff: Priced | None = None,
        budget: CommandBudget | None = None,
        rules: RulesFile | None = None,
        database: Path | None = None,
        version: str = "0",
        link: Callable[..., MqttLink] = MqttLink,
    ) -> None:
        if config.mqtt is None:
            raise ValueError("MqttPublisher needs an mqtt section in the config")
        self.mqtt: MqttConfig = config.mqtt
        self.topics = Topics.from_config(self.mqtt)
        self.clock = clock
        self.inbox = inbox
        self.tariff = tariff
        self.budget = budget
        self.database = database
        self.context_keys = frozenset(self.mqtt.context_keys) | rules_context_keys(rules)
        self._interval_s = float(config.recorder.interval_s)
        self._tz = ZoneInfo(config.site.timezone)
        self._discovery = discovery_configs(
            self.topics,
            DeviceInfo(version),
            poll_interval_s=self._interval_s,
            context_keys=self.context_keys,
        )
        self._queue: queue.Queue[_Job] = queue.Queue(maxsize=QUEUE_SIZE)
        self._retained: dict[str, bytes] = {}
        self._plan: PlanResult | None = None
        self._state: _State | None = None
        self._decision: DecisionRecord | None = None
        self._firing: set[str] = set()
        self._events = EventFilter()
        self._savings_at: datetime | None = None
        self._worker = threading.Thread(target=self._work, name="wattplan-mqtt", daemon=True)
        self._qos = 0  # see the module docstring
        self.dropped = 0
        self.published = 0
        self.rejected = 0
        self.link = link(
            self.mqtt,
            status_topic=self.topics.status,
            subscriptions=self.topics.subscriptions,
            on_connect=lambda: self._put(_Signal(_Kind.CONNECTED)),
            on_message=self._received,
        )

    # -- life ---------------------------------------------------------------------------------

    def start(self) -> MqttPublisher:
        """Start the worker and connect in the background; returns at once."""
        self._worker.start()
        self.link.start()
        return self

    def close(self, *, offline: bool = True) -> None:
        """Stop the worker, say ``offline`` (unless told not to) and disconnect."""
        self._queue.put(_Signal(_Kind.STOP))
        self._worker.join(STOP_JOIN_S)
        self.link.stop(offline=offline)

    def settle(self, timeout_s: float) -> bool:
        """Wait (bounded) until every job queued so far is published and acknowledged."""
        done = threading.Event()
        self._queue.put(_Signal(_Kind.BARRIER, done))
        return done.wait(timeout_s) and self.link.flush(timeout_s)

    def publish_once(
        self,
        state: SiteState,
        result: PlanResult,
        record: DecisionRecord,
        *,
        timeout_s: float = ONCE_TIMEOUT_S,
    ) -> bool:
        """One-shot (``wattplan plan --apply``): connect, publish discovery, the state, the
        plan and the decision, wait (bounded) for the broker to have them, disconnect. A
        broker that refuses or cannot be reached at the first attempt is not waited for.

        The status stays ``online`` (no last will fires: the timer runs again; live sensors
        expire by themselves). False when the broker could not be reached in time.
        """
        self._qos = 1  # one connection: nothing stale to resend, and settle() waits for acks
        self.start()
        try:
            if not self.link.wait_first_attempt(timeout_s):
                return False
            self.on_plan(result, record.time)
            self.on_decision(record)
            self.on_state(state, record.time)
            return self.settle(timeout_s)
        finally:
            self.close(offline=False)

    # -- Observer (the service's thread: a queue put each) ------------------------------------

    def on_state(self, state: SiteState, at: datetime) -> None:
        commands = None
        if self.budget is not None:
            commands = CommandCount.of(self.budget, at)
        self._put(_State(state, at, commands))

    def on_plan(self, result: PlanResult, at: datetime) -> None:
        self._put(_Plan(result, at))

    def on_decision(self, record: DecisionRecord) -> None:
        self._put(record)

    def on_event(self, event: ServiceEvent) -> None:
        self._put(event)

    def _put(self, job: _Job) -> None:
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            self.dropped += 1

    # -- the worker ---------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if isinstance(job, _Signal) and job.what is _Kind.STOP:
                return
            try:
                self._handle(job)
            except Exception as exc:  # publishing never stops: log and go on
                log.warning("mqtt: publishing failed: %s: %s", type(exc).__name__, exc)

    def _handle(self, job: _Job) -> None:
        if isinstance(job, _Signal):
            if job.what in (_Kind.CONNECTED, _Kind.HA_ONLINE):
                self._republish()
            if job.done is not None:
                job.done.set()
        elif isinstance(job, _State):
            self._state = job
            self._publish_state()
            if self._savings_at is None or job.at - self._savings_at >= SAVINGS_EVERY:
                self._publish_savings(job.at)
        elif isinstance(job, _Plan):
            self._plan = job.result
            self._retain(self.topics.plan, plan_payload(job.result, job.at))
            firing = set(rules_firing(job.result, job.at))
            for name in sorted(firing - self._firing):
                self._event(RULE_FIRED, job.at, f"rule {name!r} applies now")
            self._firing = firing
            self._publish_savings(job.at)
        elif isinstance(job, DecisionRecord):
            self._decision = job
            self._retain(self.topics.decision, decision_payload(job))
            self._publish_state()  # what wattplan does now changed: the action, held, asked
        elif isinstance(job, ServiceEvent):
            if job.kind is EventKind.HOME_INPUT and self.inbox is not None:
                self._retain(self.topics.home, home_payload(self.inbox.current()))
            self._event(job.kind.value, job.time, job.detail)

    def _publish_state(self) -> None:
        """The last poll's state with what is known now (plan, decision, home)."""
        if self._state is None:
            return
        job = self._state
        payload = state_payload(
            job.state,
            job.at,
            plan=self._plan,
            decision=self._decision,
            home=self.inbox.current() if self.inbox is not None else None,
            commands=job.commands,
        )
        self._retain(self.topics.state, payload)

    def _retain(self, topic: str, payload: dict[str, Any]) -> None:
        data = encode(payload)
        self._retained[topic] = data
        if self.link.publish(topic, data, retain=True, qos=self._qos):
            self.published += 1

    def _event(self, kind: str, time: datetime, detail: str) -> None:
        if not self._events.passes(kind, time, detail):
            return
        if self.link.publish(self.topics.event, encode(event_payload(kind, time, detail))):
            self.published += 1

    def _republish(self) -> None:
        """Discovery, then every retained topic (on connect and when Home Assistant asks)."""
        if self.mqtt.discovery:
            for topic, config in self._discovery.items():
                self.link.publish(topic, encode(config), retain=True, qos=self._qos)
        if self.topics.home not in self._retained:
            current = self.inbox.current() if self.inbox is not None else None
            self._retained[self.topics.home] = encode(home_payload(current))
        for topic, data in list(self._retained.items()):
            self.link.publish(topic, data, retain=True, qos=self._qos)

    def _publish_savings(self, now: datetime) -> None:
        if self.tariff is None or self.database is None:
            return
        self._savings_at = now
        path = self.database.expanduser()
        if not path.exists():
            return
        try:
            with RecordingStore(path, readonly=True) as store:
                samples = store.samples(since=now - timedelta(days=32))
        except Exception as exc:  # the recorder's own errors; savings wait for the next try
            log.warning("mqtt: cannot read savings from %s: %s", path, exc)
            return
        savings = realised_savings(
            samples, self.tariff, now, self._tz, max_step_s=3 * self._interval_s
        )
        self._retain(self.topics.savings, savings.to_json_dict())

    # -- commands (paho's thread) -------------------------------------------------------------

    def _received(self, topic: str, payload: bytes, retained: bool) -> None:
        if topic == self.topics.ha_status:
            if payload.strip().lower() == b"online":
                self._put(_Signal(_Kind.HA_ONLINE))
            return
        now = self.clock.now()
        try:
            if self.inbox is None:
                path = self.topics.command_path(topic) or topic
                raise CommandRejected(path, "this wattplan takes no commands (only run does)")
            message = parse_command(
                topic,
                payload,
                topics=self.topics,
                context_keys=self.context_keys,
                default_ttl=timedelta(minutes=self.mqtt.override_ttl_minutes),
                now=now,
                retained=retained,
            )
        except CommandRejected as exc:
            self.rejected += 1
            log.warning("mqtt: %s rejected: %s", topic, exc.why)
            reply = {"error": exc.why, "time": now.isoformat()}
            self.link.publish(self.topics.error(exc.command), encode(reply))
            return
        log.info("mqtt: %s accepted: %s", topic, message)
        self.inbox.put(message)
