"""``wattplan simulate --backend``: the replay plans and acts with that backend's capabilities."""

from __future__ import annotations

import pytest

from optimiser.cli import main


@pytest.mark.parametrize("backend", ["fleet", "v1r"])
def test_simulate_uses_the_backend_s_capabilities(capsys, backend):
    base = ["simulate", "--demo", "--days", "1", "--tariff", "flux", "--strategy", "wattplan"]
    assert main([*base, "--workers", "1", "--backend", backend]) == 0
    assert f"control: {backend}" in capsys.readouterr().out
