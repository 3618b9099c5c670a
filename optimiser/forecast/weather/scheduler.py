"""When to call a provider: fresh cache first, then the quota, then a pause after failures.

Pure: the decision depends only on the remembered state, the time and the policy, so it is
tested without a clock or a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from optimiser.forecast.weather.cache import DAY_S, ProviderState


class Action(StrEnum):
    """What to do for this forecast."""

    USE_CACHE = "use-cache"
    CALL = "call"
    FALL_BACK = "fall-back"


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """Limits on calls to one provider.

    Attributes
    ----------
    calls_per_day : int
        Calls allowed in any 24 hours; they are also spread out: at most one every
        24 h / ``calls_per_day``.
    refresh_s : float
        A cached answer younger than this is used without a call. [s]
    max_age_s : float
        A cached answer older than this is never used. [s]
    retry_s : float
        No call for this long after a failed one. [s]
    """

    calls_per_day: int
    refresh_s: float
    max_age_s: float
    retry_s: float

    @property
    def min_gap_s(self) -> float:
        """Shortest time between two calls. [s]"""
        return DAY_S / self.calls_per_day


@dataclass(frozen=True, slots=True)
class Decision:
    """The action and, when not a fresh call or fresh cache, why (for the plan's notes)."""

    action: Action
    reason: str = ""


def cache_age_s(state: ProviderState, now_s: float, site: str) -> float | None:
    """Age of the cached answer for ``site``; None when there is none. [s]"""
    if state.payload is None or state.fetched_s is None or state.site != site:
        return None
    return max(now_s - state.fetched_s, 0.0)


def decide(state: ProviderState, now_s: float, site: str, policy: CallPolicy) -> Decision:
    """Use the cache, call the provider, or fall back to history (see the module docstring)."""
    age = cache_age_s(state, now_s, site)
    if age is not None and age < policy.refresh_s:
        return Decision(Action.USE_CACHE)
    recent = [t for t in state.calls_s if now_s - t < DAY_S]
    blocked = ""
    if state.failed_s is not None and now_s - state.failed_s < policy.retry_s:
        wait = (policy.retry_s - (now_s - state.failed_s)) / 60
        blocked = f"last call failed ({state.failure}); next try in {wait:.0f} min"
    elif len(recent) >= policy.calls_per_day:
        blocked = f"quota: {len(recent)} calls in the last 24 h (limit {policy.calls_per_day})"
    elif recent and now_s - max(recent) < policy.min_gap_s:
        blocked = f"quota: one call every {policy.min_gap_s / 60:.0f} min"
    if not blocked:
        return Decision(Action.CALL)
    if age is not None and age < policy.max_age_s:
        return Decision(
            Action.USE_CACHE, f"{blocked}; using the forecast of {age / 60:.0f} min ago"
        )
    return Decision(Action.FALL_BACK, blocked)
