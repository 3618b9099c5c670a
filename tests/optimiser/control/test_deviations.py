"""Where control will not follow the plan's action on purpose, slot by slot, and why."""

from __future__ import annotations

from datetime import UTC, datetime

from optimiser.control.capabilities import Capabilities
from optimiser.control.deviations import slot_deviations
from optimiser.control.policy import ControlPolicy
from optimiser.domain.actions import Action
from optimiser.domain.device import UploadedTariff
from tests.optimiser.control.plans import make_plan

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
POLICY = ControlPolicy(reserve_floor_app_percent=20.0)
TARIFF = UploadedTariff({"name": "doctored"})
FLEET = Capabilities.fleet()


def _whys(rows, capabilities=FLEET, uploaded=TARIFF, price=None):
    plan = make_plan(rows, start=START, initial_soe_kwh=8.0, import_price=price)
    whys = slot_deviations(
        plan,
        capacity_kwh=13.5,
        policy=POLICY.for_backend(capabilities),
        capabilities=capabilities,
        uploaded_at=lambda _when: uploaded,
    )
    return plan.actions, whys


HOLD = (0, 0, 0, 0, 0.4, 8.0)
SELF_POWER = (0, 0, 0.4, 0, 0, 7.6)
EXPORT = (0, 0, 2.0, 1.6, 0, 6.0)


def test_a_plan_followed_as_it_is_has_no_why():
    actions, whys = _whys([HOLD, HOLD, (0, 0, 0.4, 0, 0, 7.6), (0, 0, 0.4, 0, 0, 7.2)])
    assert actions == (Action.HOLD, Action.HOLD, Action.SELF_POWER, Action.SELF_POWER)
    assert whys == (None, None, None, None)


def test_a_flip_not_worth_its_commands_says_so_on_its_slot_only():
    rows = [HOLD, HOLD, SELF_POWER, (0, 0, 0, 0, 0.4, 7.6), (0, 0, 0, 0, 0.4, 7.6)]
    actions, whys = _whys(rows)
    assert actions[2] is Action.SELF_POWER
    assert whys[:2] == (None, None) and whys[3:] == (None, None)
    assert "followed as hold" in whys[2] and "not worth its commands" in whys[2]


def test_an_export_the_backend_cannot_make_is_self_power_with_a_reason():
    _, whys = _whys([SELF_POWER, EXPORT], capabilities=Capabilities.local())
    assert whys[0] is None and "local backend cannot export" in whys[1]
    _, whys = _whys([SELF_POWER, EXPORT], uploaded=None)
    assert "no tariff doctored for export" in whys[1]
    _, whys = _whys([SELF_POWER, EXPORT])
    assert whys == (None, None)
