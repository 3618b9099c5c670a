"""What the home has told the service, and how it enters planning (pure).

:class:`HomeInputs` folds the inbox's messages (:mod:`optimiser.service.inbox`) into the
service's view, lapses what expired, and turns it into the two inputs planning already takes:

- **context**: the home's facts merged over the user's (``--context``, context files), the
  home's facts winning; a manual override is the fact :data:`OVERRIDE_KEY` = its mode, expiring
  at the end of its time to live;
- **rules**: the user's rules plus, while they apply, a reserve-floor rule and the override's
  rule (:func:`override_rule`), ranked above every user rule. The override's rule tests the
  :data:`OVERRIDE_KEY` fact, so the plan itself stops holding (charging, exporting) at the
  slot where the override lapses; the service re-plans at that moment too.

An override therefore changes the *plan*, and the device follows the plan through
:func:`~optimiser.control.apply_now.apply_current_slot`: the safety rule, the lease and the
command budget treat it exactly as the planner's own decisions (a self-powered override
reaches the device as a forced mode, :attr:`~optimiser.planning.PlanResult.force_mode`). Only
the flip hysteresis (``control.flip_value_gbp``: a short hold not worth its commands is not
sent) is off while an override is in force (:meth:`HomeInputs.control_config`): the home
asked for exactly this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from optimiser.config import Config
from optimiser.service.inbox import (
    ContextFact,
    ControlSwitch,
    Expiry,
    HomeMessage,
    ManualMode,
    ModeOverride,
    ReplanNow,
    ReserveFloor,
)
from rules.context import Context, ContextEntry
from rules.schema import Do, ForceMode, MinReserve, Rule, RulesFile, When

OVERRIDE_KEY = "manual_mode"
"""The context fact a manual override sets (rules may test it too)."""
HOME_PRIORITY = 1_000_000
"""The home's rules outrank every rule in the user's file."""
FLOOR_RULE = "home: reserve floor"


@dataclass(frozen=True)
class Override:
    """A manual mode in force until ``until`` (aware)."""

    mode: ManualMode
    until: datetime
    source: str = "home"


@dataclass(frozen=True)
class HomeInputs:
    """The home's facts, override, reserve floor and control switch, as the service applies
    them.

    Attributes
    ----------
    facts : Mapping[str, ContextEntry]
        Context facts set by the home, with their expiries.
    override : Override or None
        The manual mode in force, if any.
    reserve_floor_percent : float or None
        A floor on the stored energy, Tesla app scale. [%]
    control_on : bool
        False: decisions are made and reported, nothing is sent (dry run).
    """

    facts: Mapping[str, ContextEntry] = field(default_factory=dict)
    override: Override | None = None
    reserve_floor_percent: float | None = None
    control_on: bool = True

    # -- changes ------------------------------------------------------------------------------

    def taking(
        self, messages: Iterable[HomeMessage], now: datetime
    ) -> tuple[HomeInputs, list[str]]:
        """These inputs after ``messages`` and whatever lapsed by ``now``, and what changed
        (in words; a re-plan request is a change too)."""
        inputs, changes = self.lapsed(now)
        for message in messages:
            inputs, change = inputs._taking(message, now)
            if change:
                changes.append(change)
        return inputs, changes

    def lapsed(self, now: datetime) -> tuple[HomeInputs, list[str]]:
        """Without what expired by ``now``, and what that was (in words)."""
        changes: list[str] = []
        facts = dict(self.facts)
        for key, entry in self.facts.items():
            if entry.expires is not None and entry.expires <= now:
                del facts[key]
                changes.append(f"context {key} expired")
        override = self.override
        if override is not None and override.until <= now:
            override = None
            changes.append(f"manual {self.override.mode.value} lapsed: back to the plan")
        if not changes:
            return self, []
        return replace(self, facts=facts, override=override), changes

    def _taking(self, message: HomeMessage, now: datetime) -> tuple[HomeInputs, str | None]:
        if isinstance(message, ContextFact):
            facts = dict(self.facts)
            if message.value is None:
                if facts.pop(message.key, None) is None:
                    return self, None
                return replace(self, facts=facts), f"context {message.key} withdrawn"
            expires = resolve(message.expires, now)
            facts[message.key] = ContextEntry(message.value, expires, message.source)
            until = f" until {expires:%Y-%m-%d %H:%M} UTC" if expires is not None else ""
            return replace(self, facts=facts), f"context {message.key}={message.value!r}{until}"
        if isinstance(message, ModeOverride):
            if message.mode is ManualMode.AUTO:
                if self.override is None:
                    return self, None
                return replace(self, override=None), "manual override ended: back to the plan"
            until = now + message.ttl
            override = Override(message.mode, until, message.source)
            change = f"manual {message.mode.value} until {until:%Y-%m-%d %H:%M} UTC"
            return replace(self, override=override), change
        if isinstance(message, ReserveFloor):
            if message.percent == self.reserve_floor_percent:
                return self, None
            change = (
                "reserve floor removed"
                if message.percent is None
                else f"reserve floor {message.percent:g}%"
            )
            return replace(self, reserve_floor_percent=message.percent), change
        if isinstance(message, ControlSwitch):
            if message.on == self.control_on:
                return self, None
            return replace(self, control_on=message.on), (
                "control on" if message.on else "control off (dry run)"
            )
        if isinstance(message, ReplanNow):
            return self, "re-plan now"
        raise TypeError(f"expected a home message, got {type(message).__name__}")

    def next_lapse(self) -> datetime | None:
        """When the next fact or the override lapses (None: nothing will)."""
        times = [e.expires for e in self.facts.values() if e.expires is not None]
        if self.override is not None:
            times.append(self.override.until)
        return min(times) if times else None

    # -- into planning ------------------------------------------------------------------------

    def context(self, base: Context | None) -> Context:
        """``base`` (the user's context) with the home's facts and override on top."""
        entries = dict(base.entries) if base is not None else {}
        entries.update(self.facts)
        if self.override is not None:
            o = self.override
            entries[OVERRIDE_KEY] = ContextEntry(o.mode.value, o.until, o.source)
        return Context(entries)

    def rules(self, base: RulesFile | None, *, floor_percent: float) -> RulesFile | None:
        """``base`` (the user's rules) with the home's floor and override rules first.

        ``floor_percent`` is the configured reserve floor (an export override stops there). [%]
        """
        extra: list[Rule] = []
        if self.reserve_floor_percent is not None:
            do = Do(min_reserve=MinReserve(percent=self.reserve_floor_percent, hard=True))
            extra.append(Rule(name=FLOOR_RULE, do=do, priority=HOME_PRIORITY))
        if self.override is not None:
            extra.append(override_rule(self.override.mode, floor_percent))
        if not extra:
            return base
        kept = tuple(r for r in base.rules if r.name not in {x.name for x in extra}) if base else ()
        return RulesFile(rules=(*extra, *kept))

    def control_config(self, config: Config) -> Config:
        """``config`` as control applies it: no flip hysteresis while an override is in force."""
        if self.override is None or config.control.flip_value_gbp == 0:
            return config
        control = config.control.model_copy(update={"flip_value_gbp": 0.0})
        return config.model_copy(update={"control": control})

    def held(self) -> bool:
        """Whether the home asked to hold the battery."""
        return self.override is not None and self.override.mode is ManualMode.HOLD

    def to_json_dict(self) -> dict[str, Any]:
        """JSON form (for publishers)."""
        override = None
        if self.override is not None:
            override = {
                "mode": self.override.mode.value,
                "until": self.override.until.isoformat(),
                "source": self.override.source,
            }
        return {
            "context": {
                key: {
                    "value": entry.value,
                    "expires": entry.expires.isoformat() if entry.expires else None,
                }
                for key, entry in sorted(self.facts.items())
            },
            "override": override,
            "reserve_floor_percent": self.reserve_floor_percent,
            "control": self.control_on,
        }


def resolve(expiry: Expiry, now: datetime) -> datetime | None:
    """An absolute expiry: a duration counts from ``now``."""
    if isinstance(expiry, timedelta):
        return now + expiry
    return expiry


def override_rule(mode: ManualMode, floor_percent: float) -> Rule:
    """The rule a manual ``mode`` stands for, firing while :data:`OVERRIDE_KEY` says so.

    ``hold``: no discharge, no battery export; ``charge``: a hard 100 % floor (charge as fast
    as allowed) and no discharge; ``export``: a hard ceiling at the reserve floor (discharge as
    fast as the device can, the surplus leaves through the meter); ``self_powered``: the
    self-powered mode forced on the device.
    """
    actions: dict[ManualMode, Do] = {
        ManualMode.HOLD: Do(hold=True, no_export="battery"),
        ManualMode.CHARGE: Do(min_reserve=MinReserve(percent=100, hard=True), hold=True),
        ManualMode.EXPORT: Do(max_soc_percent=floor_percent),
        ManualMode.SELF_POWERED: Do(force_mode=ForceMode.SELF_CONSUMPTION),
    }
    if mode not in actions:
        raise ValueError(f"expected a manual mode other than auto, got {mode.value!r}")
    return Rule(
        name=f"home: manual {mode.value}",
        when=When(context={OVERRIDE_KEY: mode.value}),
        do=actions[mode],
        priority=HOME_PRIORITY,
    )
