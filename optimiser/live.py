"""The live edge of a planning cycle: read the tariff and its events, the recorded history and
the context.

``wattplan plan`` and ``wattplan run`` (at every planning cycle) read the world through these
functions, then build the request (:func:`optimiser.planning.build_request`) and plan
(:func:`optimiser.planning.plan_cycle`). The replay reads recorded data instead and calls the
same two.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from optimiser.config import Config
from optimiser.domain.history import History
from optimiser.recorder import read_recording
from rules.context import (
    Context,
    ContextEntry,
    ContextError,
    check_context,
    load_context_file,
    parse_cli_context,
)
from rules.schema import RulesFile
from tariffs import OctopusAccess, Tariff, get_account_tariff, get_tariff, load_custom_tariff
from tariffs.errors import EventError
from tariffs.events import EventPrices, car_charging_until, dispatch_events
from tariffs.events_file import load_events_file
from tariffs.live_events import context_events, octopus_events

#: The context fact set while the car charges (an Intelligent Octopus dispatch under way); the
#: example rules hold the battery then, so it never discharges into the car.
EV_CHARGING = "ev_charging"

log = logging.getLogger(__name__)


def load_tariff(config: Config) -> Tariff:
    """The configured tariff: a custom YAML file, the Octopus account's agreements, or a
    built-in product; from Octopus (live when due, else cached, snapshot estimates flagged)
    when ``config.tariff.live``, else from the bundled snapshot."""
    if config.tariff.custom_file is not None:
        return load_custom_tariff(config.tariff.custom_file.expanduser())
    access = OctopusAccess(
        config.tariff.octopus_base_url, config.state_path(), live=config.tariff.live
    )
    if config.tariff.source == "account":
        return get_account_tariff(access)
    return get_tariff(config.tariff.product, config.tariff.region, access=access)


def load_prices(
    config: Config,
    now: datetime,
    context: Context | None = None,
    events_file: Path | None = None,
    tariff: Tariff | None = None,
) -> EventPrices:
    """The configured tariff (``tariff`` when already loaded) with its events laid over the
    import price: saving sessions and power-ups from the Octopus API (cached), the events file
    (``events_file``, else ``octopus.events_file``) and the context facts ``saving_session`` /
    ``power_up``; Intelligent Octopus dispatches once confirmed (completed or under way)."""
    tariff = tariff if tariff is not None else load_tariff(config)
    events, dispatches, notes = [], [], []
    if config.octopus.events:
        access = OctopusAccess(
            config.tariff.octopus_base_url, config.state_path(), live=config.tariff.live
        )
        want = config.octopus.dispatches
        fetched = octopus_events(
            access,
            dispatches=tariff.dispatch_price is not None if want is None else want,
            auto_join=config.octopus.auto_join,
        )
        events += fetched.events
        dispatches += fetched.dispatches
        if fetched.events or fetched.dispatches or "octopus" in config.model_fields_set:
            notes.append(fetched.note)
    path = events_file if events_file is not None else config.octopus.events_file
    if path is not None:
        file_events, file_dispatches = load_events_file(path.expanduser())
        events += file_events
        dispatches += file_dispatches
        notes.append(
            f"events file {path}: {len(file_events)} events, {len(file_dispatches)} dispatches"
        )
    if context is not None:
        try:
            events += context_events(context.active(now), now, ZoneInfo(config.site.timezone))
        except EventError as exc:  # a fact from the home must not stop planning
            notes.append(f"context fact ignored: {exc}")
    events += dispatch_events(dispatches, now, tariff.dispatch_price)
    return EventPrices(tariff, tuple(events), tuple(n for n in notes if n), tuple(dispatches))


def with_car_context(context: Context, prices: EventPrices, now: datetime) -> Context:
    """``context`` with ``ev_charging`` set until the end of a dispatch under way at ``now``
    (unless the context already says otherwise: what the home says wins)."""
    until = car_charging_until(prices.dispatches, now)
    if until is None or EV_CHARGING in context.active(now):
        return context
    fact = Context({EV_CHARGING: ContextEntry(True, until, "Intelligent Octopus dispatch")})
    return fact.merged(context)


def read_recorded_history(config: Config) -> History | None:
    """Recorded load and solar from the recorder's database, or None when there is none."""
    database = Path(config.recorder.database).expanduser()
    if not database.exists():
        log.info("no recordings at %s: forecasting from typical profiles", database)
        return None
    return read_recording(database).to_history()


def read_context(
    config: Config,
    files: list[Path],
    cli_values: list[str],
    now: datetime,
    rules: RulesFile | None,
) -> Context:
    """Context from YAML files and ``--context key=value[@expiry]`` values (CLI wins), checked
    against the rules that read it; raises :class:`ContextError` for context with no rules or
    a value no rule can match."""
    if rules is None and (files or cli_values):
        raise ContextError(
            "--context or --context-file given without --rules: expected a rules file whose "
            "conditions read the context (nothing else does)"
        )
    tz = ZoneInfo(config.site.timezone)
    context = Context()
    for path in files:
        context = context.merged(load_context_file(path, now, tz))
    context = context.merged(parse_cli_context(cli_values, now, tz))
    if rules is not None:
        check_context(context, rules)
    return context
