"""What the same forecast costs without a battery, and with Tesla's self-powered mode.

Both walk the plan's slot grid with the same prices, load and solar as the plan, so the three
costs are directly comparable. The self-powered baseline steps the shared Powerwall model
(:func:`optimiser.domain.powerwall.step_through`) in ``self_consumption`` with the backup
reserve at the plan's reserve floor and export of solar only (``pv_only``).
"""

from __future__ import annotations

import numpy as np

from optimiser.domain.device import ExportRule, OperationMode, Settings
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState, step_through
from optimiser.domain.units import kwh_to_app_percent
from optimiser.planner.inputs import PlanInputs


def no_battery_flows(inputs: PlanInputs) -> tuple[np.ndarray, np.ndarray]:
    """Import and export per slot with no battery: the deficit and the surplus up to the
    export limit (the rest is curtailed). [kWh]"""
    h = inputs.hours
    net_kwh = (inputs.load_kw - inputs.solar_kw) * h
    import_kwh = np.maximum(net_kwh, 0.0)
    export_kwh = np.minimum(np.maximum(-net_kwh, 0.0), inputs.export_limit_kw * h)
    return import_kwh, export_kwh


def no_battery_cost_gbp(inputs: PlanInputs) -> float:
    """Cost with no battery: import the deficit, export the surplus up to the limit. [£]

    Surplus beyond the export limit is curtailed; nothing else responds to prices.
    """
    import_kwh, export_kwh = no_battery_flows(inputs)
    cost_p = np.dot(import_kwh, inputs.import_price) - np.dot(export_kwh, inputs.export_price)
    return float(cost_p) / 100.0


def self_powered_flows(inputs: PlanInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Import, export and end-of-slot stored energy under self-powered mode. [kWh]"""
    bat = inputs.battery
    h = inputs.hours
    specs = [
        PowerwallSpec(
            capacity_kwh=bat.capacity_kwh,
            max_charge_kw=max(bat.max_charge_kw, 1e-9),
            max_discharge_kw=max(bat.max_discharge_kw, 1e-9),
            charge_efficiency=bat.charge_efficiency,
            discharge_efficiency=bat.discharge_efficiency,
            reserve_charge_kw_per_unit=float(inputs.max_grid_charge_kw[t]),
            export_limit_kw=float(inputs.export_limit_kw[t]),
            import_limit_kw=float(inputs.import_limit_kw[t]),
        )
        for t in range(inputs.grid.count)
    ]
    settings = [
        Settings(
            mode=OperationMode.SELF_CONSUMPTION,
            backup_reserve_app_percent=kwh_to_app_percent(
                float(inputs.reserve_floor_kwh[t]), bat.capacity_kwh
            ),
            grid_charging=bool(inputs.grid_charge_allowed[t]),
            export_rule=ExportRule.PV_ONLY,
        )
        for t in range(inputs.grid.count)
    ]
    flows = step_through(
        specs,
        PowerwallState(soe_kwh=bat.soe_kwh),
        settings,
        load_kw=inputs.load_kw,
        solar_kw=inputs.solar_kw,
        dt_h=h,
    )
    import_kwh = np.maximum(flows.grid_kw, 0.0) * h
    export_kwh = np.maximum(-flows.grid_kw, 0.0) * h
    return import_kwh, export_kwh, flows.soe_kwh


def self_powered_cost_gbp(inputs: PlanInputs) -> float:
    """Cost under Tesla's self-powered mode with the reserve at the plan's floor. [£]"""
    import_kwh, export_kwh, _ = self_powered_flows(inputs)
    cost_p = np.dot(import_kwh, inputs.import_price) - np.dot(export_kwh, inputs.export_price)
    return float(cost_p) / 100.0
