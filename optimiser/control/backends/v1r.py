"""The v1r backend: signed local control (TEDAPI v1r), every change confirmed by behaviour.

One config.json write (hash-locked read-modify-write, :class:`~optimiser.gateway.v1r.V1rClient`)
sets mode, reserve (0–100, app scale, no 80 % cap), grid charging and the export rule together,
within a rolling hourly write rate (:class:`~optimiser.control.write_rate.WriteRate`).

Reading back proves the gateway stored a change, not that the Powerwall acts on it. After a
write the backend watches the live flows (``SiteState``) for at most ``behaviour_timeout_s``
(:mod:`optimiser.control.behaviour`): charging when asked to charge, not discharging when held.
If the settings read back right but the battery does not follow, the change is counted
(:attr:`V1rBackend.unacted`), logged, and — when a ``fallback`` backend (Fleet) is given — made
again through it, said in the report's notes; without one it is reported ``unconfirmed``
(the report is then not ``ok``: a safe revert stays due and is retried; while a write is in
doubt, every later ``apply`` watches again even when nothing differs to send).

The gateway's errors become control errors: a key the gateway does not know, has not verified
or whose signature fails is :class:`ControlNotPermitted` (stop and tell); unreachable, 429,
clock skew or a config changed twice under a write is :class:`ControlUnavailable` (gap and
retry, the safe fallback of every backend).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

from optimiser.control.backends.base import ApplyReport, Backend
from optimiser.control.backends.verifying import VerifyingBackend
from optimiser.control.behaviour import Expectation, Reading, expected, follows
from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import Command
from optimiser.control.errors import ControlError, ControlNotPermitted, ControlUnavailable
from optimiser.control.write_rate import WriteRate
from optimiser.domain.clock import Clock
from optimiser.domain.device import Settings
from optimiser.gateway.errors import (
    ConfigChanged,
    GatewayUnavailable,
    MessageExpired,
    RateLimited,
    SignedMessageRefused,
)
from optimiser.gateway.models import SiteState
from optimiser.gateway.v1r import ConfigSettings, SettingsChange, V1rClient

log = logging.getLogger(__name__)
T = TypeVar("T")


class SiteReader(Protocol):
    """What the behaviour check needs of :class:`optimiser.gateway.Gateway`."""

    def site_state(self) -> SiteState: ...


class V1rBackend(VerifyingBackend):
    """Signed local control of one gateway; see the module docstring.

    Parameters
    ----------
    client : V1rClient
        The paired client.
    site : SiteReader
        Live flows for the behaviour check (the gateway's customer API).
    clock : Clock
        Now and sleep between behaviour readings.
    rate : WriteRate
        The rolling hourly write rate.
    fallback : Backend, optional
        Where a change the Powerwall did not act on is made again (Fleet); None: report it.
    behaviour_timeout_s, behaviour_poll_s : float
        How long to watch the flows after a write, and how often. [s]
    """

    def __init__(
        self,
        client: V1rClient,
        site: SiteReader,
        *,
        clock: Clock,
        rate: WriteRate,
        units: int = 1,
        settle_minutes: float = 5.0,
        fallback: Backend | None = None,
        behaviour_timeout_s: float = 180.0,
        behaviour_poll_s: float = 20.0,
    ) -> None:
        capabilities = Capabilities.v1r(
            units, settle_minutes=settle_minutes, writes_per_hour=rate.per_hour
        )
        super().__init__(capabilities, None, clock.now)
        self.client = client
        self.site = site
        self.sleeper = clock
        self.rate = rate
        self.fallback = fallback
        self.behaviour_timeout_s = behaviour_timeout_s
        self.behaviour_poll_s = behaviour_poll_s
        self.confirmed = 0
        self.unacted = 0
        self.fell_back = 0
        self.checks: list[tuple[Expectation, bool]] = []
        self._doubted: Settings | None = None  # written, read back, not yet seen acted on

    def read(self) -> Settings:
        held = self._call(self.client.settings)
        return _settings(held)

    def _available(self, safety: bool) -> int | None:
        """One write carries every command: unlimited while a write is left, else none."""
        return None if self.rate.remaining(self.clock(), safety=safety) >= 1 else 0

    def _send(
        self, commands: Sequence[Command], target: Settings, safety: bool, sent: list[Command]
    ) -> None:
        if not commands:
            return
        self.rate.spend(self.clock(), safety=safety)
        sent.extend(commands)
        change = SettingsChange(
            mode=target.mode if Command.OPERATION in commands else None,
            backup_reserve_app_percent=(
                target.backup_reserve_app_percent if Command.BACKUP in commands else None
            ),
            grid_charging=target.grid_charging if Command.GRID_IMPORT_EXPORT in commands else None,
            export_rule=target.export_rule if Command.GRID_IMPORT_EXPORT in commands else None,
        )
        self._call(lambda: self.client.change(change))

    def apply(
        self,
        target: Settings,
        *,
        reason: str,
        value_gbp: Mapping[Command, float] | None = None,
        safety: bool = False,
    ) -> ApplyReport:
        """Apply ``target`` (:mod:`optimiser.control.backends.base`), then confirm by behaviour."""
        report = super().apply(target, reason=reason, value_gbp=value_gbp, safety=safety)
        if not report.ok:
            return report
        if not report.sent and self._doubted is None:
            return report
        # A fresh write is watched for the whole bound; a doubted one, one reading per apply.
        bound = self.behaviour_timeout_s if report.sent else 0.0
        acted, what = self._watch(target, bound)
        if acted:
            self._doubted = None
            self.confirmed += 1
            return report
        self._doubted = target
        self.unacted += 1
        problem = (
            f"v1r: the settings read back right but the Powerwall is not {what} "
            f"{f'after {bound:g} s' if bound else 'yet'} (stored, not acted on)"
        )
        log.warning("%s: %s", reason, problem)
        if self.fallback is None:
            return replace(report, unconfirmed=(problem,))
        self.fell_back += 1
        log.warning("%s: making the change again through %s", reason, self.fallback.capabilities)
        again = self.fallback.apply(
            target, reason=f"{reason} (v1r fallback)", value_gbp=value_gbp, safety=safety
        )
        note = f"{problem}; made again through {self.fallback.capabilities.name}"
        unconfirmed: tuple[str, ...] = ()
        if again.ok:
            acted, what = self._watch(target, self.behaviour_timeout_s)
            if not acted:
                unconfirmed = (f"after the {self.fallback.capabilities.name} fallback too: {what}",)
        return replace(
            again,
            reason=reason,
            before=report.before,
            sent=report.sent + again.sent,
            unconfirmed=unconfirmed,
            notes=(*report.notes, note),
        )

    def _watch(self, target: Settings, timeout_s: float) -> tuple[bool, str]:
        """(the battery follows ``target`` within ``timeout_s``, what was expected)."""
        waited = 0.0
        while True:
            state = self._call(self.site.site_state)
            reading = Reading(state.soc_percent, state.battery_kw, state.grid_up)
            what = expected(target, reading)
            ok = follows(what, reading)
            if ok or waited >= timeout_s:
                self.checks.append((what, ok))
                return ok, str(what)
            step = min(self.behaviour_poll_s, timeout_s - waited)
            self.sleeper.sleep(step)
            waited += step

    def _call(self, func: Callable[[], T]) -> T:
        """``func()``, with the gateway's errors turned into control errors (key never shown)."""
        try:
            return func()
        except ControlError:
            raise
        except (GatewayUnavailable, RateLimited, MessageExpired, ConfigChanged) as exc:
            raise ControlUnavailable(f"v1r: {exc}", hint=exc.hint) from exc
        except SignedMessageRefused as exc:
            raise ControlNotPermitted(f"v1r: {exc}", hint=exc.hint) from exc


def _settings(held: ConfigSettings) -> Settings:
    return Settings(
        held.mode,
        round(held.backup_reserve_app_percent, 3),
        grid_charging=held.grid_charging,
        export_rule=held.export_rule,
    )
