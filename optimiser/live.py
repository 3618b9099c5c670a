"""The live edge of a planning cycle: read the tariff, the recorded history and the context.

``wattplan plan`` and ``wattplan run`` read the world through these functions, then build the
request (:func:`optimiser.planning.build_request`) and plan
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
    ContextError,
    check_context,
    load_context_file,
    parse_cli_context,
)
from rules.schema import RulesFile
from tariffs import OctopusAccess, Tariff, get_account_tariff, get_tariff, load_custom_tariff

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
