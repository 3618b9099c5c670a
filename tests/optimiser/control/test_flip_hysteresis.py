"""Short self-power/hold flips worth little are not followed (fewer Fleet commands)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from optimiser.control.intents import Intent, IntentSpan, flip_worth_gbp, intents_from_arrays
from optimiser.control.safety import is_forced
from optimiser.control.translate import (
    Capabilities,
    ControlPolicy,
    DeviceSettings,
    intent_held,
    settings_for,
)
from optimiser.domain.device import ExportRule, OperationMode

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
SLOT = timedelta(minutes=30)
CAP = 13.5


def _spans(kinds: str, price, **kwargs):
    """Spans for slots described by letters: H hold, S self-power, C grid charge, E export."""
    n = len(kinds)
    zeros = np.zeros(n)
    discharge, charge_grid, export, imports = zeros.copy(), zeros.copy(), zeros.copy(), zeros.copy()
    soe = np.full(n, 8.0)
    level = 8.0
    for i, k in enumerate(kinds):
        if k == "S":
            discharge[i] = 0.4
            level -= 0.4
        elif k == "H":
            imports[i] = 0.4
        elif k == "C":
            charge_grid[i] = 0.9
            imports[i] = 1.3
            level += 0.9
        elif k == "E":
            discharge[i] = 2.0
            export[i] = 1.6
            level -= 2.0
        soe[i] = level
    return intents_from_arrays(
        [START + i * SLOT for i in range(n)],
        SLOT,
        charge_from_grid_kwh=charge_grid,
        charge_kwh=charge_grid,
        discharge_kwh=discharge,
        export_kwh=export,
        import_kwh=imports,
        soe_kwh=soe,
        capacity_kwh=CAP,
        initial_soe_kwh=8.0,
        import_price=np.asarray(price, dtype=float) if price is not None else None,
        **kwargs,
    )


def _intents(spans):
    return [(s.intent, round((s.end - s.start) / SLOT)) for s in spans]


def test_a_one_slot_self_power_between_holds_at_one_price_is_held():
    spans = _spans("HHSHH", [25.0] * 5)
    assert _intents(spans) == [(Intent.HOLD, 5)]
    assert spans[0].target_soe_kwh == pytest.approx(8.0)


def test_a_one_slot_hold_between_self_power_at_one_price_is_self_power():
    assert _intents(_spans("SSHSS", [25.0] * 5)) == [(Intent.SELF_POWER, 5)]


def test_a_flip_worth_more_than_the_threshold_is_followed():
    # The self-power slot is at a price 10 p above its neighbours: 0.4 kWh × 10 p = 4 p > 2 p.
    spans = _spans("HHSHH", [25.0, 25.0, 35.0, 25.0, 25.0])
    assert _intents(spans) == [(Intent.HOLD, 2), (Intent.SELF_POWER, 1), (Intent.HOLD, 2)]
    # With a higher threshold it is suppressed after all.
    spans = _spans("HHSHH", [25.0, 25.0, 35.0, 25.0, 25.0], flip_value_gbp=0.05)
    assert _intents(spans) == [(Intent.HOLD, 5)]


def test_long_spans_are_real_decisions_and_zero_turns_the_hysteresis_off():
    assert _intents(_spans("HSSSH", [25.0] * 5)) == [
        (Intent.HOLD, 1),
        (Intent.SELF_POWER, 3),
        (Intent.HOLD, 1),
    ]
    assert len(_spans("HHSHH", [25.0] * 5, flip_value_gbp=0.0)) == 3
    assert len(_spans("HHSHH", None)) == 3


def test_charge_and_export_are_never_touched():
    spans = _spans("CSHHEE", [15.0, 15.0, 25.0, 25.0, 25.0, 25.0])
    kinds = [s.intent for s in spans]
    assert kinds[0] is Intent.CHARGE_FROM_GRID and kinds[-1] is Intent.EXPORT
    assert Intent.SELF_POWER in kinds  # next to a charge: not a flip between two holds


def test_the_first_span_flips_back_to_what_the_device_follows():
    spans = _spans("SHHH", [25.0] * 4, before=Intent.HOLD)
    assert _intents(spans) == [(Intent.HOLD, 4)]
    assert _intents(_spans("SHHH", [25.0] * 4)) == [(Intent.SELF_POWER, 1), (Intent.HOLD, 3)]
    assert _intents(_spans("SHHH", [25.0] * 4, before=Intent.SELF_POWER))[0][0] is Intent.SELF_POWER


def test_flip_worth_is_energy_times_the_largest_spread():
    price = np.array([20.0, 30.0, 24.0])
    discharge = np.array([0.0, 0.5, 0.0])
    worth = flip_worth_gbp(
        Intent.SELF_POWER, 1, 2, discharge_kwh=discharge, import_kwh=np.zeros(3), import_price=price
    )
    assert worth == pytest.approx(0.5 * 10.0 / 100.0)


POLICY = ControlPolicy(reserve_floor_app_percent=20.0)
FLEET = Capabilities.fleet()


def _hold_at(soe_kwh: float) -> DeviceSettings:
    span = IntentSpan(START, START + SLOT, Intent.HOLD, soe_kwh, CAP)
    return settings_for(span, soe_now_kwh=soe_kwh, policy=POLICY, capabilities=FLEET)


def test_a_hold_within_the_tolerance_of_the_floor_is_self_power_at_the_floor():
    floor_kwh = (0.95 * 20.0 + 5.0) / 100.0 * CAP
    near = _hold_at(floor_kwh + 0.2)  # ~1.5 app points above the floor
    assert near.backup_reserve_app_percent == 20.0 and not is_forced(near, POLICY)
    far = _hold_at(floor_kwh + 1.0)  # ~7.8 points: a real hold
    assert far.backup_reserve_app_percent > 25.0 and is_forced(far, POLICY)


def test_intent_held_reads_the_device():
    assert intent_held(DeviceSettings(backup_reserve_app_percent=20.0), POLICY) is Intent.SELF_POWER
    assert intent_held(DeviceSettings(backup_reserve_app_percent=45.0), POLICY) is Intent.HOLD
    export = DeviceSettings(OperationMode.AUTONOMOUS, 20.0, export_rule=ExportRule.BATTERY_OK)
    assert intent_held(export, POLICY) is None
    assert intent_held(None, POLICY) is None
