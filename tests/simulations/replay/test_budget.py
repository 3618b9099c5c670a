"""The replay rations Fleet commands exactly as production does."""

from __future__ import annotations

from datetime import date

from optimiser.config import Config
from simulations.replay import ClosedLoopOptions, ForecastMode, SiteModel, run_closed_loop
from tests.simulations.replay.conftest import period

OPTIONS = ClosedLoopOptions(forecasts=ForecastMode.PERFECT)


def _run(flux, per_day: int):
    control = {"commands_per_day": per_day, "policy": "follow"}
    config = Config.model_validate({"control": control})
    site = SiteModel.from_config(config)
    data, prices = period(flux, date(2025, 1, 6), 3)
    return run_closed_loop(data, prices, site, options=OPTIONS)


def test_a_tight_budget_is_never_exceeded_and_what_it_cost_is_counted(flux):
    tight, loose = _run(flux, 6), _run(flux, 500)
    commands = tight.stats["commands"]
    assert commands["per_day_budget"] == 6
    assert 0 < commands["max_per_day"] <= 6
    assert commands["skipped_total"] + commands["forced_refused"] > 0
    assert commands["mean_per_day"] <= 6
    free = loose.stats["commands"]
    assert free["skipped_total"] == free["forced_refused"] == 0
    assert free["max_per_day"] > 6  # the tight budget really bound
    # Rationed control follows the plan less well.
    assert tight.cost_gbp > loose.cost_gbp


def test_documented_limits_under_the_scarce_policy_hold_in_the_ledger(flux):
    """5 writes a day (3 kept for safety) and 1 tariff change a month, across a month's end:
    the policy enters time-based control one write at a time and never passes either."""
    config = Config.model_validate({"control": {"backend": "fleet", "limits": "documented"}})
    site = SiteModel.from_config(config)
    assert site.capabilities.commands_per_day == 5
    assert site.capabilities.tariff_changes_per_month == 1
    data, prices = period(flux, date(2025, 1, 30), 4)
    run = run_closed_loop(data, prices, site, options=OPTIONS)
    commands = run.stats["commands"]
    assert commands["per_day_budget"] == 5 and commands["safety_commands"] == 3
    assert max(commands["per_day"].values()) <= 5
    assert set(commands["tariff_per_month"]) == {"2025-01", "2025-02"}
    assert max(commands["tariff_per_month"].values()) <= 1
    assert commands["by_command"]["time_of_use_settings"] >= 1  # the month's tariff went up
    assert run.stats["intents"].get("export", 0) > 0
