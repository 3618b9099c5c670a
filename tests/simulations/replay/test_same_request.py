"""The replay plans what the service would: at the same instant, on the same data, a replay
decision and a ``wattplan run`` decision build the same request (one builder for both).

The service runs on a stepped clock against the gateway emulator over HTTPS, driven by the
replay's own trace, with the replay's history and config: it starts at 20:00, decides at 20:25
and 20:55, and re-plans at the nightly 21:00 with the history read again. The replay's decision
at 21:00 is built from the battery the service read and the plan it made before.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from pydantic import SecretStr

from optimiser.config import Config
from optimiser.control.backends import DryRunBackend
from optimiser.domain.clock import SteppedClock
from optimiser.domain.device import Settings
from optimiser.domain.powerwall import PowerwallState
from optimiser.gateway import Gateway, GatewayApi, TlsPolicy
from optimiser.planning import PRODUCTION_HORIZON, battery_inputs, plan_cycle
from optimiser.service import Service
from rules import loads_rules
from rules.context import Context, ContextEntry
from simulations.emulator import EmulatedSite, GatewayEmulator
from simulations.replay import ClosedLoopOptions, SiteModel, demo_data, period_prices
from simulations.replay.closed_loop import ClosedLoop
from tests.simulations.replay.conftest import LONDON

START = datetime(2025, 1, 15, 20, 0, tzinfo=UTC)  # GMT: local time is UTC in January
NIGHTLY = datetime(2025, 1, 15, 21, 0, tzinfo=UTC)  # control.nightly_plan_time's default
RULES = loads_rules(
    "version: 1\nrules:\n  - name: storm\n    when:\n      context: {storm_warning: true}\n"
    "    do:\n      min_reserve: {percent: 80, hard: true}\n"
)
CONTEXT = Context({"storm_warning": ContextEntry(True, expires=NIGHTLY + timedelta(hours=9))})


@pytest.fixture(scope="module")
def same_data(flux):
    data = demo_data(date(2025, 1, 13), 4, tz=LONDON)
    site = SiteModel.from_config(Config())
    margin = PRODUCTION_HORIZON.longest_hours + 1.0
    return data, site, period_prices(flux, data.start, data.end, 30, margin)


@pytest.fixture
def service_at_nightly(same_data, flux, tmp_path):
    """The service's requests, run from ``START`` to the nightly re-plan."""
    data, site, _ = same_data
    clock = SteppedClock(START)
    emulated = EmulatedSite(
        site.spec,
        PowerwallState(soe_kwh=0.55 * site.spec.capacity_kwh),
        Settings(backup_reserve_app_percent=20.0),
        data.trace,
        clock,
    )
    emulator = GatewayEmulator(emulated).start()
    api = GatewayApi(
        "127.0.0.1",
        emulator.port,
        policy=TlsPolicy("127.0.0.1", fingerprint=emulator.fingerprint_sha256),
        password=SecretStr(emulator.customer_password),
        timeout_s=5.0,
    )
    try:
        with Gateway(api) as gateway:
            service = Service(
                site.config,
                gateway=gateway,
                backend=DryRunBackend(capabilities=site.capabilities),
                clock=clock,
                tariff=flux,
                history=data.history.before,  # the recordings as read at start and nightly
                rules=RULES,
                context=CONTEXT,
                state_dir=tmp_path,
            )
            service.run(until=NIGHTLY)
            yield [p.result.request for p in service.plans]
    finally:
        emulator.stop()


def test_a_replay_decision_builds_the_request_the_service_built(same_data, service_at_nightly):
    data, site, prices = same_data
    *_, before, served = service_at_nightly
    assert (before.now, served.now) == (NIGHTLY - timedelta(minutes=5), NIGHTLY)

    loop = ClosedLoop(data, prices, site, ClosedLoopOptions(context=CONTEXT), RULES)
    assert NIGHTLY in {loop.now_at(d) for d in range(loop.count)}  # a replay decision time
    replayed = loop.request_at(
        NIGHTLY,
        PowerwallState(soe_kwh=served.state.soe_kwh),
        served.previous,
        loop.new_forecasting(),
    )

    assert replayed.now == served.now
    assert replayed.grid == served.grid  # to local midnight at the end of tomorrow
    assert replayed.grid.end == datetime(2025, 1, 17, 0, 0, tzinfo=UTC)
    for name in ("import_price", "export_price", "load_kw", "solar_kw"):
        assert np.array_equal(getattr(replayed, name), getattr(served, name)), name
    for name in ("max_grid_charge_kw", "battery_export_allowed"):
        assert np.array_equal(getattr(replayed.limits, name), getattr(served.limits, name)), name
    fast = replayed.limits.max_grid_charge_kw == site.spec.max_charge_kw
    assert fast.any() and not fast.all()  # Flux's night window, at full power
    assert replayed.context == served.context == {"storm_warning": True}
    assert replayed.context_expires == served.context_expires
    assert replayed.rules is served.rules and replayed.previous is served.previous
    assert served.previous is not None
    config = site.config
    assert battery_inputs(replayed.state, config) == battery_inputs(served.state, config)
    assert replayed.state.app_percent == pytest.approx(served.state.app_percent, abs=1e-9)
    assert replayed.state.grid_up is served.state.grid_up is True
    # The same request plans the same schedule.
    ours = plan_cycle(replayed, config, cost_rules=False).outcome.require()
    theirs = plan_cycle(served, config, cost_rules=False).outcome.require()
    assert np.array_equal(ours.charge_kwh, theirs.charge_kwh)
    assert ours.cost_gbp == theirs.cost_gbp


def test_the_history_the_replay_forecasts_from_is_the_one_the_service_read(same_data):
    """The service reads the history again for a plan once its read is
    ``forecast.history_refresh_minutes`` old (30 by default), and at the nightly re-plan."""
    data, site, prices = same_data
    loop = ClosedLoop(data, prices, site, ClosedLoopOptions())
    morning = datetime(2025, 1, 16, 9, 30, tzinfo=UTC)
    assert loop.history.read_at(morning) == morning
    assert loop.history.read_at(morning + timedelta(minutes=20)) == morning
    assert loop.history.read_at(data.start + timedelta(minutes=10)) == data.start  # at start
    known = loop.history_at(morning + timedelta(minutes=20))
    assert known.epoch_s[-1] + known.interval_s <= morning.timestamp()
    assert len(known) == len(data.history.before(morning))
    daily = site.config.model_copy(
        update={
            "forecast": site.config.forecast.model_copy(update={"history_refresh_minutes": 1440})
        }
    )
    nightly_only = ClosedLoop(data, prices, replace(site, config=daily), ClosedLoopOptions())
    assert nightly_only.history.read_at(morning) == NIGHTLY  # read last at the nightly re-plan
    assert nightly_only.history.read_at(NIGHTLY - timedelta(minutes=30)) == NIGHTLY - timedelta(
        days=1
    )
