"""The replay rations Fleet commands exactly as production does."""

from __future__ import annotations

from datetime import date

from optimiser.config import Config
from simulations.replay import ClosedLoopOptions, ForecastMode, SiteModel, run_closed_loop
from tests.simulations.replay.conftest import period

OPTIONS = ClosedLoopOptions(forecasts=ForecastMode.PERFECT)


def _run(flux, per_day: int):
    config = Config.model_validate({"control": {"commands_per_day": per_day}})
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
