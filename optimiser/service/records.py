"""What the service did: one record per decision (also logged as one line), and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from optimiser.control.budget import CommandBudget
from optimiser.control.report import AppliedReport


@dataclass(frozen=True)
class CommandCount:
    """Settings commands spent and left today (the backend's daily budget; the commands kept
    for safety reverts are not counted as left)."""

    used: int
    left: int

    @classmethod
    def of(cls, budget: CommandBudget, now: datetime) -> CommandCount:
        """``budget``'s count on ``now``'s UTC day."""
        return cls(budget.used(now), budget.remaining(now))


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
    commands : CommandCount or None
        The daily command budget after this decision (None: the backend has no budget).
    """

    time: datetime
    why: str
    applied: AppliedReport | None
    plan_gbp: float | None = None
    error: str | None = None
    commands: CommandCount | None = None

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
