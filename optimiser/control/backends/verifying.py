"""The apply algorithm the real backends share: read, send the differences within the budget,
read back, resend once what did not take (:mod:`optimiser.control.backends.base`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from optimiser.control.backends.base import ApplyReport
from optimiser.control.budget import CommandBudget, prioritise
from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import Command, differences, select_commands
from optimiser.control.errors import ControlUnavailable, FleetRateLimited
from optimiser.domain.device import Settings

log = logging.getLogger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class VerifyingBackend:
    """The shared apply algorithm; subclasses :meth:`read` and :meth:`_send`.

    Parameters
    ----------
    capabilities : Capabilities
        What the backend can do.
    budget : CommandBudget, optional
        The daily command budget (None: unlimited).
    clock : callable, optional
        Now, for the budget's day (default: real UTC time).
    """

    def __init__(
        self,
        capabilities: Capabilities,
        budget: CommandBudget | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._capabilities = capabilities
        self.budget = budget
        self.clock: Callable[[], datetime] = clock or _utc_now

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def read(self) -> Settings:  # pragma: no cover - abstract
        raise NotImplementedError

    def _send(
        self, commands: Sequence[Command], target: Settings, safety: bool, sent: list[Command]
    ) -> None:
        """Send ``commands``, appending each to ``sent`` as it goes out."""
        raise NotImplementedError  # pragma: no cover - abstract

    def commands_left(self, now: datetime) -> int | None:
        """Commands the budget still allows on ``now``'s day outside the safety reserve (None:
        the capabilities declare no daily budget; a budget then only rations what is sent)."""
        if self.budget is None or self.capabilities.commands_per_day is None:
            return None
        return self.budget.remaining(now)

    def _spend(self, commands: Sequence[Command], safety: bool) -> None:
        if self.budget is not None:
            for command in commands:
                tariff = command is Command.TARIFF
                self.budget.spend(self.clock(), safety=safety and not tariff, tariff=tariff)

    def _available(self, safety: bool) -> int | None:
        if self.budget is None:
            return None
        return self.budget.remaining(self.clock(), safety=safety)

    def _tariff_affordable(self, before: int) -> bool:
        """Whether a tariff upload sent after ``before`` other commands fits: the month has a
        tariff change left and the day a write outside the safety reserve (an upload is
        optimisation, even within a revert, so it never spends the reserve)."""
        if self.budget is None:
            return True
        now = self.clock()
        if self.budget.tariff_changes_left(now) == 0:
            return False
        return self.budget.remaining(now) - before >= 1

    def apply(
        self,
        target: Settings,
        *,
        reason: str,
        value_gbp: Mapping[Command, float] | None = None,
        safety: bool = False,
    ) -> ApplyReport:
        """Apply ``target`` (see :mod:`optimiser.control.backends.base`)."""
        before = self.read()
        kept, skipped, unsupported = select_commands(
            before, target, self.capabilities, self._available(safety), value_gbp
        )
        if Command.TARIFF in kept and not self._tariff_affordable(len(kept) - 1):
            kept.remove(Command.TARIFF)
            skipped.append(Command.TARIFF)
        sent: list[Command] = []
        errors: list[str] = []
        after: Settings | None = before
        pending = kept
        for attempt in range(2):
            if not pending:
                break
            if attempt == 1:
                available = self._available(safety)
                if available is not None and available < len(pending):
                    pending, extra = prioritise(pending, available, value_gbp)
                    skipped.extend(extra)
                    if not pending:
                        break
            try:
                self._send(pending, target, safety, sent)
            except (FleetRateLimited, ControlUnavailable) as exc:
                errors.append(str(exc))
                log.warning("apply stopped: %s", exc)
            try:
                after = self.read()
            except (FleetRateLimited, ControlUnavailable) as exc:
                errors.append(f"read-back failed: {exc}")
                after = None
                break
            if errors:
                break
            still, _ = differences(after, target, self.capabilities)
            pending = [c for c in still if c in kept]
        not_taken: tuple[Command, ...] = ()
        if after is not None:
            still, _ = differences(after, target, self.capabilities)
            not_taken = tuple(c for c in still if c in kept)
        report = ApplyReport(
            reason=reason,
            target=target,
            before=before,
            after=after,
            sent=tuple(sent),
            not_taken=not_taken,
            skipped=tuple(skipped),
            unsupported=tuple(unsupported),
            errors=tuple(errors),
            notes=target.notes,
        )
        log.info("%s", report.describe())
        return report
