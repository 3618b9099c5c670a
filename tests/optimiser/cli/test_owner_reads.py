"""What an owner reads: the Tesla app's percentages, savings that can be losses, what a command
sets, a plan summary that fits 80 columns, rule windows planned mid-slot, and --help."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from optimiser import render
from optimiser.cli import build_parser
from optimiser.cli.plan_cmd import _rules_lines
from optimiser.control.commands import Command, describe_commands
from optimiser.domain.device import OperationMode, Settings

LONDON = ZoneInfo("Europe/London")


def slot(start: datetime, end: datetime, action: str, soe: float) -> dict:
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "action": action,
        "soe_kwh": soe,
        "import_price": 10.0,
        "export_price": 5.0,
        "load_kwh": 0.5,
        "solar_kwh": 0.0,
        "import_kwh": 0.5,
        "export_kwh": 0.0,
        "charge_kwh": 0.0,
        "discharge_kwh": 0.0,
    }


def plan_document(first_start: datetime) -> dict:
    """Mid-slot start (19:07), then half-hour slots to the next evening."""
    starts = [first_start]
    t = first_start.replace(minute=30, second=0)
    while len(starts) < 48:
        starts.append(t)
        t += timedelta(minutes=30)
    ends = [*starts[1:], starts[-1] + timedelta(minutes=30)]
    actions = ["self_power"] * 48
    for i in range(14, 20):  # 02:00–05:00 local (GMT in December)
        actions[i] = "charge_from_grid"
    slots = [
        slot(a, b, act, 13.5 if act != "self_power" else 6.0)
        for a, b, act in zip(starts, ends, actions, strict=True)
    ]
    return {
        "status": "optimal",
        "slots": slots,
        "costs": {"plan_gbp": 3.39, "no_battery_gbp": 2.0, "self_powered_gbp": 4.0},
    }


START = datetime(2026, 12, 4, 19, 7, tzinfo=UTC)


def test_a_saving_that_is_a_loss_says_costs_more():
    lines = render.summary_lines(plan_document(START))
    assert "  vs no battery: £2.00 (costs £1.39 more)" in lines
    assert "  vs self-powered: £4.00 (saves £0.61)" in lines
    assert not any("£-" in line for line in lines)


def test_the_compact_summary_names_windows_and_the_app_percent():
    line = render.compact_summary(plan_document(START), LONDON, capacity_kwh=13.5)
    assert line == "charge from grid 02:00–05:00 to 100%"


def test_the_plan_table_shows_the_app_percent():
    table = render.plan_table(plan_document(START), LONDON, capacity_kwh=13.5)
    stored = list(table.columns[-1].cells)
    assert "6.00 ( 42%)" in stored[0]  # raw 44% is 42% in the Tesla app


def test_rules_fired_planned_mid_slot_merge_into_one_window():
    document = plan_document(START)
    starts = [s["start"] for s in document["slots"][:10]]  # 19:07 … 23:30
    document["rules"] = {"fired": {"evening": starts}, "conflicts": [], "notes": []}
    [_, where] = _rules_lines(document, LONDON)
    assert where == "  evening: Fri 19:07–Sat 00:00"


def test_what_a_command_sets_is_named_with_its_value():
    target = Settings(OperationMode.SELF_CONSUMPTION, 20.0)
    text = describe_commands([Command.BACKUP, Command.OPERATION], target)
    assert text == "backup reserve 20%, mode self_consumption"


@pytest.mark.parametrize("command", ["status", "trust", "emulator"])
def test_every_subcommand_describes_itself(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    out = capsys.readouterr().out
    _, _, rest = out.partition("\n\n")
    assert rest and not rest.startswith("options:"), out
