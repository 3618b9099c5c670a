"""config.json parsed and edited: the app scale converted once, unknown keys kept."""

from __future__ import annotations

import pytest

from optimiser.domain.device import ExportRule, OperationMode
from optimiser.gateway import ProtocolError
from optimiser.gateway.v1r.config_file import SettingsChange, apply_change, decode, parse_settings

DOCUMENT = {
    "vin": "DIN",
    "default_real_mode": "autonomous",
    "site_info": {"backup_reserve_percent": 24.0, "other": 1},
    "meters": [{"x": 1}],
}


def test_parse_converts_the_reserve_to_the_app_scale_and_defaults_the_export_rule():
    settings = parse_settings(DOCUMENT)
    assert settings.mode is OperationMode.AUTONOMOUS
    assert settings.backup_reserve_app_percent == pytest.approx(20.0)
    assert settings.grid_charging is True
    assert settings.export_rule is ExportRule.BATTERY_OK


def test_apply_changes_only_what_is_asked_and_leaves_the_input_alone():
    changed = apply_change(
        DOCUMENT, SettingsChange(backup_reserve_app_percent=100, grid_charging=False)
    )
    assert changed["site_info"] == {
        "backup_reserve_percent": 100.0,
        "other": 1,
        "disallow_charge_from_grid_with_solar_installed": True,
    }
    assert changed["meters"] == DOCUMENT["meters"] and changed["default_real_mode"] == "autonomous"
    assert DOCUMENT["site_info"]["backup_reserve_percent"] == 24.0


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"site_info": {"backup_reserve_percent": 5}}, "default_real_mode"),
        ({"default_real_mode": "eco", "site_info": {}}, "default_real_mode"),
        ({"default_real_mode": "backup"}, "site_info"),
        (
            {"default_real_mode": "backup", "site_info": {"backup_reserve_percent": "5"}},
            "site_info.backup_reserve_percent",
        ),
    ],
)
def test_parse_names_the_field_that_is_wrong(document, field):
    with pytest.raises(ProtocolError) as caught:
        parse_settings(document)
    assert caught.value.field == field and field in str(caught.value)


def test_decode_wants_a_json_object():
    with pytest.raises(ProtocolError, match="expected a JSON object"):
        decode(b"[1, 2]")
    with pytest.raises(ProtocolError, match="expected a JSON object"):
        decode(b"\xff{")


def test_a_reserve_outside_the_app_scale_is_refused():
    with pytest.raises(ValueError, match=r"within \[0, 100\]"):
        SettingsChange(backup_reserve_app_percent=101)
