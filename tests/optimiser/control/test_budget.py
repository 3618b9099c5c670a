"""The daily command budget: never exceeded over random action sequences, survives restarts,
keeps the most valuable changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.config import DOCUMENTED_LIMITS
from optimiser.control import (
    ActionSpan,
    Capabilities,
    CommandBudget,
    ControlPolicy,
    FleetBackend,
    FleetClient,
    TokenSource,
    prioritise,
    settings_for,
)
from optimiser.control.budget import BudgetState
from optimiser.control.commands import Command
from optimiser.control.errors import BudgetExhausted
from optimiser.domain.actions import Action
from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import UploadedTariff
from simulations.fleet_emulator import FleetEmulator, demo_site
from tests.optimiser.control.tariff_fixture import flux_like_content

CAP = 13.5
CLOCK = SteppedClock(datetime(2025, 1, 1, tzinfo=UTC))
POLICY = ControlPolicy(reserve_floor_app_percent=20)

action_steps = st.lists(
    st.tuples(st.sampled_from(list(Action)), st.floats(0, CAP), st.floats(0, CAP)),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def shared_emulator():
    with FleetEmulator(demo_site(CLOCK), clock=CLOCK) as emulator:
        yield emulator


@given(steps=action_steps, per_day=st.integers(1, 6), safety=st.integers(0, 2))
def test_budget_is_never_exceeded(steps, per_day, safety, shared_emulator, tmp_path_factory):
    emulator = shared_emulator
    safety = min(safety, per_day - 1)
    CLOCK.advance(timedelta(days=1))  # a fresh API quota day per example
    first_day = CLOCK.now().date()
    emulator.site.settings = demo_site(CLOCK).settings
    emulator.commands_per_day = per_day
    client = FleetClient(emulator.url, emulator.site_id, TokenSource(token_env="UNUSED"), 5)
    client.tokens.store(emulator.access_token, emulator.refresh_token)
    budget = CommandBudget(per_day, tmp_path_factory.mktemp("b") / "b.json", safety)
    backend = FleetBackend(client, budget, clock=CLOCK.now)
    for i, (action, target, soe_now) in enumerate(steps):
        start = CLOCK.now()
        span = ActionSpan(start, start + timedelta(minutes=30), action, target, CAP)
        wanted = settings_for(
            span,
            soe_now_kwh=soe_now,
            policy=POLICY,
            capabilities=Capabilities.fleet(),
            uploaded=UploadedTariff(flux_like_content()),
        )
        report = backend.apply(wanted, reason=f"step {i}", safety=i % 3 == 0)
        assert not report.errors  # the budget stops us before the API's quota does
        CLOCK.advance(timedelta(minutes=30))
    days = {d: n for d, n in emulator.commands_by_day().items() if d >= first_day}
    assert all(used <= per_day for used in days.values())
    assert sum(days.values()) == client.commands_sent
    client.close()


@given(
    n=st.integers(0, 6),
    available=st.integers(0, 6),
    values=st.lists(st.floats(0, 10), min_size=6, max_size=6),
)
def test_prioritise_keeps_at_most_available_and_the_most_valuable(n, available, values):
    changes = list(range(n))
    value = dict(zip(changes, values, strict=False))
    kept, dropped = prioritise(changes, available, value)
    assert len(kept) == min(n, available)
    assert sorted(kept + dropped) == changes
    if kept and dropped:
        assert min(value[c] for c in kept) >= max(value[c] for c in dropped)


def test_budget_state_round_trips():
    now = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
    budget = CommandBudget(5)
    budget.spend(now)
    other = CommandBudget(5)
    other.restore(budget.counted())
    assert other.used(now) == 1 and other.remaining(now) == 4


def test_the_spliced_state_carries_the_months_tariff_change():
    now = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
    budget = CommandBudget(5, tariff_per_month=1)
    budget.spend(now, tariff=True)
    other = CommandBudget(5, tariff_per_month=1)
    other.restore(budget.counted())
    assert other.counted() == BudgetState(now.date(), 1, "2025-01", 1)
    assert other.tariff_changes_left(now) == 0
    with pytest.raises(BudgetExhausted, match="monthly tariff change"):
        other.spend(now + timedelta(days=1), tariff=True)


def test_one_tariff_change_a_month_survives_a_restart(tmp_path):
    state = tmp_path / "command-budget.json"
    march = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    budget = CommandBudget(5, state, 3, tariff_per_month=1)
    assert budget.tariff_changes_left(march) == 1
    budget.spend(march, tariff=True)
    restarted = CommandBudget(5, state, 3, tariff_per_month=1)
    assert restarted.tariff_changes_left(march + timedelta(days=5)) == 0
    assert restarted.used(march) == 1
    with pytest.raises(BudgetExhausted, match="monthly tariff change"):
        restarted.spend(march + timedelta(days=5), tariff=True)
    restarted.spend(march + timedelta(days=5))  # other writes still go
    april = datetime(2025, 4, 1, 0, 30, tzinfo=UTC)
    assert restarted.tariff_changes_left(april) == 1
    restarted.spend(april, tariff=True)
    assert CommandBudget(5, state, 3, tariff_per_month=1).tariff_changes_left(april) == 0


def test_a_damaged_budget_file_grants_no_tariff_change(tmp_path):
    state = tmp_path / "command-budget.json"
    state.write_text("{not json")
    budget = CommandBudget(5, state, 3, tariff_per_month=1)
    assert budget.tariff_changes_left(datetime.now(UTC)) == 0


def test_the_fleet_backend_skips_a_tariff_change_the_month_has_spent(tmp_path):
    clock = SteppedClock(datetime(2025, 3, 10, 12, 0, tzinfo=UTC))
    with FleetEmulator(demo_site(clock), clock=clock) as emulator:
        emulator.quota.enforce(DOCUMENTED_LIMITS)
        client = FleetClient(emulator.url, emulator.site_id, TokenSource(token_env="UNUSED"), 5)
        client.tokens.store(emulator.access_token, emulator.refresh_token)
        budget = CommandBudget(5, tmp_path / "b.json", 3, tariff_per_month=1)
        backend = FleetBackend(client, budget, clock=clock.now)
        current = backend.read()
        tariff = UploadedTariff(flux_like_content())
        first = backend.apply(replace(current, tariff=tariff), reason="upload")
        assert first.sent == (Command.TARIFF,) and not first.errors
        other = UploadedTariff({**flux_like_content(), "name": "another"})
        clock.advance(timedelta(days=1))
        second = backend.apply(replace(current, tariff=other), reason="upload again")
        assert second.sent == () and second.skipped == (Command.TARIFF,)
        assert emulator.quota.tariff_changes_by_month() == {(2025, 3): 1}
        assert not any(status == 429 for _, _, status in emulator.api.requests)


def test_a_tariff_upload_never_spends_the_safety_reserve(tmp_path):
    clock = SteppedClock(datetime(2025, 3, 10, 12, 0, tzinfo=UTC))
    with FleetEmulator(demo_site(clock), clock=clock) as emulator:
        client = FleetClient(emulator.url, emulator.site_id, TokenSource(token_env="UNUSED"), 5)
        client.tokens.store(emulator.access_token, emulator.refresh_token)
        budget = CommandBudget(5, tmp_path / "b.json", 3, tariff_per_month=1)
        budget.restore(BudgetState(clock.now().date(), 2))  # only the reserve is left
        backend = FleetBackend(client, budget, clock=clock.now)
        current = backend.read()
        tariff = UploadedTariff(flux_like_content())
        report = backend.apply(replace(current, tariff=tariff), reason="revert", safety=True)
        assert report.sent == () and report.skipped == (Command.TARIFF,)
        assert budget.remaining(clock.now(), safety=True) == 3
