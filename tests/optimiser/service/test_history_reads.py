"""The service reads the recorded history again for a plan once its last read is
``forecast.history_refresh_minutes`` old, so today's cloud and demand reach the forecast."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

from tests.optimiser.service.conftest import START, make_service


def test_history_is_read_at_start_and_for_plans_every_half_hour(house):
    reads = []

    def history(when):
        reads.append(when)

    service = replace(make_service(house), history=history)
    service.run(until=START + timedelta(hours=2))
    assert reads[0] == START
    gaps = [b - a for a, b in pairwise(reads)]
    assert gaps and all(gap >= timedelta(minutes=30) for gap in gaps)
    assert 4 <= len(reads) <= 5  # every plan (each half hour) reads afresh
    assert service.stats.plans >= len(reads) - 1
