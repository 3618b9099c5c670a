"""The command-scarce policy: time-based control under the month's tariff, nudged one write at
a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from optimiser.config import Config
from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import differences
from optimiser.control.policy import ControlPolicy
from optimiser.control.scarce import (
    ControlStyle,
    control_style,
    entry_step,
    in_scarce_family,
    month_tariff_for,
    scarce_settings,
)
from optimiser.control.spans import ActionSpan
from optimiser.control.tariff_upload import uploaded_tariff_for
from optimiser.domain.actions import Action
from optimiser.domain.device import ExportRule, OperationMode, Settings
from optimiser.domain.units import app_percent_to_kwh
from tariffs import get_tariff

CAP = 13.5
POLICY = ControlPolicy(reserve_floor_app_percent=20.0)
FLEET = Capabilities.fleet(commands_per_day=5, tariff_changes_per_month=1)
FLUX, _ = uploaded_tariff_for(get_tariff("flux", "C"), date(2025, 1, 10), "Europe/London")
NIGHT = datetime(2025, 1, 10, 2, 30, tzinfo=UTC)  # Flux off-peak (02:00–05:00 local)
NOON = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
PEAK = datetime(2025, 1, 10, 16, 0, tzinfo=UTC)
BASE = Settings(OperationMode.AUTONOMOUS, 20.0, export_rule=ExportRule.BATTERY_OK, tariff=FLUX)


def _span(action, start, target_app=None, hours=1.0):
    target = None if target_app is None else app_percent_to_kwh(target_app, CAP)
    return ActionSpan(start, start + timedelta(hours=hours), action, target, CAP)


def _settings(span, soe_app=50.0, current=BASE, now=None):
    return scarce_settings(
        span,
        soe_now_kwh=app_percent_to_kwh(soe_app, CAP),
        policy=POLICY,
        capabilities=FLEET,
        uploaded=FLUX,
        now=now or span.start,
        current=current,
    )


def test_every_action_stays_in_time_based_control_and_costs_at_most_one_write():
    spans = [
        _span(Action.SELF_POWER, NOON),
        _span(Action.HOLD, NOON),
        _span(Action.CHARGE_FROM_GRID, NOON, target_app=70),
        _span(Action.CHARGE_FROM_GRID, NIGHT, target_app=100),
        _span(Action.EXPORT, PEAK, target_app=30),
        _span(Action.SELF_POWER, NIGHT),
    ]
    for span in spans:
        settings = _settings(span)
        assert in_scarce_family(settings), span.action
        changes, _ = differences(BASE, settings, FLEET)
        assert len(changes) <= 1, (span.action, changes)


def test_the_nudges():
    # Self-power in the cheap night period: grid charging off, or time-based control charges.
    night = _settings(_span(Action.SELF_POWER, NIGHT))
    assert not night.grid_charging and night.backup_reserve_app_percent == 20
    # A full charge there: grid charging on at the floor (time-based control charges fast).
    full = _settings(_span(Action.CHARGE_FROM_GRID, NIGHT, target_app=100), soe_app=30)
    assert full.grid_charging and full.backup_reserve_app_percent == 20
    # A hold keeps the stored energy; an export stops at its target.
    assert _settings(_span(Action.HOLD, NOON), soe_app=60).backup_reserve_app_percent == 60
    assert _settings(_span(Action.EXPORT, PEAK, 35)).backup_reserve_app_percent == 35
    # Outside the cheap period grid charging is left as the device holds it.
    off = replace(BASE, grid_charging=False)
    assert not _settings(_span(Action.SELF_POWER, NOON), current=off).grid_charging


def test_a_reserve_within_the_tolerance_is_left_alone():
    holding = replace(BASE, backup_reserve_app_percent=61.0)
    held = _settings(_span(Action.HOLD, NOON), soe_app=60, current=holding)
    assert held.backup_reserve_app_percent == 61.0
    assert differences(holding, held, FLEET)[0] == []


def test_entering_time_based_control_takes_one_write_at_a_time():
    safe = Settings(backup_reserve_app_percent=20.0)
    target = _settings(_span(Action.SELF_POWER, NOON), current=safe)
    steps, device = [], safe
    while device != target:
        device = replace(entry_step(device, target), notes=())
        changes, _ = differences(steps[-1] if steps else safe, device, FLEET)
        assert len(changes) == 1
        steps.append(device)
    pairs = zip([safe, *steps[:-1]], steps, strict=True)
    assert [str(differences(a, b, FLEET)[0][0]) for a, b in pairs] == [
        "time_of_use_settings",
        "operation",
        "grid_import_export",
    ]


def test_the_months_tariff_is_the_one_of_its_first_day():
    asked: list[date] = []

    def day_tariff(day):
        asked.append(day)
        return FLUX, None

    month = month_tariff_for(day_tariff)
    assert month(date(2025, 1, 17)) == (FLUX, None)
    assert month(date(2025, 1, 30)) == (FLUX, None)
    assert asked == [date(2025, 1, 1)]


@pytest.mark.parametrize(
    ("policy", "per_day", "style"),
    [
        ("auto", 5, ControlStyle.SCARCE),
        ("auto", 20, ControlStyle.FOLLOW),
        ("auto", None, ControlStyle.FOLLOW),
        ("scarce", 20, ControlStyle.SCARCE),
        ("follow", 5, ControlStyle.FOLLOW),
    ],
)
def test_the_policy_is_chosen_from_config_and_the_write_budget(policy, per_day, style):
    config = Config.model_validate({"control": {"policy": policy}})
    caps = replace(FLEET, commands_per_day=per_day)
    assert control_style(config, caps) is style


def test_scarce_needs_a_backend_that_runs_time_based_control():
    config = Config.model_validate({"control": {"policy": "scarce"}})
    assert control_style(config, Capabilities.local()) is ControlStyle.FOLLOW
