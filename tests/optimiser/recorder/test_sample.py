from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from optimiser.domain.device import OperationMode
from optimiser.recorder import Sample, sample_from_site_state


@dataclass(frozen=True, slots=True)
class FakeSiteState:
    """The shape of optimiser.gateway.SiteState (the recorder reads attributes by name)."""

    time: datetime
    capacity_kwh: float
    soe_kwh: float
    soc_percent: float
    max_charge_kw: float
    max_discharge_kw: float
    mode: OperationMode
    backup_reserve_percent: float
    grid_status: str
    grid_up: bool
    load_kw: float
    solar_kw: float
    battery_kw: float
    site_kw: float
    battery_charged_kwh: float
    battery_discharged_kwh: float
    site_imported_kwh: float
    site_exported_kwh: float
    solar_exported_kwh: float
    load_imported_kwh: float


def test_sample_from_site_state_copies_every_field_and_normalises_to_utc():
    bst = timezone(timedelta(hours=1))
    state = FakeSiteState(
        time=datetime(2026, 6, 1, 13, 0, 0, tzinfo=bst),
        capacity_kwh=13.5,
        soe_kwh=6.75,
        soc_percent=50.0,
        max_charge_kw=5.0,
        max_discharge_kw=5.0,
        mode=OperationMode.AUTONOMOUS,
        backup_reserve_percent=24.0,
        grid_status="SystemIslandedActive",
        grid_up=False,
        load_kw=1.2,
        solar_kw=2.5,
        battery_kw=-1.3,
        site_kw=0.0,
        battery_charged_kwh=1.0,
        battery_discharged_kwh=2.0,
        site_imported_kwh=3.0,
        site_exported_kwh=4.0,
        solar_exported_kwh=5.0,
        load_imported_kwh=6.0,
    )
    sample = sample_from_site_state(state)
    assert sample.time == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert sample.time.utcoffset() == timedelta(0)
    assert sample.mode == "autonomous" and type(sample.mode) is str
    assert sample.soe_percent == pytest.approx(50.0)
    assert (sample.battery_kw, sample.site_kw, sample.grid_status) == (
        -1.3,
        0.0,
        "SystemIslandedActive",
    )
    assert (
        sample.battery_charged_kwh,
        sample.battery_discharged_kwh,
        sample.site_imported_kwh,
        sample.site_exported_kwh,
        sample.solar_exported_kwh,
        sample.load_imported_kwh,
    ) == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    assert sample.epoch_s == 1780315200
    with pytest.raises(FrozenInstanceError):
        sample.load_kw = 0.0  # type: ignore[misc]


def test_sample_rejects_naive_time_and_non_finite_numbers():
    with pytest.raises(ValueError, match="timezone-aware"):
        Sample(time=datetime(2026, 1, 1, 12, 0))
    with pytest.raises(ValueError, match="load_kw must be finite"):
        Sample(time=datetime(2026, 1, 1, tzinfo=UTC), load_kw=float("nan"))
    assert Sample(time=datetime(2026, 1, 1, tzinfo=UTC)).soe_percent is None
