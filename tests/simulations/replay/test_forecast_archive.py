"""The replay judges a provider from an archive of issued forecasts, as ``run`` would use them."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from optimiser.domain.powerwall import PowerwallState
from optimiser.forecast.pv import ArrayModel
from optimiser.forecast.weather.pv_power import slot_solar_kw
from simulations.datasets import demo_trace
from simulations.datasets.synthetic_forecasts import synthetic_archive
from simulations.replay import ClosedLoopOptions, run_closed_loop
from simulations.replay.closed_loop import ClosedLoop
from tests.simulations.replay.conftest import period


def test_each_decision_plans_with_the_latest_issue_before_it(flux, site):
    data, prices = period(flux, date(2025, 6, 2), 2, step_minutes=30)
    truth = demo_trace(data.start - timedelta(days=3), data.end + timedelta(days=4))
    archive = synthetic_archive(truth, ArrayModel.from_site(site.config.site), data.start,
                                data.end, seed=1)  # fmt: skip
    options = ClosedLoopOptions(forecast_archive=archive)
    loop = ClosedLoop(data, prices, site, options)
    plain = ClosedLoop(data, prices, site, ClosedLoopOptions())
    state = PowerwallState(soe_kwh=5.0)
    for d in (3, 17, 40):
        now = loop.now_at(d)
        request = loop.request_at(now, state, None, loop.new_forecasting())
        issue = archive.latest(now)
        assert issue is not None and issue.issued_s <= now.timestamp()
        expected = slot_solar_kw(
            issue.forecast, request.grid, ArrayModel.from_site(site.config.site)
        )
        covered = expected.covered
        assert covered[:24].all()
        assert np.allclose(request.solar_kw[covered], expected.solar_kw[covered])
        history = plain.request_at(now, state, None, plain.new_forecasting())
        assert np.array_equal(request.load_kw, history.load_kw)  # load stays history's
        assert not np.allclose(request.solar_kw, history.solar_kw)
    run = run_closed_loop(data, prices, site, options=options)
    assert len(run.epoch_s) == len(data.trace.epoch_s)  # the closed loop runs on it
