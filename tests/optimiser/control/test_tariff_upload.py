"""The tariff kept uploaded: doctored for export, its cheapest period the true one."""

from __future__ import annotations

from datetime import UTC, date, datetime

from optimiser.control.tariff_upload import uploaded_tariff_for
from tariffs import get_tariff


def test_uploaded_tariff_is_the_doctored_one_with_the_true_cheapest_period():
    uploaded, why = uploaded_tariff_for(get_tariff("flux", "C"), date(2025, 1, 10), "Europe/London")
    assert uploaded is not None, why
    assert uploaded.cheapest_at(datetime(2025, 1, 10, 3, 0, tzinfo=UTC))
    assert not uploaded.cheapest_at(datetime(2025, 1, 10, 12, 0, tzinfo=UTC))
    peak = uploaded.schedule.period_at(datetime(2025, 1, 10, 17, 0, tzinfo=UTC))
    assert peak.sell == peak.buy == uploaded.schedule.max_buy  # exports at peak


def test_no_tariff_is_no_upload_and_says_why():
    assert uploaded_tariff_for(None, date(2025, 1, 10), "Europe/London") == (
        None,
        "no tariff given to doctor for export",
    )
