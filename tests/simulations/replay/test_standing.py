"""Standing charges: pro rata for partial days, clock-change days are 23 or 25 hours."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from optimiser.domain.slots import LONDON
from simulations.replay.ledger import local_days, standing_charge_gbp


class FlatStanding:
    def standing_p_per_day(self, day) -> float:
        return 50.0


def charge(start: datetime, hours: float, step_h: float = 0.5) -> float:
    epoch = start.timestamp() + np.arange(0, hours, step_h) * 3600
    return standing_charge_gbp(local_days(epoch, LONDON), step_h, FlatStanding(), LONDON)


def test_a_day_and_a_half_pays_a_day_and_a_half():
    assert charge(datetime(2026, 1, 10, tzinfo=UTC), 36) == pytest.approx(0.75)


def test_a_whole_clock_change_day_pays_one_day():
    assert charge(datetime(2026, 3, 29, tzinfo=LONDON), 23) == pytest.approx(0.50)
    assert charge(datetime(2026, 10, 25, tzinfo=LONDON), 25) == pytest.approx(0.50)
