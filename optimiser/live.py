"""The live edge of a planning cycle: read the tariff, the history and the forecast.

``wattplan plan`` and ``wattplan run`` read the world through these functions and then call
the one pure planning path, :func:`optimiser.planning.plan_cycle`. The replay simulator reads
recorded data instead and calls the same function.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from optimiser.config import Config
from optimiser.forecast import History, HistoryForecaster
from optimiser.planning import PlanRequest, horizon
from optimiser.recorder import read_recording
from rules.context import Context, load_context_file, parse_cli_context
from rules.schema import RulesFile

log = logging.getLogger(__name__)


def load_tariff(config: Config):
    """The configured tariff: a custom YAML file, the Octopus account's agreements, or a
    built-in product; from Octopus (live when due, else cached, snapshot estimates flagged)
    when ``config.tariff.live``, else from the bundled snapshot."""
    from tariffs import OctopusAccess, get_account_tariff, get_tariff, load_custom_tariff

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


def plan_request(
    config: Config,
    state: Any,
    *,
    now: datetime,
    tariff: Any,
    history: History | None,
    rules: RulesFile | None = None,
    context: Context | None = None,
    previous=None,
    capabilities=None,
    forecaster=None,
) -> PlanRequest:
    """Gather prices and forecasts on the planning horizon into a :class:`PlanRequest`.

    ``capabilities`` (the control backend's) limit the plan to what the device can follow.
    ``forecaster`` (default: a ``HistoryForecaster`` for the config) forecasts load and solar.
    """
    from zoneinfo import ZoneInfo

    grid = horizon(now, config.planner.slot_minutes, ZoneInfo(config.site.timezone))
    prices = tariff.prices(grid)
    if forecaster is None:
        forecaster = HistoryForecaster(config.site, config.forecast)
    forecast = forecaster.forecast(grid, history, now)
    return PlanRequest(
        now=now,
        grid=grid,
        state=state,
        import_price=prices.import_price,
        export_price=prices.export_price,
        load_kw=forecast.load_kw,
        solar_kw=forecast.solar_kw,
        rules=rules,
        context=context.active(now) if context is not None else {},
        context_expires=context.expiries(now) if context is not None else {},
        previous=previous,
        limits=control_limits(config, state, grid, tariff, capabilities),
    )


def control_limits(config: Config, state: Any, grid: Any, tariff: Any, capabilities: Any) -> dict:
    """The control backend's per-slot limits for the planner (control-aware planning).

    Grid charging runs at the reserve rate, except in the cheapest period of the tariff kept
    uploaded (where time-based control charges at the battery's full rate).
    """
    from zoneinfo import ZoneInfo

    from optimiser.control.limits import fast_charge_slots, planner_limits
    from optimiser.control.tariff_upload import uploaded_tariff_for
    from optimiser.planning import battery_inputs

    if capabilities is None:
        return {}
    if tariff is None or not capabilities.can_fast_charge:
        return planner_limits(capabilities, grid.count)
    tz = ZoneInfo(config.site.timezone)
    cache: dict = {}

    def uploaded_for(when: datetime) -> Any:
        day = when.astimezone(tz).date()
        if day not in cache:
            cache[day] = uploaded_tariff_for(tariff, day, config.site.timezone)[0]
        return cache[day]

    return planner_limits(
        capabilities,
        grid.count,
        fast_slots=fast_charge_slots(grid.starts, grid.minutes, uploaded_for),
        full_charge_kw=battery_inputs(state, config).max_charge_kw,
    )


def read_context(
    config: Config, files: list[Path], cli_values: list[str], now: datetime
) -> Context:
    """Context from YAML files and ``--context key=value[@expiry]`` values (CLI wins)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(config.site.timezone)
    context = Context()
    for path in files:
        context = context.merged(load_context_file(path, now, tz))
    return context.merged(parse_cli_context(cli_values, now, tz))
