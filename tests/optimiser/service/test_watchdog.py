"""The watchdog's states, step by step (pure: no gateway, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from optimiser.control.safety import Failure
from optimiser.service.watchdog import Link, SafeRevert, Watchdog

T0 = datetime(2025, 1, 15, 16, 40, tzinfo=UTC)
GRACE = timedelta(minutes=5)


def never_lapsed() -> bool:
    return False


def test_a_blip_keeps_the_leased_state_and_the_next_answer_ends_it():
    dog = Watchdog()
    assert dog.failed(T0, GRACE, never_lapsed) is None
    assert dog.link is Link.LOST_IN_GRACE and dog.lost_since == T0
    assert dog.blocked() == "gateway lost; the device keeps its leased settings for the grace"
    assert dog.answered(grid_up=True) is False
    assert dog.link is Link.UP and dog.lost_since is None and dog.blocked() is None


def test_past_the_grace_safe_settings_become_due_once_per_loss():
    dog = Watchdog()
    dog.failed(T0, GRACE, never_lapsed)
    assert dog.failed(T0 + timedelta(minutes=4), GRACE, never_lapsed) is None
    revert = dog.failed(T0 + GRACE, GRACE, never_lapsed)
    assert revert == SafeRevert("gateway_lost: falling back to safe settings", Failure.GATEWAY_LOST)
    assert dog.link is Link.LOST_PAST_GRACE and dog.revert_due == revert
    assert dog.blocked() == "gateway lost; safe settings due"
    assert dog.failed(T0 + GRACE, GRACE, never_lapsed) == revert  # retried while unconfirmed
    dog.reverted(revert, confirmed=True)
    assert dog.revert_due is None
    assert dog.failed(T0 + 2 * GRACE, GRACE, never_lapsed) is None  # not again this loss
    assert dog.blocked() == "gateway lost; safe settings due"


def test_a_lapsed_lease_ends_the_grace_early_and_is_asked_only_when_it_matters():
    asked = []

    def lapsed() -> bool:
        asked.append(True)
        return True

    dog = Watchdog(revert_due=SafeRevert("slot: no plan"))
    assert dog.failed(T0, GRACE, lapsed) == SafeRevert("slot: no plan")  # the due one first
    assert asked == []
    dog.reverted(SafeRevert("slot: no plan"), confirmed=True)
    assert dog.failed(T0 + timedelta(seconds=90), GRACE, lapsed).failure is Failure.GATEWAY_LOST
    assert asked == [True]


def test_a_revert_stays_due_until_confirmed_and_the_grid_is_recorded_first():
    dog = Watchdog()
    revert = SafeRevert.after(Failure.BUDGET_EXHAUSTED, "falling back to safe settings")
    assert revert.why == "budget_exhausted: falling back to safe settings"
    dog.due(revert)
    dog.reverted(revert, confirmed=False)
    assert dog.revert_due == revert
    assert dog.answered(grid_up=False) is True and dog.grid_up is False
    assert dog.answered(grid_up=False) is False
    dog.reverted(revert, confirmed=True)
    assert dog.revert_due is None
