"""Refused logins are remembered across processes (a small file in the state dir), so five
``wattplan status`` runs with a wrong password do not trip the gateway's lock-out."""

from __future__ import annotations

import pytest

from optimiser.gateway import Gateway
from optimiser.gateway.errors import AuthenticationError, LoginLockedOut
from optimiser.gateway.failed_logins import FailedLogins

from .conftest import make_api


def test_refused_logins_add_up_across_processes(emulator, tmp_path):
    path = tmp_path / "state" / "failed_logins.json"
    now = [1_000_000.0]
    raised = []
    for _ in range(5):  # five separate runs, each with its own client
        api = make_api(emulator, password="WRONG")
        api.failed_logins = FailedLogins(path, wall=lambda: now[0])
        with pytest.raises(AuthenticationError) as info, Gateway(api) as gateway:
            gateway.site_state()
        raised.append(info.value)
        now[0] += 10
    assert [type(e) for e in raised[:2]] == [AuthenticationError, AuthenticationError]
    assert {type(e) for e in raised[2:]} == {LoginLockedOut}
    assert "refused login 1 of 3" in str(raised[0])
    assert emulator.bad_logins == 3  # the gateway saw three attempts, not five
    # The right password, after the count has been forgotten, logs in and clears it.
    now[0] += FailedLogins.FORGET_AFTER_S + 1
    api = make_api(emulator)
    api.failed_logins = FailedLogins(path, wall=lambda: now[0])
    api.get_operation()
    assert FailedLogins(path, wall=lambda: now[0]).count() == 0


def test_an_unwritable_state_file_still_counts_in_memory(emulator, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    api = make_api(emulator, password="WRONG")
    api.failed_logins = FailedLogins(blocker / "failed_logins.json")
    gateway = Gateway(api)
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            gateway.site_state()
    assert emulator.bad_logins == 3
