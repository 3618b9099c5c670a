"""The gateway's config.json as v1r reads and writes it: pure parsing and editing.

A write replaces the whole file, so a change is applied to the document just read, leaving
every key wattplan does not know untouched. The settings wattplan steers (DOMAIN.md §2):

- ``default_real_mode``: ``self_consumption`` | ``autonomous`` | ``backup``;
- ``site_info.backup_reserve_percent``: on the gateway's raw scale (raw = 0.95 · app + 5);
  wattplan speaks the app scale and converts here, once; no 80 % cap;
- ``site_info.disallow_charge_from_grid_with_solar_installed``: grid charging, inverted;
- ``site_info.customer_preferred_export_rule``: ``battery_ok`` | ``pv_only`` | ``never``
  (absent means Tesla's default, ``battery_ok``).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from optimiser.domain.device import ExportRule, OperationMode
from optimiser.domain.units import app_to_raw, raw_to_app
from optimiser.gateway.errors import ProtocolError

CONFIG_JSON = "config.json"
_WHERE = "v1r config.json"


@dataclass(frozen=True)
class ConfigFile:
    """config.json as read: the decoded document and its hash (the write's optimistic lock)."""

    document: dict[str, Any]
    hash: bytes

    @property
    def settings(self) -> ConfigSettings:
        return parse_settings(self.document)


@dataclass(frozen=True, slots=True)
class ConfigSettings:
    """What wattplan steers, as config.json holds it. Reserve on the app scale. [%]"""

    mode: OperationMode
    backup_reserve_app_percent: float
    grid_charging: bool
    export_rule: ExportRule


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """A change to make; None leaves a setting as it is. Reserve on the app scale. [%]"""

    mode: OperationMode | None = None
    backup_reserve_app_percent: float | None = None
    grid_charging: bool | None = None
    export_rule: ExportRule | None = None

    def __post_init__(self) -> None:
        reserve = self.backup_reserve_app_percent
        if reserve is not None and not 0 <= reserve <= 100:
            raise ValueError(f"backup reserve must be within [0, 100] (app scale), got {reserve}")

    def is_done_in(self, settings: ConfigSettings) -> bool:
        """Whether ``settings`` already say what this change asks (reserve to 0.01 %)."""
        reserve = self.backup_reserve_app_percent
        return (
            (self.mode is None or self.mode is settings.mode)
            and (reserve is None or abs(reserve - settings.backup_reserve_app_percent) < 0.01)
            and (self.grid_charging is None or self.grid_charging is settings.grid_charging)
            and (self.export_rule is None or self.export_rule is settings.export_rule)
        )


def decode(blob: bytes) -> dict[str, Any]:
    """config.json's bytes as a JSON object; :class:`ProtocolError` if they are not one."""
    try:
        document = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(
            f"{_WHERE}: expected a JSON object, got {blob[:40]!r}", endpoint=CONFIG_JSON
        ) from exc
    if not isinstance(document, dict):
        raise ProtocolError(
            f"{_WHERE}: expected a JSON object, got {type(document).__name__}",
            endpoint=CONFIG_JSON,
        )
    return document


def encode(document: dict[str, Any]) -> bytes:
    """config.json's bytes for ``document``."""
    return json.dumps(document, separators=(",", ":")).encode()


def parse_settings(document: dict[str, Any]) -> ConfigSettings:
    """The steered settings; :class:`ProtocolError` naming the field that is wrong."""
    site_info = document.get("site_info")
    if not isinstance(site_info, dict):
        raise _bad("site_info", "an object", site_info)
    mode = document.get("default_real_mode")
    try:
        real_mode = OperationMode(mode)
    except ValueError:
        raise _bad(
            "default_real_mode", f"one of {[m.value for m in OperationMode]}", mode
        ) from None
    reserve = site_info.get("backup_reserve_percent")
    if isinstance(reserve, bool) or not isinstance(reserve, int | float):
        raise _bad("site_info.backup_reserve_percent", "a number", reserve)
    disallow = site_info.get("disallow_charge_from_grid_with_solar_installed", False)
    if not isinstance(disallow, bool):
        raise _bad(
            "site_info.disallow_charge_from_grid_with_solar_installed", "a boolean", disallow
        )
    rule = site_info.get("customer_preferred_export_rule") or ExportRule.BATTERY_OK.value
    try:
        export_rule = ExportRule(rule)
    except ValueError:
        expected = f"one of {[r.value for r in ExportRule]}"
        raise _bad("site_info.customer_preferred_export_rule", expected, rule) from None
    return ConfigSettings(real_mode, raw_to_app(float(reserve)), not disallow, export_rule)


def apply_change(document: dict[str, Any], change: SettingsChange) -> dict[str, Any]:
    """A copy of ``document`` with ``change`` made; every other key as it was."""
    updated = copy.deepcopy(document)
    site_info = updated.setdefault("site_info", {})
    if change.mode is not None:
        updated["default_real_mode"] = change.mode.value
    if change.backup_reserve_app_percent is not None:
        site_info["backup_reserve_percent"] = app_to_raw(change.backup_reserve_app_percent)
    if change.grid_charging is not None:
        site_info["disallow_charge_from_grid_with_solar_installed"] = not change.grid_charging
    if change.export_rule is not None:
        site_info["customer_preferred_export_rule"] = change.export_rule.value
    return updated


def _bad(field: str, expected: str, got: object) -> ProtocolError:
    return ProtocolError(
        f"{_WHERE}: {field}: expected {expected}, got {got!r}", endpoint=CONFIG_JSON, field=field
    )
