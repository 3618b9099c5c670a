"""Helpers shared by the recorder tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from optimiser.recorder import Sample

START = datetime(2026, 3, 29, 0, 0, 10, tzinfo=UTC)


def make_sample(when: datetime, i: int = 0) -> Sample:
    """A plausible reading whose values depend on ``i`` (so rows are distinguishable)."""
    return Sample(
        time=when,
        soe_kwh=5.0 + (i % 10) * 0.1,
        capacity_kwh=13.5,
        load_kw=0.4 + (i % 7) * 0.05,
        solar_kw=max(0.0, (i % 13) * 0.1 - 0.3),
        battery_kw=0.2,
        site_kw=0.1,
        mode="self_consumption",
        backup_reserve_percent=24.0,
        grid_status="SystemGridConnected",
        battery_charged_kwh=1000.0 + i,
        battery_discharged_kwh=900.0 + i,
        site_imported_kwh=5000.0,
        site_exported_kwh=2000.0,
        solar_exported_kwh=7000.0,
        load_imported_kwh=9000.0,
    )


@pytest.fixture
def db(tmp_path):
    return tmp_path / "rec" / "recording.sqlite"
