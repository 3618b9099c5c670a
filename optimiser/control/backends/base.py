"""The protocol every backend follows, and what an ``apply`` reports.

``apply(target, reason=…)`` is the same everywhere:

1. read the device's settings back;
2. work out which commands would change something (only those are sent; the local backend
   folds mode and reserve into its one installer call);
3. when a :class:`~optimiser.control.budget.CommandBudget` is short, keep the changes worth most
   (``value_gbp``) and report the rest as ``skipped``; the budget is never exceeded;
4. send, read back, resend once what did not take, read back again;
5. return an :class:`ApplyReport` naming what was sent, what did not take, what was skipped and
   what the backend cannot do at all (``unsupported``).

Temporary failures while sending (rate limit, network) stop the sending and are reported in
``errors``; authentication, permission and protocol errors propagate (stop and tell).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import Command, describe_commands
from optimiser.domain.device import Settings


@dataclass(frozen=True)
class ApplyReport:
    """What an ``apply`` did.

    Attributes
    ----------
    reason : str
        Why the settings were applied (logged).
    target : Settings
        What was asked for.
    before, after : Settings or None
        Read back before sending and after the last attempt (None if unreadable).
    sent : tuple of Command
        Every command sent, retries included, in order.
    not_taken : tuple of Command
        Commands whose setting still differs after the retry.
    skipped : tuple of Command
        Changes not sent because the command budget was short.
    unsupported : tuple of str
        Requested settings this backend cannot change.
    errors : tuple of str
        Temporary failures that stopped the sending.
    unconfirmed : tuple of str
        Changes that read back right but whose behaviour did not follow in time (v1r).
    dry_run : bool
        Nothing was sent (``sent`` lists what would have been).
    notes : tuple of str
        Why the target is what it is.
    """

    reason: str
    target: Settings
    before: Settings | None
    after: Settings | None
    sent: tuple[Command, ...] = ()
    not_taken: tuple[Command, ...] = ()
    skipped: tuple[Command, ...] = ()
    unsupported: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    unconfirmed: tuple[str, ...] = ()
    dry_run: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Every wanted change is in place."""
        return not (self.not_taken or self.skipped or self.errors or self.unconfirmed)

    def describe(self) -> str:
        """One line for logs."""
        parts = [f"{self.reason}: {self.target.describe()}"]
        verb = "would send" if self.dry_run else "sent"
        sent = describe_commands(self.sent, self.target) if self.sent else "nothing"
        parts.append(f"{verb} {sent}")
        for label, values in (
            ("did not take", self.not_taken),
            ("skipped (budget)", self.skipped),
            ("unsupported", self.unsupported),
            ("errors", self.errors),
            ("not acted on", self.unconfirmed),
        ):
            if values:
                parts.append(f"{label}: {', '.join(values)}")
        return "; ".join(parts)


class Backend(Protocol):
    """Anything that can read and apply Powerwall settings."""

    @property
    def capabilities(self) -> Capabilities: ...

    def read(self) -> Settings: ...

    def apply(
        self,
        target: Settings,
        *,
        reason: str,
        value_gbp: Mapping[Command, float] | None = None,
        safety: bool = False,
    ) -> ApplyReport: ...

    def commands_left(self, now: datetime) -> int | None:
        """Commands the daily budget still allows on ``now``'s day outside the safety reserve
        (None: no daily budget)."""
        ...
