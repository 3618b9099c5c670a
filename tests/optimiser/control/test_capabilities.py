"""The Fleet API's reserve rule, in its one place."""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimiser.control.capabilities import BackendName, Capabilities, ReservePurpose

FLEET = Capabilities.fleet()
LOCAL = Capabilities.local()


@pytest.mark.parametrize(
    ("purpose", "wanted", "reserve", "grid_charging", "noted"),
    [
        (ReservePurpose.FLOOR, 90.0, 80.0, True, True),
        (ReservePurpose.FLOOR, 100.0, 100.0, True, False),
        (ReservePurpose.CHARGE, 90.0, 100.0, True, True),
        (ReservePurpose.CHARGE, 80.0, 80.0, True, False),
        (ReservePurpose.HOLD, 90.0, 100.0, False, True),
        (ReservePurpose.HOLD, 100.0, 100.0, False, True),
        (ReservePurpose.HOLD, 60.0, 60.0, True, False),
        (ReservePurpose.EXPORT, 85.0, 80.0, True, True),
    ],
)
def test_fleet_reserve_rule_per_purpose(purpose, wanted, reserve, grid_charging, noted):
    legal = FLEET.legal_reserve(wanted, purpose)
    assert (legal.app_percent, legal.grid_charging) == (reserve, grid_charging)
    assert (legal.note is not None) is noted
    assert FLEET.accepts_reserve(legal.app_percent)


@pytest.mark.parametrize("purpose", list(ReservePurpose))
def test_a_backend_without_the_rule_takes_any_reserve(purpose):
    legal = LOCAL.legal_reserve(90.0, purpose)
    assert (legal.app_percent, legal.grid_charging, legal.note) == (90.0, True, None)


def test_names_and_dry_run():
    assert FLEET.backend is BackendName.FLEET and FLEET.name == "fleet"
    assert LOCAL.can_export is False and FLEET.can_export and FLEET.can_fast_charge
    assert replace(FLEET, dry_run=True).name == "dry-run(fleet)"


def test_reserve_steps_round_within_0_and_100():
    assert FLEET.round_reserve_up(40.0000000001) == 40.0
    assert FLEET.round_reserve_up(40.2) == 41.0
    assert FLEET.round_reserve(40.4) == 40.0
    assert FLEET.round_reserve_up(100.4) == 100.0
