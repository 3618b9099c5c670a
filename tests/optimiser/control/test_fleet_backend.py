"""FleetBackend and FleetClient against the Fleet emulator on loopback."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from optimiser.control import (
    Command,
    CommandBudget,
    DryRunBackend,
    FleetAuthError,
    FleetBackend,
    FleetClient,
    FleetProtocolError,
    FleetRateLimited,
    FleetUnavailable,
    TokenSource,
)
from optimiser.control.policy import ControlPolicy
from optimiser.control.safety import safe_settings
from optimiser.control.spans import ActionSpan
from optimiser.control.translate import settings_for
from optimiser.domain.actions import Action
from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff
from optimiser.domain.units import app_percent_to_kwh
from simulations.fleet_emulator import FleetEmulator, demo_site
from tests.optimiser.control.tariff_fixture import flux_like_content

SAFE = Settings(OperationMode.SELF_CONSUMPTION, 20.0, True, ExportRule.PV_ONLY)
EXPORT = Settings(
    OperationMode.AUTONOMOUS,
    30.0,
    True,
    ExportRule.BATTERY_OK,
    UploadedTariff(flux_like_content()),
)


def test_read_matches_the_emulated_site(make_backend, emulator):
    assert make_backend().read() == SAFE
    assert emulator.site.settings.backup_reserve_app_percent == pytest.approx(20.0)


def test_apply_sends_only_what_differs(make_backend, emulator):
    backend = make_backend()
    report = backend.apply(replace(SAFE, backup_reserve_app_percent=55), reason="hold")
    assert report.ok and report.sent == (Command.BACKUP,)
    assert emulator.post_count() == 1 and emulator.post_count("backup") == 1
    assert emulator.site.settings.backup_reserve_app_percent == pytest.approx(55)
    again = backend.apply(replace(SAFE, backup_reserve_app_percent=55), reason="hold again")
    assert again.sent == () and again.ok
    assert emulator.post_count() == 1


def test_export_settings_reach_the_device(make_backend, emulator):
    report = make_backend().apply(EXPORT, reason="export at peak")
    assert report.ok, report.describe()
    assert set(report.sent) == {
        Command.BACKUP,
        Command.OPERATION,
        Command.GRID_IMPORT_EXPORT,
        Command.TARIFF,
    }
    settings = emulator.site.settings
    assert settings.mode is OperationMode.AUTONOMOUS
    assert settings.export_rule is ExportRule.BATTERY_OK
    assert settings.tariff is not None
    assert settings.tariff.schedule.max_buy == pytest.approx(40.0)  # p/kWh
    assert report.after == EXPORT


def test_read_back_reports_a_setting_that_did_not_take(make_backend, emulator):
    emulator.faults.ignore.add("backup")
    report = make_backend().apply(replace(SAFE, backup_reserve_app_percent=60), reason="hold")
    assert report.sent == (Command.BACKUP, Command.BACKUP)  # sent, then retried once
    assert report.not_taken == (Command.BACKUP,)
    assert not report.ok
    assert "did not take: backup" in report.describe()


def test_a_retry_fixes_a_setting_that_did_not_take_once(make_backend, emulator):
    emulator.faults.ignore_once.add("operation")
    report = make_backend().apply(replace(SAFE, mode=OperationMode.BACKUP), reason="storm")
    assert report.sent == (Command.OPERATION, Command.OPERATION)
    assert report.ok
    assert emulator.site.settings.mode is OperationMode.BACKUP


def test_short_budget_keeps_the_most_valuable_changes_and_never_overspends(make_backend, emulator):
    backend = make_backend(per_day=3, safety_reserve=1)
    report = backend.apply(
        EXPORT,
        reason="export",
        value_gbp={Command.TARIFF: 0.9, Command.OPERATION: 0.5, Command.BACKUP: 0.1},
    )
    assert report.sent == (Command.OPERATION, Command.TARIFF)
    assert set(report.skipped) == {Command.BACKUP, Command.GRID_IMPORT_EXPORT}
    assert emulator.post_count() == 2
    # Only a safety revert may use the last command.
    assert backend.apply(SAFE, reason="plan").sent == ()
    revert = backend.apply(SAFE, reason="revert", safety=True)
    assert len(revert.sent) == 1
    assert emulator.post_count() == 3
    assert backend.budget.remaining(backend.clock(), safety=True) == 0


def test_budget_survives_a_restart(tmp_path, clock):
    path = tmp_path / "budget.json"
    first = CommandBudget(5, path)
    first.spend(clock.now())
    first.spend(clock.now())
    assert CommandBudget(5, path).remaining(clock.now()) == 3
    assert CommandBudget(5, path).remaining(clock.now() + timedelta(days=1)) == 5
    path.write_text("{broken", encoding="utf-8")
    assert CommandBudget(5, path).remaining(clock.now().replace(year=2099)) >= 0


def test_dry_run_sends_nothing(make_backend, emulator):
    dry = DryRunBackend(make_backend())
    report = dry.apply(EXPORT, reason="export at peak")
    assert report.dry_run
    assert set(report.sent) == {
        Command.BACKUP,
        Command.OPERATION,
        Command.GRID_IMPORT_EXPORT,
        Command.TARIFF,
    }
    assert emulator.post_count() == 0
    assert all(method == "GET" for method, _, _ in emulator.requests)
    assert emulator.site.settings.mode is OperationMode.SELF_CONSUMPTION


def test_dry_run_without_a_device_tracks_a_notional_one():
    dry = DryRunBackend()
    assert set(dry.apply(EXPORT, reason="a").sent) == {
        Command.BACKUP,
        Command.OPERATION,
        Command.GRID_IMPORT_EXPORT,
        Command.TARIFF,
    }
    assert dry.apply(EXPORT, reason="b").sent == ()
    assert len(dry.log) == 2


def test_expired_token_is_refreshed_and_the_request_retried(client, emulator, token_file):
    old = emulator.access_token
    emulator.expire_tokens()
    info = client.get_site_info()
    assert info["default_real_mode"] == "self_consumption"
    statuses = [(m, p, s) for m, p, s in emulator.requests]
    assert statuses == [
        ("GET", "site_info", 401),
        ("POST", "oauth", 200),
        ("GET", "site_info", 200),
    ]
    stored = json.loads(token_file.read_text(encoding="utf-8"))
    assert stored["access_token"] == emulator.access_token != old
    assert stored["refresh_token"] == emulator.refresh_token
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"


def test_refused_refresh_is_an_auth_error(tmp_path, emulator):
    path = tmp_path / "token.json"
    path.write_text(json.dumps({"access_token": "stale", "refresh_token": "wrong"}))
    client = FleetClient(
        emulator.url, emulator.site_id, TokenSource(token_file=path), 5, auth_url=emulator.url
    )
    with pytest.raises(FleetAuthError, match="token refresh") as info:
        client.get_live_status()
    assert "stale" not in str(info.value) and "wrong" not in str(info.value)


def test_token_from_the_environment(monkeypatch, emulator):
    monkeypatch.setenv("TEST_FLEET_TOKEN", emulator.access_token)
    client = FleetClient(emulator.url, emulator.site_id, TokenSource(token_env="TEST_FLEET_TOKEN"))
    assert "percentage_charged" in client.get_live_status()
    monkeypatch.delenv("TEST_FLEET_TOKEN")
    empty = FleetClient(emulator.url, emulator.site_id, TokenSource(token_env="TEST_FLEET_TOKEN"))
    with pytest.raises(FleetAuthError, match="no Fleet API access token"):
        empty.get_live_status()


def test_quota_answers_429_and_apply_reports_it(make_backend, emulator, client):
    emulator.commands_per_day = 2
    report = make_backend().apply(EXPORT, reason="export")
    assert len(report.sent) == 3  # the third was refused by the API
    assert report.errors and "429" in report.errors[0]
    assert not report.ok
    with pytest.raises(FleetRateLimited) as info:
        client.post_storm_mode(True)
    assert info.value.retry_after_s is not None and info.value.retry_after_s > 0


def test_reserve_outside_the_fleet_rule_is_rejected(client):
    with pytest.raises(FleetProtocolError, match=r"<= 80 or exactly 100"):
        client.post_backup(85)


def test_unreachable_api_is_unavailable(emulator, token_file):
    client = FleetClient("http://127.0.0.1:9", "1", TokenSource(token_file=token_file), 2)
    with pytest.raises(FleetUnavailable, match="unreachable"):
        client.get_site_info()


def test_backend_refuses_nothing_without_a_budget_file(client, clock):
    backend = FleetBackend(client, CommandBudget(1), clock=clock.now)
    assert backend.capabilities.commands_per_day == 1
    assert backend.apply(replace(SAFE, backup_reserve_app_percent=40), reason="x").ok


def test_fleet_emulator_accepts_the_safe_fallback_for_a_floor_of_90(make_backend, emulator):
    backend = make_backend()
    policy = ControlPolicy(reserve_floor_app_percent=90.0)
    report = backend.apply(safe_settings(policy, backend.capabilities), reason="safe", safety=True)
    assert report.ok, report.describe()
    assert emulator.site_info()["backup_reserve_percent"] == pytest.approx(80.0)


def test_fleet_hold_above_80_on_the_emulator_holds_through_the_evening(tmp_path):
    clock = SteppedClock(datetime(2025, 1, 10, 19, 30, tzinfo=UTC))  # after the demo sun
    soe = app_percent_to_kwh(88.0, 13.5)
    with FleetEmulator(demo_site(clock, soe_kwh=soe), clock=clock) as emulator:
        token = tmp_path / "token"
        token.write_text(emulator.access_token)
        client = FleetClient(emulator.url, emulator.site_id, TokenSource(token_file=token))
        backend = FleetBackend(client, CommandBudget(20), clock=clock.now)
        start = clock.now()
        hold = ActionSpan(start, start + timedelta(hours=3), Action.HOLD, None, 13.5)
        target = settings_for(
            hold,
            soe_now_kwh=soe,
            policy=ControlPolicy(reserve_floor_app_percent=20.0),
            capabilities=backend.capabilities,
        )
        report = backend.apply(target, reason="hold")
        assert report.ok, report.describe()
        info = emulator.site_info()
        assert info["backup_reserve_percent"] == 100
        assert info["components"]["disallow_charge_from_grid_with_solar_installed"] is True
        clock.advance(timedelta(hours=3))  # 19:30–22:30: load, no sun
        live = emulator.live_status()
        client.close()
    assert live["percentage_charged"] == pytest.approx(88.0, abs=1e-6)  # never discharged
    assert live["load_power"] > 0 and live["battery_power"] == 0.0
