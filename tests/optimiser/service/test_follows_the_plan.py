"""``wattplan run`` follows the plan: a day and a night on the gateway emulator through the local
backend and through the Fleet API emulator (costs close to the plan's, the command budget
kept), a rule's forced mode on top of the plan, and a dry run that sends nothing.

Every poll is a real HTTPS request to the emulator, every plan a real LP solve, every setting
the legacy installer sequence or a Fleet API command; a simulated day takes seconds of wall
time on the stepped clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from optimiser.control import DryRunBackend, LocalBackend
from optimiser.control.lease_file import load_lease
from optimiser.domain.device import OperationMode
from optimiser.service import Service
from rules import loads_rules
from tests.optimiser.service.conftest import (
    DAY,
    FLOOR_RAW,
    PER_DAY,
    START,
    at_night,
    fleet_service,
    make_service,
    planned_cost_gbp,
    realised_cost_gbp,
)


def test_a_day_and_night_follows_the_plan_and_costs_what_was_planned(house):
    """The emulated Powerwall charges in the Flux off-peak window, self-powers otherwise, and the
    realised cost is within £0.20 (and 12 %) of the first plan's cost for the same 24 h.

    Measured (2025-01-15 12:00 → 01-16 12:00 UTC, perfect forecasts): planned £1.598, realised
    £1.758 (gap £0.161, 10.1 %); the battery ends with 6.43 kWh against the planned 6.06 kWh.
    The gap is the control's: settings go out 5 minutes before each slot (the settle margin),
    a charge runs at the slow reserve rate up to a reserve rounded up to 1 %, and the re-plans
    every slot move the targets a little. Most of it is the holds: among equally cheap plans
    the planner keeps energy for later in the same price band (its tie-break), so it holds
    14:30–16:00 and 19:00–20:30 at the day rate; the 19:00 hold goes out at 18:55, inside the
    peak (0.21 kWh bought at 34 p), and each hold's reserve is met only approximately.
    """
    service = make_service(house)
    stats = service.run(until=START + DAY)

    assert stats.gaps == 0
    assert stats.samples == 24 * 12 + 1  # every 5 min, both ends included
    assert stats.plans >= 48 and stats.plan_failures == 0
    assert any(d.why == "nightly plan" and d.time.hour == 21 for d in service.decisions)
    # Every installer sequence the emulator saw is one the service says it sent.
    assert house.emulator.control_sequences() == stats.commands_sent >= 2

    samples = {s.time: s for s in house.store.samples()}
    night = START.replace(day=16)
    at = {h: samples[night.replace(hour=h)] for h in (1, 2, 3, 4, 5)}
    # Off-peak 02:00–05:00: the reserve is raised and the battery charges from the grid.
    assert at[3].backup_reserve_percent > FLOOR_RAW + 20
    assert at[5].soe_kwh - at[2].soe_kwh > 3.0
    assert at[5].site_imported_kwh - at[2].site_imported_kwh > 4.0
    # Before and after the window it is self-powered at the floor.
    assert at[1].backup_reserve_percent == pytest.approx(FLOOR_RAW, abs=0.2)
    assert at[1].mode == OperationMode.SELF_CONSUMPTION.value
    later = samples[night.replace(hour=8)]
    assert later.backup_reserve_percent == pytest.approx(FLOOR_RAW, abs=0.2)

    first = service.plans[0].result.outcome.plan
    planned = planned_cost_gbp(first, START, START + DAY)
    realised = realised_cost_gbp(house.store, house.tariff, START, START + DAY)
    assert realised == pytest.approx(planned, abs=0.20)
    assert abs(realised - planned) / planned < 0.12
    planned_end = first.soe_kwh[first.grid.index_of(START + DAY) - 1]
    assert house.site.state.soe_kwh == pytest.approx(planned_end, abs=0.8)


def test_a_day_and_night_through_the_fleet_api_stays_within_the_command_budget(house, fleet):
    """Measured (2025-01-15 12:00 → 01-16 12:00 UTC, 12 commands a day, 2 kept for safety):
    13 commands (7 on the 15th, 6 on the 16th; no 429), the battery exported at the end of the
    Flux peak (autonomous + battery_ok + a doctored tariff), charged off-peak at full power;
    planned £2.445, realised £2.520 (gap £0.075, 3.1 %; the battery ends with 11.51 kWh
    against the planned 11.62 kWh). Tesla's autonomous mode sells at the export limit until
    the reserve, so the export's half hours sell more than planned and the re-plans follow.
    """
    service = fleet_service(house, fleet)
    stats = service.run(until=START + DAY)

    by_day = fleet.commands_by_day()
    assert by_day and max(by_day.values()) <= PER_DAY
    assert not [r for r in fleet.requests if r[2] == 429]
    assert fleet.post_count() == stats.commands_sent == sum(by_day.values())
    assert house.emulator.post_count() == 0  # the local API was only read
    assert fleet.post_count("time_of_use_settings") == 1  # the doctored tariff, once

    samples = {s.time: s for s in house.store.samples()}
    peak = (START.replace(hour=16), START.replace(hour=19))
    exported = samples[peak[1]].site_exported_kwh - samples[peak[0]].site_exported_kwh
    assert exported > 0.5  # the battery sold at the peak
    night = START.replace(day=16)
    charged = samples[night.replace(hour=5)].soe_kwh - samples[night.replace(hour=2)].soe_kwh
    assert charged > 3.0

    first = service.plans[0].result.outcome.plan
    planned = planned_cost_gbp(first, START, START + DAY)
    realised = realised_cost_gbp(house.store, house.tariff, START, START + DAY)
    assert realised == pytest.approx(planned, abs=0.25)


def test_a_short_budget_buys_no_half_forced_state(house, fleet):
    """With 6 commands a day (3 kept for safety) under the follow policy a forced state is
    bought whole or not at all
    (measured: the 14:25–15:55 hold takes 2 commands, then the export from 17:55 finds too few
    left and is refused whole, and the 18:55 and 19:25 holds are refused to keep the last
    command for later spans)."""
    service = fleet_service(house, fleet, per_day=6, policy="follow")
    service.run(until=START + timedelta(hours=8))
    assert max(fleet.commands_by_day().values()) <= 6
    applied = [d.applied for d in service.decisions if d.applied]
    assert all(not a.report.skipped for a in applied)  # nothing half-sent
    short = [a for a in applied if a.failure]
    assert short and all(a.failure.value == "budget_exhausted" for a in short)
    assert any("kept for later spans" in note for a in short for note in a.notes)
    exports = [a for a in applied if a.span is not None and a.span.action.value == "export"]
    for a in exports:  # an export bought is bought whole
        assert a.report.after is not None and a.report.after.mode.value == "autonomous"
        assert a.report.after.export_rule.value == "battery_ok"


def test_a_rule_forced_mode_is_applied_on_top_of_the_plan(house):
    at_night(house, 1)
    service = make_service(house)
    service.rules = loads_rules(
        "rules:\n  - name: quiet night\n    when: {time: '01:00-01:30'}\n"
        "    do: {force_mode: backup}\n"
    )
    service.run(until=house.clock.now() + timedelta(minutes=10))
    assert house.site.settings.mode is OperationMode.BACKUP
    first = service.decisions[0].applied
    assert first.lease is not None  # backup mode is a forced state
    assert any("forces backup" in n for n in first.notes)
    service.run(until=house.clock.now() + timedelta(minutes=30))  # the window is over
    assert house.site.settings.mode is OperationMode.SELF_CONSUMPTION


def test_dry_run_sends_nothing(house):
    at_night(house, 1)
    config = house.config(backend="dry-run")
    backend = DryRunBackend(LocalBackend(house.gateway, clock=house.clock.now))
    service = Service(
        config,
        gateway=house.gateway,
        backend=backend,
        clock=house.clock,
        tariff=house.tariff,
        store=house.store,
        forecaster=house.forecaster,
        state_dir=house.tmp / "state",
    )
    service.run(until=house.clock.now() + timedelta(hours=3))
    would = [d for d in service.decisions if d.applied and d.applied.report.sent]
    assert would, "the plan charges off-peak: the dry run must say what it would send"
    assert all(d.applied.dry_run for d in would)
    assert "would send backup reserve" in would[0].line()
    assert house.emulator.post_count() == 0
    assert service.stats.commands_sent == 0
    assert house.site.settings.backup_reserve_raw_percent == pytest.approx(FLOOR_RAW, abs=0.01)
    assert load_lease(house.tmp / "state") is None
