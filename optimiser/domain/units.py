"""The one converter between the Tesla app's percentage, the gateway's raw percentage and kWh.

The app shows 0–100 % where the gateway reports raw state of charge; raw = 0.95 · app + 5
(DESIGN.md glossary). Every other module converts through these functions.
"""

from __future__ import annotations


def app_to_raw(app_percent: float) -> float:
    """Tesla app % → gateway raw %: raw = 0.95 · app + 5 (DESIGN.md glossary). [%]"""
    return 0.95 * app_percent + 5.0


def raw_to_app(raw_percent: float) -> float:
    """Gateway raw % → Tesla app %: app = (raw − 5) / 0.95, clipped to [0, 100]. [%]"""
    return min(max((raw_percent - 5.0) / 0.95, 0.0), 100.0)


def app_percent_to_kwh(app_percent: float, capacity_kwh: float) -> float:
    """Stored energy for a Tesla-app percentage (raw = 0.95·app + 5). [kWh]

    Raises ``ValueError`` outside [0, 100].
    """
    if not 0 <= app_percent <= 100:
        raise ValueError(f"app_percent must be within [0, 100], got {app_percent}")
    return app_to_raw(app_percent) / 100.0 * capacity_kwh


def kwh_to_app_percent(soe_kwh: float, capacity_kwh: float) -> float:
    """Stored energy → Tesla-app percentage, clipped to [0, 100]. [%]"""
    return raw_to_app(100.0 * soe_kwh / capacity_kwh)
