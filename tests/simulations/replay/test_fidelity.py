"""The replay's control is production's: the span due after the settle margin, a rule's forced
mode sent through the simulated device (and its command budget), and physics that follows what
the device holds, also after a plan failure."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import numpy as np

from optimiser.config import Config
from optimiser.control.safety import safe_settings
from optimiser.domain.device import OperationMode
from optimiser.domain.powerwall import PowerwallState
from optimiser.domain.units import app_to_raw
from optimiser.planning import Horizon
from rules import loads_rules
from simulations.replay import ClosedLoopOptions, ForecastMode, SiteModel
from simulations.replay.closed_loop import FALLBACK, ClosedLoop
from tests.simulations.replay.conftest import period

PERFECT = ClosedLoopOptions(forecasts=ForecastMode.PERFECT)


def _site(control: dict | None = None) -> SiteModel:
    return SiteModel.from_config(Config.model_validate({"control": control or {}}))


def _step_through(data, prices, site, *, rules=None, options=PERFECT):
    """The closed loop one decision at a time: (loop, ledger, per decision (now, intent,
    device held, commands))."""
    loop = ClosedLoop(data, prices, site, options, rules)
    ledger = loop.new_ledger()
    state = PowerwallState(soe_kwh=site.initial_soe_kwh)
    previous, forecasting, rows = None, loop.new_forecasting(), []
    for d in range(loop.count):
        now = loop.now_at(d)
        state, previous, intent = loop.decide(d, state, previous, forecasting, ledger)
        rows.append((now, intent, loop.device, loop.last_control))
    return loop, ledger, rows


def _intent_at(rows, hour: int, minute: int) -> str:
    return next(i for now, i, _, _ in rows if (now.hour, now.minute) == (hour, minute))


def test_the_span_acted_on_is_the_one_due_after_the_settle_margin(flux):
    # Flux's cheap period starts at 02:00 (UTC in January): the plan charges from the grid
    # there. With a 30-minute settle margin the 01:30 decision already acts on it.
    data, prices = period(flux, date(2025, 1, 6), 1)
    _, _, prompt = _step_through(data, prices, _site({"settle_minutes": 0}))
    _, _, early = _step_through(data, prices, _site({"settle_minutes": 30}))
    assert _intent_at(prompt, 2, 0) == "charge_from_grid"
    assert _intent_at(prompt, 1, 30) != "charge_from_grid"
    assert _intent_at(early, 1, 30) == "charge_from_grid"


def test_a_rules_forced_mode_reaches_the_device_and_costs_commands(flux):
    data, prices = period(flux, date(2025, 1, 6), 1)
    rules = loads_rules(
        'version: 1\nrules:\n  - name: backup late morning\n    when:\n      time: "10:00-12:00"\n'
        "    do:\n      force_mode: backup\n"
    )
    _, _, free = _step_through(data, prices, _site({"commands_per_day": 500, "safety_commands": 3}))
    loop, ledger, forced = _step_through(
        data, prices, _site({"commands_per_day": 500, "safety_commands": 3}), rules=rules
    )
    modes = {now.hour: device.mode for now, _, device, _ in forced}
    assert modes[10] is modes[11] is OperationMode.BACKUP
    assert modes[13] is not OperationMode.BACKUP

    sent = {(now.hour, now.minute): c.sent for now, _, _, c in forced}
    assert "operation" in sent[10, 0] and "operation" in sent[12, 0]  # into backup and out
    assert not any("operation" in c.sent for now, _, _, c in free if 10 <= now.hour < 12)
    # The physics steps under the device's backup mode: the reserve in force is the capacity.
    hours = np.array([datetime.fromtimestamp(t, UTC).hour for t in data.trace.epoch_s])
    cap = loop.site.spec.capacity_kwh
    assert np.allclose(ledger.reserve_kwh[(hours == 10) | (hours == 11)], cap)


def test_after_a_plan_failure_the_battery_follows_what_the_device_holds(flux):
    # An impossible afternoon load makes the 4-hour plans fail while the device holds a raised
    # reserve; with no commands left the safe revert is skipped and the battery keeps it.
    data, prices = period(flux, date(2025, 1, 6), 1)
    load = data.trace.load_kw.copy()
    hours = np.array([datetime.fromtimestamp(t, UTC).hour for t in data.trace.epoch_s])
    load[(hours >= 15) & (hours < 18)] = 1000.0
    data = dataclasses.replace(data, trace=dataclasses.replace(data.trace, load_kw=load))
    site = _site({"commands_per_day": 2, "safety_commands": 0})
    options = ClosedLoopOptions(forecasts=ForecastMode.PERFECT, horizon=Horizon(hours=4))
    loop, ledger, rows = _step_through(data, prices, site, options=options)
    cap = site.spec.capacity_kwh
    safe = safe_settings(site.policy)
    unsafe_fallbacks = 0
    for d, (_, intent, device, commands) in enumerate(rows):
        a, b = loop.bounds[d]
        held = (
            cap
            if device.mode is OperationMode.BACKUP
            else app_to_raw(device.backup_reserve_app_percent) / 100.0 * cap
        )
        assert np.allclose(ledger.reserve_kwh[a:b], held), (d, intent, device)
        if intent == FALLBACK and (device.backup_reserve_app_percent, device.mode) != (
            safe.backup_reserve_app_percent,
            safe.mode,
        ):
            unsafe_fallbacks += 1
            assert commands.skipped  # the safe revert was wanted, the budget could not pay
    assert sum(i == FALLBACK for _, i, _, _ in rows) > 0
    assert unsafe_fallbacks > 0
