"""The service's safety state: is the gateway answering, and is a revert to safe settings due?

Pure state, no I/O: the loop (:mod:`optimiser.service.loop`) tells the watchdog what each poll
and each apply did, and the watchdog says what is due. Two parts:

``link`` (:class:`Link`)
    ``UP`` — polls read the site; decisions follow the plan.
    ``LOST_IN_GRACE`` — polls fail with a gap-and-retry error (unreachable, rate-limited, an
    answer not understood) or meet a certificate other than the pinned one; the device keeps
    its leased settings for ``control.gateway_loss_grace_s``; decisions apply nothing.
    ``LOST_PAST_GRACE`` — still failing after the grace, or the forced state's lease lapsed
    first: safe settings became due once for this loss; decisions apply nothing.
    A poll that reads the site again returns to ``UP`` from either.

``revert_due`` (:class:`SafeRevert` or None)
    A revert to safe settings that is due and not yet confirmed by a read-back (an apply that
    raised a gap-and-retry error, or whose changes did not all take). It is retried at every
    poll, whatever the link, until a read-back confirms it.

``grid_up`` is the grid as last read; it is recorded before any revert, because nothing sent
in an outage may lower the reserve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from optimiser.control.safety import Failure
from optimiser.domain.errors import NextStep, next_step_of
from optimiser.gateway.errors import CertificateMismatch


class Link(Enum):
    """Whether the gateway answers the service's polls (see the module docstring)."""

    UP = "up"
    LOST_IN_GRACE = "lost, within the grace"
    LOST_PAST_GRACE = "lost, past the grace"


@dataclass(frozen=True)
class SafeRevert:
    """A revert to safe settings: why (the decision's ``why``) and the failure it answers."""

    why: str
    failure: Failure | None = None

    @classmethod
    def after(cls, failure: Failure, detail: str) -> SafeRevert:
        """A revert answering ``failure``; its ``why`` reads ``<failure>: <detail>``."""
        return cls(f"{failure.value}: {detail}", failure)


def carries_on(exc: BaseException) -> bool:
    """Whether the service keeps running after ``exc``: its class's ``next_step`` is
    gap-and-retry, or the gateway presented another certificate than the pinned one (nothing
    is exchanged with it, the loss is handled as an unreachable gateway, and the service goes
    on when the pinned certificate is back; one-shot commands stop and tell). Anything else,
    or an exception that is not wattplan's, stops it."""
    if isinstance(exc, CertificateMismatch):
        return True
    return next_step_of(exc, foreign=NextStep.STOP_AND_TELL).keeps_running


@dataclass
class Watchdog:
    """The gateway link, the revert due and the grid, as the loop reports them."""

    link: Link = Link.UP
    lost_since: datetime | None = None
    revert_due: SafeRevert | None = None
    grid_up: bool = True

    def answered(self, grid_up: bool) -> bool:
        """A poll read the site: the link is up; returns whether the grid changed."""
        self.link = Link.UP
        self.lost_since = None
        changed = grid_up != self.grid_up
        self.grid_up = grid_up  # before any revert: an outage must not lower the reserve
        return changed

    def failed(
        self, now: datetime, grace: timedelta, lease_lapsed: Callable[[], bool]
    ) -> SafeRevert | None:
        """A poll failed with a gap-and-retry error: the revert to try now, if any.

        The one already due is retried (the Fleet backend may take it; the local one cannot
        until the gateway is back). Otherwise, once per loss, safe settings become due when
        the gateway has been lost for ``grace`` or the forced state's lease lapsed
        (``lease_lapsed`` is asked only then): a blip keeps the leased state.
        """
        if self.link is Link.UP:
            self.link = Link.LOST_IN_GRACE
            self.lost_since = now
        if self.revert_due is not None:
            return self.revert_due
        if self.link is Link.LOST_PAST_GRACE:
            return None
        if now - (self.lost_since or now) < grace and not lease_lapsed():
            return None
        self.link = Link.LOST_PAST_GRACE
        self.revert_due = SafeRevert.after(Failure.GATEWAY_LOST, "falling back to safe settings")
        return self.revert_due

    def blocked(self) -> str | None:
        """Why a decision cannot apply anything now (the gateway is lost), or None."""
        if self.link is Link.UP:
            return None
        if self.link is Link.LOST_PAST_GRACE or self.revert_due is not None:
            return "gateway lost; safe settings due"
        return "gateway lost; the device keeps its leased settings for the grace"

    def due(self, revert: SafeRevert) -> None:
        """``revert`` could not be applied (yet): retry it at every poll."""
        self.revert_due = revert

    def reverted(self, revert: SafeRevert, *, confirmed: bool) -> None:
        """``revert`` was applied; it stays due unless a read-back confirmed every change."""
        self.revert_due = None if confirmed else revert
