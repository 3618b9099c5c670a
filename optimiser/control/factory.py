"""Build the configured backend from a wattplan ``Config`` (the one place that reads it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from optimiser.config import Config, ConfigError
from optimiser.control.backends.base import Backend
from optimiser.control.backends.dry_run import DryRunBackend
from optimiser.control.backends.fleet import FleetBackend
from optimiser.control.backends.local import LocalBackend, OperationGateway
from optimiser.control.budget import CommandBudget
from optimiser.control.capabilities import BackendName
from optimiser.control.fleet_client import FleetClient, TokenSource


def fleet_client_from_config(config: Config) -> FleetClient:
    """A :class:`FleetClient` for ``control.fleet``; raises ConfigError without a site id."""
    fleet = config.control.fleet
    if not fleet.site_id:
        raise ConfigError(
            "control.fleet.site_id is required for control.backend: fleet "
            "(the energy_site_id of your Powerwall site)"
        )
    return FleetClient(
        fleet.base_url,
        fleet.site_id,
        TokenSource(token_file=fleet.token_file, token_env=fleet.token_env),
        fleet.timeout_s,
        auth_url=fleet.auth_url,
        client_id=fleet.client_id,
    )


def backend_from_config(
    config: Config,
    *,
    gateway: OperationGateway | None = None,
    units: int = 1,
    state_dir: Path | None = None,
    dry_run_source: Backend | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Backend:
    """The backend ``control.backend`` names.

    ``gateway`` (an ``optimiser.gateway.Gateway``) is needed for ``local``. The command
    budget is persisted in ``<state_dir>/command-budget.json``; ``clock`` (default: real
    time) says which day's budget is spent.
    """
    control = config.control
    name = BackendName(control.backend)
    if name is BackendName.DRY_RUN:
        return DryRunBackend(dry_run_source)
    folder = state_dir if state_dir is not None else config.state_path()
    budget = CommandBudget(
        control.commands_per_day,
        folder / "command-budget.json",
        safety_reserve=min(control.safety_commands, control.commands_per_day - 1),
    )
    if name is BackendName.LOCAL:
        if gateway is None:
            raise ConfigError("control.backend: local needs a gateway connection")
        return LocalBackend(
            gateway,
            units=units,
            settle_minutes=control.settle_minutes,
            budget=budget,
            clock=clock,
        )
    return FleetBackend(
        fleet_client_from_config(config),
        budget,
        units=units,
        settle_minutes=control.settle_minutes,
        clock=clock,
    )
