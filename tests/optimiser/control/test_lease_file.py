"""The persisted lease: a round trip, removal, and a damaged file read as already expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from optimiser.control.lease_file import lease_path, load_lease, save_lease
from optimiser.control.policy import ControlPolicy
from optimiser.control.safety import Lease
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff

NOW = datetime(2025, 1, 16, 2, 0, tzinfo=UTC)


def test_round_trip_and_removal(tmp_path):
    forced = Settings(
        OperationMode.AUTONOMOUS,
        35.0,
        export_rule=ExportRule.BATTERY_OK,
        tariff=UploadedTariff({"doctored_tariff_marker": 1}),
    )
    lease = Lease.grant(
        forced, NOW, ControlPolicy(lease_minutes=90), until=NOW + timedelta(minutes=30)
    )
    save_lease(tmp_path, lease)
    back = load_lease(tmp_path)
    assert back.expires_at == NOW + timedelta(minutes=30)
    assert back.settings.mode is OperationMode.AUTONOMOUS
    assert back.settings.export_rule is ExportRule.BATTERY_OK
    assert "doctored_tariff_marker" not in lease_path(tmp_path).read_text()  # not copied
    assert not back.expired(NOW + timedelta(minutes=29)) and back.expired(NOW + timedelta(hours=1))
    save_lease(tmp_path, None)
    assert load_lease(tmp_path) is None


def test_a_damaged_lease_file_counts_as_expired(tmp_path):
    lease_path(tmp_path).write_text("{not json")
    lease = load_lease(tmp_path)
    assert lease is not None and lease.expired(NOW)
