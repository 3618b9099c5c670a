"""The synthetic provider: issued on schedule, error growing with lead time, dark at night."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from optimiser.forecast.pv import ArrayModel, clear_sky_kw
from simulations.datasets import demo_trace
from simulations.datasets.synthetic_forecasts import synthetic_archive

START = datetime(2025, 5, 1, tzinfo=UTC)
END = START + timedelta(days=14)


def test_issued_every_six_hours_with_error_growing_with_lead_time():
    trace = demo_trace(START - timedelta(days=3), END + timedelta(days=4), step_minutes=30)
    array = ArrayModel()
    archive = synthetic_archive(trace, array, START, END, seed=3)
    issued = np.array([i.issued_s for i in archive.issues])
    assert issued.max() <= END.timestamp() and np.all(np.diff(issued) == 6 * 3600)
    assert {datetime.fromtimestamp(t, UTC).hour for t in issued} == {4, 10, 16, 22}
    truth = dict(zip(trace.epoch_s + 900, trace.solar_kw, strict=True))  # 30-min means
    errors = {0: [], 1: []}  # lead < 6 h, lead 24–48 h
    for issue in archive.issues:
        f = issue.forecast
        run_s = issue.issued_s - 4 * 3600
        for t, kw in zip(f.epoch_s, f.ac_kw, strict=True):
            lead_h = (t - run_s) / 3600
            band = 0 if lead_h < 6 else 1 if 24 <= lead_h < 48 else None
            if band is not None and t in truth:
                errors[band].append(abs(kw - truth[t]))
    assert np.mean(errors[0]) < 0.8 * np.mean(errors[1])
    night = clear_sky_kw(archive.issues[0].forecast.epoch_s, array) == 0
    assert night.any() and np.all(archive.issues[0].forecast.ac_kw[night] == 0)
    again = synthetic_archive(trace, array, START, END, seed=3)
    assert np.array_equal(again.issues[5].forecast.ac_kw, archive.issues[5].forecast.ac_kw)
