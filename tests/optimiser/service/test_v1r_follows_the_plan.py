"""``wattplan run`` through the v1r backend: a day and a night on the gateway emulator, every
change a signed config.json write confirmed by the battery's flows; a firmware that stores
writes without acting on them is caught, counted and reported."""

from __future__ import annotations

from optimiser.control.backends.v1r import V1rBackend
from optimiser.control.write_rate import WriteRate
from optimiser.gateway.v1r import V1rClient
from optimiser.service import Service
from tests.optimiser.gateway.v1r.keys import key_named
from tests.optimiser.service.conftest import DAY, FLOOR_RAW, START, at_night


def v1r_service(house, **kw) -> tuple[Service, V1rBackend]:
    house.emulator.authorize_key(key_named().public_der)
    backend = V1rBackend(
        V1rClient(house.gateway.api, key_named(), clock=house.clock),
        house.gateway,
        clock=house.clock,
        rate=WriteRate(6),
        **kw,
    )
    service = Service(
        house.config(backend="v1r"),
        gateway=house.gateway,
        backend=backend,
        clock=house.clock,
        tariff=house.tariff,
        store=house.store,
        forecaster=house.forecaster,
        state_dir=house.tmp / "state",
        keep_plans=200,
    )
    return service, backend


def test_a_day_and_night_through_v1r_every_change_confirmed_by_behaviour(house):
    service, backend = v1r_service(house)
    stats = service.run(until=START + DAY)

    assert stats.gaps == 0 and stats.plan_failures == 0
    assert house.emulator.control_sequences() == 0  # no installer sequence: all signed writes
    writes = house.emulator.v1r.writes
    assert writes >= 2 and stats.commands_sent >= writes
    assert backend.unacted == 0 and backend.confirmed == len(backend.checks) >= writes
    assert all(ok for _, ok in backend.checks)
    samples = {s.time: s for s in house.store.samples()}
    night = START.replace(day=16)
    at = {h: samples[night.replace(hour=h)] for h in (2, 3, 5)}
    assert at[3].backup_reserve_percent > FLOOR_RAW + 20  # charging off-peak
    assert at[5].soe_kwh - at[2].soe_kwh > 3.0


def test_writes_stored_but_not_acted_on_are_caught_and_reported(house):
    service, backend = v1r_service(house, behaviour_timeout_s=60)
    house.emulator.v1r.store_only = True
    at_night(house, 1, 50)  # the off-peak charge is due at 02:00 UTC
    service.run(until=house.clock.now() + 3 * (DAY / 48))
    assert backend.unacted >= 1
    refused = [d for d in service.decisions if d.applied and d.applied.report.unconfirmed]
    assert refused and "stored, not acted on" in refused[0].applied.report.unconfirmed[0]
    assert house.site.settings.backup_reserve_raw_percent == FLOOR_RAW  # the old settings act
    # Each later decision watches again (nothing left to send): never a false confirmation.
    assert len(backend.checks) >= 2 and not any(ok for _, ok in backend.checks)
