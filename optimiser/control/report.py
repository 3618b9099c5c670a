"""What one apply decided and what the backend did (``plan --apply``, every ``run`` decision)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from optimiser.control.backends.base import ApplyReport
from optimiser.control.commands import describe_commands
from optimiser.control.safety import Failure, Lease
from optimiser.control.settings_json import settings_to_json
from optimiser.control.spans import ActionSpan
from optimiser.domain.device import Settings


@dataclass(frozen=True)
class AppliedReport:
    """What :func:`~optimiser.control.apply_now.apply_current_slot` decided and what the
    backend did.

    Attributes
    ----------
    time : datetime
        Decision time, UTC.
    span : ActionSpan or None
        The plan's span due now (None: no usable plan, or the plan was not followed).
    failure : Failure or None
        Why the plan's settings were not trusted, if they were not.
    target : Settings
        What was applied (or would have been, in a dry run).
    lease : Lease or None
        The lease of a forced target (None: nothing forced).
    report : ApplyReport
        The backend's account: sent, not taken, skipped, errors.
    notes : tuple of str
        Why (translation notes, rule overrides, safety notes).
    """

    time: datetime
    span: ActionSpan | None
    failure: Failure | None
    target: Settings
    lease: Lease | None
    report: ApplyReport
    notes: tuple[str, ...] = field(default=())

    @property
    def dry_run(self) -> bool:
        """Nothing was sent."""
        return self.report.dry_run

    @property
    def ok(self) -> bool:
        """Every wanted change is in place (a dry run is ok when nothing failed)."""
        return self.report.ok

    @property
    def why(self) -> str | None:
        """Why the device does not follow the plan now (None: it does)."""
        if self.failure is None:
            return None
        return f"{self.failure.value}: {self.notes[-1]}" if self.notes else self.failure.value

    def to_json_dict(self) -> dict[str, Any]:
        """JSON form (the tariff content is summarised, never copied)."""
        span = None
        if self.span is not None:
            target_soe = self.span.target_soe_kwh
            span = {
                "start": self.span.start.isoformat(),
                "end": self.span.end.isoformat(),
                "action": self.span.action.value,
                "target_soe_kwh": None if target_soe is None else round(target_soe, 3),
            }
        lease = None
        if self.lease is not None:
            lease = {
                "granted_at": self.lease.granted_at.isoformat(),
                "expires_at": self.lease.expires_at.isoformat(),
                "reason": self.lease.reason,
            }
        r = self.report
        return {
            "time": self.time.isoformat(),
            "span": span,
            "failure": None if self.failure is None else self.failure.value,
            "target": settings_to_json(self.target),
            "lease": lease,
            "dry_run": r.dry_run,
            "ok": r.ok,
            "sent": [str(c) for c in r.sent],
            "not_taken": [str(c) for c in r.not_taken],
            "skipped": [str(c) for c in r.skipped],
            "unsupported": list(r.unsupported),
            "errors": list(r.errors),
            "notes": list(self.notes),
        }

    def summary_lines(self) -> list[str]:
        """Lines for the ``plan --apply`` table's footer."""
        r = self.report
        verb = "would send" if r.dry_run else "sent"
        what = (
            f"{self.span.action.label} until {self.span.end:%H:%M} UTC"
            if self.span is not None
            else "no plan"
        )
        lines = [
            f"apply ({what}): {self.target.describe()}",
            f"  {verb}: "
            + (describe_commands(r.sent, r.target) if r.sent else "nothing (already in place)"),
        ]
        if self.lease is not None:
            lapse = "would lapse" if r.dry_run else "lapses"
            lines.append(f"  forced state {lapse} at {self.lease.expires_at:%Y-%m-%d %H:%M} UTC")
        for label, values in (
            ("did not take", r.not_taken),
            ("skipped (command budget)", r.skipped),
            ("cannot be set by this backend", r.unsupported),
            ("errors", r.errors),
        ):
            if values:
                lines.append(f"  {label}: {', '.join(values)}")
        lines += [f"  note: {note}" for note in self.notes]
        return lines
