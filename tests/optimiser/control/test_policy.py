"""The user's control settings, made legal for the backend: the Fleet rule meets the floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from optimiser.config import Config
from optimiser.control.capabilities import Capabilities
from optimiser.control.policy import ControlPolicy, config_warnings
from optimiser.control.safety import Failure, decide, safe_settings
from optimiser.control.spans import ActionSpan
from optimiser.control.translate import settings_for
from optimiser.domain.actions import Action
from optimiser.domain.device import Settings

T0 = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
CAP = 13.5
FLEET = Capabilities.fleet()


def _span(action):
    return ActionSpan(T0, T0 + timedelta(hours=1), action, None, CAP)


def _fleet_config(reserve):
    return Config.model_validate(
        {"battery": {"reserve_percent": reserve}, "control": {"backend": "fleet"}}
    )


def test_policy_from_config():
    config = Config.model_validate(
        {"battery": {"reserve_percent": 35}, "control": {"lease_minutes": 45}}
    )
    policy = ControlPolicy.from_config(config)
    assert policy.reserve_floor_app_percent == 35
    assert policy.lease_minutes == 45


def test_config_rejects_unknown_control_keys():
    with pytest.raises(ValueError, match="extra"):
        Config.model_validate({"control": {"fleet": {"site": "1"}}})


def test_hold_tolerance_and_flip_value_are_configurable():
    config = Config.model_validate(
        {"control": {"hold_tolerance_percent": 5, "flip_value_gbp": 0.1}}
    )
    policy = ControlPolicy.from_config(config)
    assert (policy.hold_tolerance_app_percent, policy.flip_value_gbp) == (5.0, 0.1)


@pytest.mark.parametrize("floor", [85.0, 90.0, 99.0])
def test_every_path_sends_a_fleet_legal_floor(floor):
    policy = ControlPolicy(reserve_floor_app_percent=floor)
    from_config = ControlPolicy.from_config(_fleet_config(floor))
    outcomes = {
        "self_power": settings_for(
            _span(Action.SELF_POWER), soe_now_kwh=6.0, policy=policy, capabilities=FLEET
        ),
        "idle": settings_for(
            _span(Action.IDLE), soe_now_kwh=6.0, policy=policy, capabilities=FLEET
        ),
        "safe(policy, fleet)": safe_settings(policy, FLEET),
        "safe(from_config)": safe_settings(from_config),
        "decide(solver failed)": decide(
            T0, None, None, Failure.SOLVER_FAILED, policy=policy, capabilities=FLEET
        ),
        "decide(grid outage)": decide(
            T0,
            None,
            None,
            Failure.GRID_OUTAGE,
            policy=from_config,
            current=Settings(backup_reserve_app_percent=20.0),
        ),
    }
    for name, got in outcomes.items():
        assert got.backup_reserve_app_percent == 80.0, name
        assert FLEET.accepts_reserve(got.backup_reserve_app_percent), name
    assert any("reserve floor" in n for n in outcomes["safe(policy, fleet)"].notes)


def test_floor_above_80_is_kept_on_a_backend_without_the_fleet_rule():
    policy = ControlPolicy(reserve_floor_app_percent=90.0)
    assert safe_settings(policy, Capabilities.local()).backup_reserve_app_percent == 90.0
    local = Config.model_validate(
        {"battery": {"reserve_percent": 90}, "control": {"backend": "local"}}
    )
    assert ControlPolicy.from_config(local).reserve_floor_app_percent == 90.0


def test_config_warnings_for_a_fleet_floor_between_80_and_100():
    assert any("above 80%" in w for w in config_warnings(_fleet_config(90)))
    assert config_warnings(_fleet_config(80)) == []
    assert config_warnings(_fleet_config(100)) == []
    local = Config.model_validate({"battery": {"reserve_percent": 90}})
    assert config_warnings(local) == []


def test_config_check_cli_warns_about_the_fleet_floor(tmp_path, capsys):
    from optimiser.cli import main

    path = tmp_path / "wattplan.yaml"
    path.write_text("battery:\n  reserve_percent: 90\ncontrol:\n  backend: fleet\n")
    assert main(["--config", str(path), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out and "reserve floor 90%" in out
