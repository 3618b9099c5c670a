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
from optimiser.control.backends.v1r import V1rBackend
from optimiser.control.budget import CommandBudget
from optimiser.control.capabilities import BackendName
from optimiser.control.fleet_client import FleetClient, TokenSource
from optimiser.control.write_rate import WriteRate
from optimiser.domain.clock import Clock, RealClock
from optimiser.gateway import Gateway
from optimiser.gateway.v1r import V1rClient, V1rKey


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


def budget_from_config(config: Config, state_dir: Path | None = None) -> CommandBudget:
    """The command budget of ``control``'s limits, persisted in
    ``<state_dir>/command-budget.json`` (default: the configured state folder)."""
    control = config.control
    limits = control.fleet_limits
    folder = state_dir if state_dir is not None else config.state_path()
    return CommandBudget(
        limits.writes_per_day,
        folder / "command-budget.json",
        safety_reserve=min(control.safety_commands, limits.writes_per_day - 1),
        tariff_per_month=limits.tariff_changes_per_month,
    )


def budget_of(backend: Backend) -> CommandBudget | None:
    """The daily command budget ``backend`` spends from (None: a dry run, or v1r's rate)."""
    if isinstance(backend, FleetBackend | LocalBackend):
        return backend.budget
    return None


def backend_from_config(
    config: Config,
    *,
    gateway: OperationGateway | None = None,
    units: int = 1,
    state_dir: Path | None = None,
    dry_run_source: Backend | None = None,
    clock: Callable[[], datetime] | None = None,
    v1r_clock: Clock | None = None,
    v1r_key: V1rKey | None = None,
) -> Backend:
    """The backend ``control.backend`` names.

    ``gateway`` (an ``optimiser.gateway.Gateway``) is needed for ``local`` and ``v1r``. The
    command budget is persisted in ``<state_dir>/command-budget.json``; ``clock`` (default:
    real time) says which day's budget is spent. ``v1r`` signs on ``v1r_clock`` (default:
    real time) with ``v1r_key`` (default: ``control.v1r.key_file``; the embedded emulator's
    demo key).
    """
    control = config.control
    name = BackendName(control.backend)
    if name is BackendName.DRY_RUN:
        return DryRunBackend(dry_run_source)
    folder = state_dir if state_dir is not None else config.state_path()
    budget = budget_from_config(config, folder)
    if name is BackendName.V1R:
        if not isinstance(gateway, Gateway):
            raise ConfigError("control.backend: v1r needs a gateway connection")
        v1r = control.v1r
        signer = v1r_clock or RealClock()
        fallback = None
        if v1r.fallback_to_fleet:
            fallback = FleetBackend(
                fleet_client_from_config(config),
                budget,
                units=units,
                settle_minutes=control.settle_minutes,
                clock=clock,
            )
        return V1rBackend(
            V1rClient(gateway.api, v1r_key or V1rKey.load(v1r.key_file), clock=signer),
            gateway,
            clock=signer,
            rate=WriteRate(v1r.writes_per_hour),
            units=units,
            settle_minutes=control.settle_minutes,
            fallback=fallback,
            behaviour_timeout_s=v1r.behaviour_timeout_s,
            behaviour_poll_s=v1r.behaviour_poll_s,
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
