"""A gateway presenting another certificate than the pinned one: the service talks to nothing it
does not trust (every poll is a gap naming the mismatch), keeps the battery safe, and goes on
once the pinned certificate is back; it never exits for it (systemd would give up on it)."""

from __future__ import annotations

from datetime import timedelta

from optimiser.gateway.errors import CertificateMismatch
from optimiser.service.watchdog import carries_on
from simulations.emulator.certs import make_certificate
from tests.optimiser.service.conftest import make_service


def _present(house, certificate) -> None:
    house.emulator.stop()
    house.emulator.certificate = certificate
    house.emulator.start()


def test_a_changed_certificate_is_a_gap_not_a_stop(house):
    assert carries_on(CertificateMismatch("127.0.0.1:443", "aa" * 32, "bb" * 32))
    service = make_service(house)
    service.run(until=house.clock.now() + timedelta(minutes=10))
    pinned = house.emulator.certificate
    _present(house, make_certificate())
    service.run(until=house.clock.now() + timedelta(minutes=40))  # raised before
    gaps = house.store.gaps()
    assert gaps and all(g.error_class == "CertificateMismatch" for g in gaps)
    _present(house, pinned)
    samples = service.stats.samples
    service.run(until=house.clock.now() + timedelta(minutes=15))
    assert service.stats.samples > samples  # polling again
