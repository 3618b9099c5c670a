"""The fault soak (``benchmarks/soak.py``) as CI runs it: half a simulated day at 600x (about
a minute and a half), every kind of fault at least once, the service in a child process."""

from __future__ import annotations

import pytest

from benchmarks.soak import Kind, soak


@pytest.mark.slow
def test_the_service_survives_every_fault_safely_and_loses_no_sample(tmp_path):
    report = soak(tmp_path, days=0.5, speed=600, seed=17)
    log = (tmp_path / "service.log").read_text()
    assert set(report.faults) == {kind.value for kind in Kind}, report.lines()
    assert report.unexpected_exits == [], log[-3000:]
    assert report.unsafe == [], report.lines()
    assert report.samples_lost == 0
    assert report.gaps_unexplained == [], report.lines()
    assert report.samples > 0 and report.decisions > 0
    assert report.ok
