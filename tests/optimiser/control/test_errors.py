"""Control errors map to the CLI's exit codes by what the caller does next."""

from __future__ import annotations

from optimiser.cli.errors import AUTH, FAILED, PROTOCOL, TEMPORARY, exit_code_for
from optimiser.control import (
    BudgetExhausted,
    ControlError,
    ControlNotPermitted,
    FleetAuthError,
    FleetProtocolError,
    FleetRateLimited,
    FleetUnavailable,
)


def test_errors_map_to_exit_codes():
    assert exit_code_for(ControlNotPermitted("x")) == AUTH
    assert exit_code_for(FleetAuthError("x")) == AUTH
    assert exit_code_for(FleetRateLimited("x")) == TEMPORARY
    assert exit_code_for(FleetUnavailable("x")) == TEMPORARY
    assert exit_code_for(BudgetExhausted("x")) == TEMPORARY
    assert exit_code_for(FleetProtocolError("x")) == PROTOCOL
    assert exit_code_for(ControlError("x")) == FAILED
