"""Safety within scarcity: over random budgets, plans and failed sends, a forced state the
command budget could not revert never happens.

The commands kept for reverts are the worst case a revert can take
(:func:`~optimiser.control.safety.worst_case_revert_commands`); optimisation spends only
what lies outside them, all or nothing (:func:`~optimiser.control.budget_decision.afford_forced`).
Failures (500 or 429 on one endpoint) hit the plan's sends, through the Fleet emulator keeping
the budget's daily limit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimiser.control import (
    ActionSpan,
    Capabilities,
    CommandBudget,
    ControlPolicy,
    FleetBackend,
    FleetClient,
    TokenSource,
    settings_for,
)
from optimiser.control.budget_decision import afford_forced, budget_shortfall
from optimiser.control.commands import differences
from optimiser.control.safety import is_forced, safe_settings, worst_case_revert_commands
from optimiser.domain.actions import Action
from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import UploadedTariff
from simulations.fleet_emulator import FleetEmulator, demo_site
from simulations.fleet_emulator.api import FleetEndpoint
from tests.optimiser.control.tariff_fixture import flux_like_content

CAP = 13.5
CLOCK = SteppedClock(datetime(2025, 1, 1, tzinfo=UTC))
POLICY = ControlPolicy(reserve_floor_app_percent=20)
CAPS = Capabilities.fleet()
RESERVE = worst_case_revert_commands(CAPS, POLICY)
WRITES = (
    FleetEndpoint.BACKUP,
    FleetEndpoint.OPERATION,
    FleetEndpoint.GRID_IMPORT_EXPORT,
    FleetEndpoint.TIME_OF_USE_SETTINGS,
)

plan_steps = st.lists(
    st.tuples(
        st.sampled_from(list(Action)),
        st.floats(0, CAP),
        st.floats(0, CAP),
        st.one_of(st.none(), st.tuples(st.sampled_from(WRITES), st.sampled_from([429, 500]))),
        st.sampled_from([5, 30, 120, 600]),
    ),
    min_size=1,
    max_size=14,
)


@pytest.fixture(scope="module")
def shared_emulator():
    with FleetEmulator(demo_site(CLOCK), clock=CLOCK) as emulator:
        yield emulator


def _revert_cost(budget: CommandBudget, emulator: FleetEmulator) -> tuple[int, int]:
    """(commands a revert of what the device holds needs, commands the budget allows it)."""
    device = emulator.site.settings
    changes, _ = differences(device, safe_settings(POLICY, CAPS), CAPS)
    return len(changes), budget.remaining(CLOCK.now(), safety=True)


@settings(max_examples=25, deadline=None)
@given(steps=plan_steps, spare=st.integers(1, 20))
def test_no_forced_state_outlives_the_budget(steps, spare, shared_emulator, tmp_path_factory):
    emulator = shared_emulator
    CLOCK.advance(timedelta(days=2))  # a fresh quota day per example
    emulator.site.settings = demo_site(CLOCK).settings
    per_day = RESERVE + spare
    emulator.commands_per_day = per_day
    client = FleetClient(emulator.url, emulator.site_id, TokenSource(token_env="UNUSED"), 5)
    client.tokens.store(emulator.access_token, emulator.refresh_token)
    budget = CommandBudget(per_day, tmp_path_factory.mktemp("b") / "b.json", RESERVE)
    backend = FleetBackend(client, budget, clock=CLOCK.now)
    assert RESERVE == 3
    for i, (action, target, soe_now, fault, minutes) in enumerate(steps):
        start = CLOCK.now()
        span = ActionSpan(start, start + timedelta(minutes=30), action, target, CAP)
        wanted = settings_for(
            span,
            soe_now_kwh=soe_now,
            policy=POLICY,
            capabilities=CAPS,
            uploaded=UploadedTariff(flux_like_content()),
        )
        now = CLOCK.now()
        chosen, forced, _ = afford_forced(
            wanted,
            now,
            policy=POLICY,
            short=lambda t, now=now: budget_shortfall(
                backend.read(), t, CAPS, budget.remaining(now)
            ),
            current=backend.read(),
        )
        if fault is not None and forced:  # an optimisation send fails part way
            emulator.faults.answer[fault[0]] = fault[1]
        try:
            backend.apply(chosen, reason=f"step {i}", safety=not forced)
        finally:
            emulator.faults.answer.clear()
        needed, allowed = _revert_cost(budget, emulator)
        if is_forced(emulator.site.settings, POLICY):
            assert needed <= allowed, f"step {i}: a forced state the budget cannot revert"
        CLOCK.advance(timedelta(minutes=minutes))
    if is_forced(emulator.site.settings, POLICY):
        report = backend.apply(safe_settings(POLICY, CAPS), reason="revert", safety=True)
        assert not report.errors and not is_forced(emulator.site.settings, POLICY)
    injected = sum(1 for step in steps if step[3] is not None and step[3][1] == 429)
    refused = sum(1 for _, _, status in emulator.api.requests if status == 429)
    emulator.api.requests.clear()
    assert refused <= injected  # the budget stops us before the API's quota does
    client.close()
