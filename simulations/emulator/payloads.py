"""Pure builders of the gateway's JSON payloads from a :class:`SiteSnapshot` (DOMAIN.md §1).

Field names are the gateway's, powers in W and energies in Wh. Readings are consistent by
construction: ``soe.percentage = 100 × nominal_energy_remaining / nominal_full_pack_energy``,
aggregates battery ``energy_exported``/``energy_imported`` = the blocks' discharged/charged,
and load = site + battery + solar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulations.emulator.site import SiteSnapshot

DIN = "1232100-00-E--TG123456789ABC"
VERSION = "23.44.0 eb113390"
SITE_NAME = "wattplan demo home"
FREQUENCY_HZ = 50.0
VOLTAGE_V = 240.0


def _rfc3339(when: datetime) -> str:
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _w(kw: float) -> float:
    return round(kw * 1000.0, 3)


def _blocks(snap: SiteSnapshot) -> list[dict[str, Any]]:
    units = snap.spec.units
    flows = snap.flows
    blocks = []
    for i in range(units):
        p_out = flows.battery_kw * 1000.0 / units
        blocks.append(
            {
                "PackagePartNumber": "3012170-10-B",
                "PackageSerialNumber": f"TG1221000000{i + 1:02d}",
                "disabled_reasons": [],
                "pinv_grid_state": "Grid_Compliant" if snap.grid_up else "Grid_Uncompliant",
                "pinv_state": "PINV_GridFollowing" if snap.grid_up else "PINV_GridForming",
                "nominal_energy_remaining": snap.state.soe_kwh * 1000.0 / units,
                "nominal_full_pack_energy": snap.spec.capacity_kwh * 1000.0 / units,
                "p_out": round(p_out, 3),
                "q_out": 0.0,
                "v_out": VOLTAGE_V,
                "f_out": FREQUENCY_HZ,
                "i_out": round(p_out / VOLTAGE_V, 3),
                "energy_charged": snap.state.charged_kwh * 1000.0 / units,
                "energy_discharged": snap.state.discharged_kwh * 1000.0 / units,
                "off_grid": not snap.grid_up,
                "vf_mode": not snap.grid_up,
                "wobble_detected": False,
                "charge_power_clamped": False,
                "backup_ready": True,
                "OpSeqState": "Active",
                "version": VERSION.split()[1],
            }
        )
    return blocks


def system_status(snap: SiteSnapshot) -> dict[str, Any]:
    """``GET /api/system_status``."""
    spec = snap.spec
    blocks = _blocks(snap)
    full = sum(b["nominal_full_pack_energy"] for b in blocks)
    remaining = sum(b["nominal_energy_remaining"] for b in blocks)
    return {
        "command_source": "Configuration",
        "battery_target_power": _w(snap.flows.battery_kw),
        "battery_target_reactive_power": 0,
        "nominal_full_pack_energy": full,
        "nominal_energy_remaining": remaining,
        "max_power_energy_remaining": 0,
        "max_power_energy_to_be_charged": 0,
        "max_charge_power": _w(spec.max_charge_kw),
        "max_discharge_power": _w(spec.max_discharge_kw),
        "max_apparent_power": _w(spec.max_discharge_kw),
        "instantaneous_max_discharge_power": _w(spec.max_discharge_kw) * 1.4,
        "instantaneous_max_charge_power": _w(spec.max_charge_kw) * 1.4,
        "instantaneous_max_apparent_power": _w(spec.max_discharge_kw) * 1.4,
        "hardware_capability_charge_power": 0,
        "hardware_capability_discharge_power": 0,
        "grid_services_power": 0,
        "system_island_state": "SystemGridConnected" if snap.grid_up else "SystemIslandedActive",
        "available_blocks": spec.units,
        "available_charger_blocks": 0,
        "battery_blocks": blocks,
        "ffr_power_availability_high": 0,
        "ffr_power_availability_low": 0,
        "load_charge_constraint": 0,
        "max_sustained_ramp_rate": _w(spec.max_discharge_kw) * 2.5,
        "grid_faults": [],
        "can_reboot": "Yes",
        "smart_inv_delta_p": 0,
        "smart_inv_delta_q": 0,
        "last_toggle_timestamp": _rfc3339(snap.started),
        "solar_real_power_limit": -1,
        "score": 10000,
        "blocks_controlled": spec.units,
        "primary": True,
        "auxiliary_load": 0,
        "all_enable_lines_high": True,
        "inverter_nominal_usable_power": _w(spec.max_discharge_kw),
        "expected_energy_remaining": 0,
    }


def soe(snap: SiteSnapshot) -> dict[str, Any]:
    """``GET /api/system_status/soe``: raw-scale percentage."""
    status = system_status(snap)
    return {
        "percentage": 100.0
        * status["nominal_energy_remaining"]
        / status["nominal_full_pack_energy"]
    }


def grid_status(snap: SiteSnapshot) -> dict[str, Any]:
    """``GET /api/system_status/grid_status``."""
    return {
        "grid_status": "SystemGridConnected" if snap.grid_up else "SystemIslandedActive",
        "grid_services_active": False,
    }


def grid_faults(snap: SiteSnapshot) -> list[Any]:
    """``GET /api/system_status/grid_faults``: none recorded."""
    return []


def _meter(
    snap: SiteSnapshot, power_kw: float, exported_kwh: float, imported_kwh: float, n: int | None
) -> dict[str, Any]:
    stamp = snap.time.isoformat(timespec="microseconds")
    watts = _w(power_kw)
    meter: dict[str, Any] = {
        "last_communication_time": stamp,
        "instant_power": watts,
        "instant_reactive_power": 0.0,
        "instant_apparent_power": abs(watts),
        "frequency": FREQUENCY_HZ if snap.grid_up else 50.02,
        "energy_exported": exported_kwh * 1000.0,
        "energy_imported": imported_kwh * 1000.0,
        "instant_average_voltage": VOLTAGE_V,
        "instant_average_current": round(watts / VOLTAGE_V, 3),
        "i_a_current": 0,
        "i_b_current": 0,
        "i_c_current": 0,
        "last_phase_voltage_communication_time": "0001-01-01T00:00:00Z",
        "last_phase_power_communication_time": "0001-01-01T00:00:00Z",
        "last_phase_energy_communication_time": "0001-01-01T00:00:00Z",
        "timeout": 1500000000,
        "instant_total_current": round(abs(watts) / VOLTAGE_V, 3),
    }
    if n is not None:
        meter["num_meters_aggregated"] = n
    return meter


def meters_aggregates(snap: SiteSnapshot) -> dict[str, Any]:
    """``GET /api/meters/aggregates``: site, battery, load, solar."""
    f = snap.flows
    battery_w = _w(f.battery_kw)
    site_w = _w(f.grid_kw)
    solar_w = _w(f.solar_kw)
    out = {
        "site": _meter(snap, f.grid_kw, snap.site_exported_kwh, snap.site_imported_kwh, 1),
        "battery": _meter(
            snap, f.battery_kw, snap.state.discharged_kwh, snap.state.charged_kwh, snap.spec.units
        ),
        "load": _meter(snap, f.load_kw, 0.0, snap.load_imported_kwh, None),
        "solar": _meter(snap, f.solar_kw, snap.solar_exported_kwh, snap.solar_imported_kwh, 1),
    }
    # The gateway derives load from the other meters; keep the sum exact after rounding.
    out["load"]["instant_power"] = round(site_w + battery_w + solar_w, 3)
    return out


def operation(snap: SiteSnapshot) -> dict[str, Any]:
    """``GET /api/operation``: mode and reserve (raw scale)."""
    return {
        "real_mode": snap.settings.mode.value,
        "backup_reserve_percent": snap.settings.backup_reserve_raw_percent,
        "freq_shift_load_shed_soe": 75,
        "freq_shift_load_shed_delta_f": -0.32,
    }


def site_info(snap: SiteSnapshot) -> dict[str, Any]:
    """``GET /api/site_info`` (note kWh and kW here)."""
    spec = snap.spec
    return {
        "max_system_energy_kWh": spec.capacity_kwh,
        "max_system_power_kW": spec.max_discharge_kw,
        "site_name": SITE_NAME,
        "timezone": "Europe/London",
        "max_site_meter_power_kW": 1000000000,
        "min_site_meter_power_kW": -1000000000,
        "nominal_system_energy_kWh": spec.capacity_kwh,
        "nominal_system_power_kW": spec.max_discharge_kw,
        "panel_max_current": 100,
        "grid_code": {
            "grid_code": "50Hz_230V_1_G98:2019_UK",
            "grid_voltage_setting": 230,
            "grid_freq_setting": 50,
            "grid_phase_setting": "Single",
            "country": "United Kingdom",
            "state": "*",
            "utility": "*",
        },
    }


def site_name(snap: SiteSnapshot) -> dict[str, Any]:
    """``GET /api/site_info/site_name``."""
    return {"site_name": SITE_NAME, "timezone": "Europe/London"}


def _go_duration(seconds: float) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours)}h{int(minutes)}m{secs:.6f}s"


def status(snap: SiteSnapshot) -> dict[str, Any]:
    """``GET /api/status``; up since the site started, on the site's clock."""
    return {
        "din": DIN,
        "start_time": snap.started.strftime("%Y-%m-%d %H:%M:%S +0000"),
        "up_time_seconds": _go_duration((snap.time - snap.started).total_seconds()),
        "is_new": False,
        "version": VERSION,
        "git_hash": "eb113390162784e3e1a2b8a5d3c8a8c2c5f5f1a4",
        "commission_count": 1,
        "device_type": "teg",
        "teg_type": "pw2",
        "sync_type": "v2.1",
        "cellular_disabled": False,
        "can_reboot": True,
    }


def sitemaster(running: bool) -> dict[str, Any]:
    """``GET /api/sitemaster``."""
    return {
        "status": "StatusUp" if running else "StatusDown",
        "running": running,
        "connected_to_tesla": True,
        "power_supply_mode": False,
        "can_reboot": "Yes" if running else "Power flow is too high",
    }


def powerwalls(snap: SiteSnapshot) -> dict[str, Any]:
    """``GET /api/powerwalls``."""
    return {
        "enumerating": False,
        "updating": False,
        "checking_if_offgrid": False,
        "running_phase_detection": False,
        "phase_detection_last_error": "no phase information",
        "bubble_shedding": False,
        "on_grid_check_error": "on grid check not run",
        "grid_qualifying": False,
        "grid_code_validating": False,
        "phase_detection_not_available": True,
        "powerwalls": [
            {
                "Type": "",
                "PackagePartNumber": "3012170-10-B",
                "PackageSerialNumber": f"TG1221000000{i + 1:02d}",
                "type": "ACPW",
                "grid_state": "Grid_Compliant" if snap.grid_up else "Grid_Uncompliant",
                "grid_reconnection_time_seconds": 0,
                "under_phase_detection": False,
                "updating": False,
                "commissioning_diagnostic": {"name": "Commissioning", "category": "InternalComms"},
                "update_diagnostic": {"name": "Firmware Update", "category": "InternalComms"},
                "bc_type": None,
                "in_config": True,
            }
            for i in range(snap.spec.units)
        ],
        "gateway_din": DIN,
        "sync": {"updating": False, "commissioning_diagnostic": {}, "update_diagnostic": {}},
        "msa": None,
        "states": None,
    }


def error(code: int, error_text: str, message: str) -> dict[str, Any]:
    """The gateway's error body."""
    return {"code": code, "error": error_text, "message": message}


BAD_CREDENTIALS = error(401, "bad credentials", "Login Error")
FORBIDDEN = error(403, "Unable to POST to resource", "User does not have adequate access rights")
RATE_LIMITED = error(429, "Api Limit reached for this endpoint", "API Limit Reached")
EXPIRED = error(401, "token expired", "Login Required")
