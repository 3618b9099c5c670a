"""The configured backend, built from the config in one place."""

from __future__ import annotations

import pytest

from optimiser.config import Config, ConfigError
from optimiser.control import DryRunBackend, FleetBackend
from optimiser.control.factory import backend_from_config


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
