"""The JSON form of :class:`~optimiser.domain.device.Settings` (lease file, ``--json``)."""

from __future__ import annotations

from typing import Any

from optimiser.domain.device import ExportRule, OperationMode, Settings


def settings_to_json(settings: Settings) -> dict[str, Any]:
    """JSON form of ``settings`` (the tariff is summarised, not copied)."""
    return {
        "mode": settings.mode.value,
        "backup_reserve_app_percent": settings.backup_reserve_app_percent,
        "grid_charging": settings.grid_charging,
        "export_rule": settings.export_rule.value,
        "tariff_uploaded": settings.tariff is not None,
        "notes": list(settings.notes),
    }


def settings_from_json(data: dict[str, Any]) -> Settings:
    """Inverse of :func:`settings_to_json` (without the tariff content)."""
    return Settings(
        OperationMode(data["mode"]),
        float(data["backup_reserve_app_percent"]),
        grid_charging=bool(data["grid_charging"]),
        export_rule=ExportRule(data["export_rule"]),
    )
