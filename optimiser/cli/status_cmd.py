"""``wattplan status [--json]``: the gateway's current state (the embedded emulator by default)."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show the gateway's current state (embedded emulator if none configured)",
        description="Read the gateway once and show its state: charge (Tesla app scale), "
        "powers, mode, backup reserve and grid status. Reads only; changes nothing.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from optimiser.cli.site import emulator_sandbox, open_site
    from optimiser.config import load_config

    with emulator_sandbox(load_config(args.config)) as config:
        source = (
            "embedded emulator"
            if config.gateway is None
            else f"{config.gateway.host}:{config.gateway.port}"
        )
        with open_site(config) as gateway:
            state = gateway.site_state()
        if args.json:
            print(json.dumps({"source": source, **state.to_json_dict()}, indent=2))
            return 0
        _print_table(state, source, config.site.timezone)
        return 0


def _print_table(state, source: str, tz: str) -> None:
    from zoneinfo import ZoneInfo

    from rich.console import Console
    from rich.table import Table

    local = state.time.astimezone(ZoneInfo(tz))
    table = Table(title=f"Powerwall status — {source}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    rte = state.round_trip_efficiency
    battery = state.battery_kw
    flow = "discharging" if battery > 0.01 else "charging" if battery < -0.01 else "idle"
    site = state.site_kw
    grid = "importing" if site > 0.01 else "exporting" if site < -0.01 else "idle"
    rows = [
        ("time", f"{local:%Y-%m-%d %H:%M:%S %Z}"),
        ("stored", f"{state.soe_kwh:.2f} of {state.capacity_kwh:.2f} kWh"),
        ("charge (app / raw)", f"{state.app_percent:.1f} % / {state.soc_percent:.1f} %"),
        ("mode", state.mode.value),
        (
            "backup reserve (app / raw)",
            f"{state.app_reserve_percent:.1f} % / {state.backup_reserve_percent:.1f} %",
        ),
        ("grid", f"{state.grid_status} ({'up' if state.grid_up else 'DOWN'})"),
        ("load", f"{state.load_kw:.2f} kW"),
        ("solar", f"{state.solar_kw:.2f} kW"),
        ("battery", f"{abs(battery):.2f} kW {flow}"),
        ("grid power", f"{abs(site):.2f} kW {grid}"),
        (
            "power limits",
            f"charge {state.max_charge_kw:.1f} kW, discharge {state.max_discharge_kw:.1f} kW",
        ),
        (
            "lifetime battery",
            f"{state.battery_charged_kwh:,.0f} kWh in, {state.battery_discharged_kwh:,.0f} kWh out",
        ),
        ("round-trip efficiency", "unknown yet" if rte is None else f"{rte:.1%}"),
        (
            "lifetime grid",
            f"{state.site_imported_kwh:,.0f} kWh imported, "
            f"{state.site_exported_kwh:,.0f} kWh exported",
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)
