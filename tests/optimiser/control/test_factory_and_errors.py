from __future__ import annotations

import pytest

from optimiser.cli.errors import AUTH, FAILED, PROTOCOL, TEMPORARY, exit_code_for
from optimiser.config import Config, ConfigError
from optimiser.control import (
    BudgetExhausted,
    ControlNotPermitted,
    DryRunBackend,
    FleetAuthError,
    FleetBackend,
    FleetClient,
    FleetProtocolError,
    FleetRateLimited,
    FleetUnavailable,
    TokenSource,
)
from optimiser.control.errors import ControlError
from optimiser.control.factory import backend_from_config


def test_errors_map_to_exit_codes():
    assert exit_code_for(ControlNotPermitted("x")) == AUTH
    assert exit_code_for(FleetAuthError("x")) == AUTH
    assert exit_code_for(FleetRateLimited("x")) == TEMPORARY
    assert exit_code_for(FleetUnavailable("x")) == TEMPORARY
    assert exit_code_for(BudgetExhausted("x")) == TEMPORARY
    assert exit_code_for(FleetProtocolError("x")) == PROTOCOL
    assert exit_code_for(ControlError("x")) == FAILED


def test_backend_from_config(tmp_path):
    assert isinstance(backend_from_config(Config(), state_dir=tmp_path), DryRunBackend)
    fleet = Config.model_validate(
        {"control": {"backend": "fleet", "commands_per_day": 5, "fleet": {"site_id": "42"}}}
    )
    backend = backend_from_config(fleet, state_dir=tmp_path)
    assert isinstance(backend, FleetBackend)
    # The default keeps enough for the worst-case revert (backup, operation, grid_import_export).
    assert backend.budget.per_day == 5 and backend.budget.safety_reserve == 3
    with pytest.raises(ConfigError, match="site_id"):
        backend_from_config(
            Config.model_validate({"control": {"backend": "fleet"}}), state_dir=tmp_path
        )
    with pytest.raises(ConfigError, match="gateway"):
        backend_from_config(
            Config.model_validate({"control": {"backend": "local"}}), state_dir=tmp_path
        )


def test_non_json_answer_is_a_protocol_error(httpserver):
    httpserver.expect_request("/api/1/energy_sites/1/site_info").respond_with_data(
        "<html>maintenance</html>", content_type="text/html"
    )
    client = FleetClient(httpserver.url_for("/"), "1", TokenSource(token_env="T"), 5)
    client.tokens.store("secret-token", None)
    with pytest.raises(FleetProtocolError, match="expected a JSON answer") as info:
        client.get_site_info()
    assert "secret-token" not in str(info.value)
    httpserver.clear()
    httpserver.expect_request("/api/1/energy_sites/1/live_status").respond_with_json({"x": 1})
    with pytest.raises(FleetProtocolError, match="'response'"):
        client.get_live_status()
    httpserver.expect_request("/api/1/energy_sites/1/storm_mode").respond_with_data("", 503)
    with pytest.raises(FleetUnavailable, match="503"):
        client.post_storm_mode(True)
