"""``wattplan plan``: read the gateway, tariff and forecasts; solve; show (and apply) the plan."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from optimiser.cli.common import add_rules_arguments
from optimiser.cli.errors import FAILED, OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plan`` subcommand."""
    p = subparsers.add_parser(
        "plan",
        help="plan the battery from now to the end of tomorrow",
        description="Plan the cheapest charge/discharge schedule from now to the end of "
        "tomorrow. With no configuration it plans against the embedded emulator.",
    )
    p.add_argument("--json", action="store_true", help="print only JSON")
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="draw the plan to a PNG file")
    add_rules_arguments(p)
    p.add_argument(
        "--apply",
        action="store_true",
        help="apply the current slot's settings through the configured control backend",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Plan once and print it."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from optimiser import render
    from optimiser.cli.site import emulator_sandbox, open_site, site_history
    from optimiser.config import load_config
    from optimiser.control.factory import backend_from_config
    from optimiser.live import load_tariff, read_context
    from optimiser.planning import build_request, plan_cycle
    from rules import load_rules

    with emulator_sandbox(load_config(args.config)) as config:
        rules = load_rules(args.rules) if args.rules else None
        tariff = load_tariff(config)
        # The embedded emulator grants the installer login the local backend needs.
        role = "installer" if config.uses_emulator and config.control.backend == "local" else None
        with open_site(config, username=role) as gateway:
            state = gateway.site_state()
            backend = backend_from_config(config, gateway=gateway, units=_units(state))
            now = datetime.now(UTC)
            context = read_context(config, args.context_file, args.context, now)
            request = build_request(
                config,
                state,
                now=now,
                tariff=tariff,
                history=site_history(config, now),
                rules=rules,
                context=context,
                capabilities=backend.capabilities,
            )
            result = plan_cycle(request, config)
            applied = None
            if args.apply:
                from optimiser.control.apply_now import apply_current_slot

                # A failed plan is applied too: it becomes safe settings (see the README, Safety).
                applied = apply_current_slot(config, backend, result, now, tariff=tariff)
                if config.mqtt is not None:
                    _publish(config, backend, tariff, rules, state, result, applied, now)
        document = result.to_json_dict()
        document["prices"] = _prices_note(tariff, request.grid)
        if result.outcome.plan is not None:
            _annotate_why(document, config, result, backend.capabilities, tariff, applied)
        if applied is not None:
            document["applied"] = applied.to_json_dict()
        tz = ZoneInfo(config.site.timezone)
        if args.json:
            json.dump(document, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            prices = document["prices"]
            extra = [f"tariff: {tariff.name}", f"prices: {prices['source']}"]
            if prices["estimated_slots"]:
                extra.append(
                    f"ESTIMATED: {prices['estimated_slots']} of {request.grid.count} slots are "
                    "priced with estimates, not published rates"
                )
            extra.append(f"control: {backend.capabilities.name}")
            if config.uses_emulator:
                extra.append("gateway: embedded emulator (no gateway configured; see the README)")
            extra += _rules_lines(document, tz)
            if applied is not None:
                extra += applied.summary_lines()
            if result.outcome.status.is_ok:
                render.print_plan(document, tz, state.capacity_kwh, extra=extra)
            else:
                print(f"wattplan: no plan: {result.outcome.status.value}", file=sys.stderr)
        if args.plot and result.outcome.status.is_ok:
            render.plot_plan(document, tz, args.plot)
            if not args.json:
                print(f"plot written to {args.plot}")
        return OK if result.outcome.status.is_ok else FAILED


def _publish(config, backend, tariff, rules, state, result, applied, now) -> None:
    """One-shot MQTT: discovery, state, plan and decision (a broker that is down is a
    warning: the plan is applied all the same)."""
    from importlib.metadata import version

    from optimiser.control.factory import budget_of
    from optimiser.domain.clock import RealClock
    from optimiser.mqtt import MqttPublisher
    from optimiser.service import DecisionRecord
    from optimiser.service.records import CommandCount

    plan = result.outcome.plan
    budget = budget_of(backend)
    record = DecisionRecord(
        now,
        "plan --apply",
        applied,
        plan.cost_gbp if plan is not None else None,
        commands=CommandCount.of(budget, now) if budget is not None else None,
    )
    publisher = MqttPublisher(
        config,
        clock=RealClock(),
        tariff=tariff,
        budget=budget,
        rules=rules,
        database=Path(config.recorder.database),
        version=version("wattplan"),
    )
    if not publisher.publish_once(state, result, record):
        mqtt = config.mqtt
        print(
            f"wattplan: warning: nothing published: the MQTT broker at {mqtt.host}:{mqtt.port} "
            "did not take it in time",
            file=sys.stderr,
        )


def _prices_note(tariff, grid) -> dict:
    """Where the plan's prices came from (live / cache and its age / snapshot) and how many
    slots are priced with estimates."""
    prices = tariff.prices(grid)
    return {"source": prices.source, "estimated_slots": int(prices.estimated_slots.sum())}


def _annotate_why(document: dict, config, result, capabilities, tariff, applied) -> None:
    """Add each slot's ``why``: None where control follows the plan's ``action``, else why it
    deviates on purpose (a flip not worth its commands, an export the backend cannot make, a
    hold at the floor; with ``--apply``, a change the command budget refused now)."""
    from datetime import datetime

    from optimiser.control.deviations import plan_deviations

    whys = plan_deviations(result, config, capabilities, tariff)
    for slot, why in zip(document["slots"], whys, strict=True):
        slot["why"] = why
    if applied is not None and applied.why is not None:
        for slot in document["slots"]:
            start = datetime.fromisoformat(slot["start"])
            end = datetime.fromisoformat(slot["end"])
            if start <= applied.time < end:
                slot["why"] = applied.why


def _slot_length(document: dict):
    from datetime import datetime, timedelta

    slots = document.get("slots") or []
    if not slots:
        return timedelta(minutes=30)
    first = slots[0]
    return datetime.fromisoformat(first["end"]) - datetime.fromisoformat(first["start"])


def _ranges(starts: list[str], step, tz) -> str:
    """Slot starts as local time ranges: ``Tue 19:00–23:30, Wed 19:00–23:30``."""
    from datetime import datetime

    times = [datetime.fromisoformat(s) for s in starts]
    runs: list[list[datetime]] = []
    for t in times:
        if runs and t - runs[-1][1] == step:
            runs[-1][1] = t
        else:
            runs.append([t, t])
    parts = []
    for first, last in runs:
        a, b = first.astimezone(tz), (last + step).astimezone(tz)
        end = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a %H:%M}"
        parts.append(f"{a:%a %H:%M}–{end}")
    return ", ".join(parts)


def _units(state) -> int:
    """Number of Powerwalls, from the capacity (13.5 kWh each)."""
    return max(1, round(state.capacity_kwh / 13.5))


def _rules_lines(document: dict, tz) -> list[str]:
    report = document.get("rules")
    if not report:
        return []
    step = _slot_length(document)
    lines = ["rules:"]
    for name, starts in report["fired"].items():
        where = _ranges(starts, step, tz) if starts else "did not fire"
        lines.append(f"  {name}: {where}")
    for conflict in report["conflicts"]:
        lines.append(f"  conflict: {conflict}")
    for note in report["notes"]:
        lines.append(f"  note: {note}")
    if report.get("rules_cost_gbp") is not None:
        lines.append(
            f"  cost without rules £{report['without_rules_gbp']:.2f}; "
            f"the rules cost £{report['rules_cost_gbp']:+.2f}"
        )
    return lines
