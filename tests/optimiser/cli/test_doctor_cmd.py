"""``wattplan doctor``: the embedded emulator, a closed port, the Fleet emulator, and the token
scopes it reads."""

from __future__ import annotations

import json
import socket

from optimiser.cli import main
from optimiser.domain.clock import RealClock
from simulations.fleet_emulator import FleetEmulator, demo_site
from tests.optimiser.cli.conftest import write_config


def test_doctor_passes_on_the_embedded_emulator(env, capsys):
    config = write_config(env, "control:\n  backend: local\n")
    assert main(["--config", str(config), "doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("config", "gateway", "login", "tariff", "recorder", "backend (local)", "solver"):
        assert any(line.startswith(f"✓ {name}") for line in out.splitlines()), (name, out)
    assert "installer login works" in out


def test_doctor_checks_v1r_key_din_skew_state_and_a_signed_read(env, capsys):
    config = write_config(env, "control:\n  backend: v1r\n")
    assert main(["--config", str(config), "doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("v1r key", "v1r DIN", "v1r clock skew", "v1r key state", "v1r config read"):
        assert any(line.startswith(f"✓ {name}") for line in out.splitlines()), (name, out)
    assert "PRIVATE KEY" not in out


def test_doctor_names_a_missing_v1r_key_file_with_the_pairing_hint(env, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    missing = env / "absent-key.pem"
    config = write_config(
        env,
        f"gateway:\n  host: 127.0.0.1\n  port: {port}\n  timeout_s: 2\n"
        f"control:\n  backend: v1r\n  v1r:\n    key_file: {missing}\n",
    )
    assert main(["--config", str(config), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "✗ v1r key" in out and "wattplan pair" in out


def test_doctor_names_an_unreachable_gateway_with_a_hint(env, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = write_config(env, f"gateway:\n  host: 127.0.0.1\n  port: {port}\n  timeout_s: 2\n")
    assert main(["--config", str(config), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "✗ gateway" in out and f"127.0.0.1:{port}" in out
    assert "hint: is the gateway on" in out
    assert "- login" in out  # skipped, not a second failure
    assert "1 essential check(s) failed: gateway" in out


def test_doctor_checks_the_fleet_token_site_and_budget(env, capsys):
    clock = RealClock()
    with FleetEmulator(demo_site(clock), clock=clock) as fleet:
        token = env / "token.json"
        token.write_text(json.dumps({"access_token": fleet.access_token}))
        config = write_config(
            env,
            "control:\n  backend: fleet\n  fleet:\n"
            f"    base_url: {fleet.url}\n    site_id: '{fleet.site_id}'\n"
            f"    token_file: {token}\n",
        )
        assert main(["--config", str(config), "doctor"]) == 0
        out = capsys.readouterr().out
        assert "✓ fleet token" in out
        assert f"✓ fleet site         site {fleet.site_id} answers" in out
        assert (
            "✓ fleet budget       2 of 5 writes left today (documented limits; 3 more kept for "
            "safety reverts; 1 of 1 tariff change(s) left this month)"
        ) in out
        assert fleet.post_count() == 0  # the doctor sends no settings

        token.write_text(json.dumps({"access_token": "revoked"}))
        assert main(["--config", str(config), "doctor"]) == 1
        out = capsys.readouterr().out
        assert "✗ fleet site" in out and "hint:" in out


def test_token_scopes_are_read_from_a_jwt():
    import base64
    import json

    from optimiser.cli.doctor_cmd import token_scopes

    def jwt(claims: dict) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"eyJhbGciOiJub25lIn0.{body}.sig"

    assert token_scopes(jwt({"scp": ["openid", "energy_device_data"]})) == {
        "openid",
        "energy_device_data",
    }
    assert token_scopes(jwt({"scope": "energy_cmds energy_device_data"})) == {
        "energy_cmds",
        "energy_device_data",
    }
    assert token_scopes("opaque-token") is None
    assert token_scopes("a.!!!.c") is None


def test_doctor_shows_the_last_octopus_calls_and_a_hold(tmp_path, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from optimiser.cli.doctor_cmd import _octopus_calls_check
    from optimiser.config import Config
    from tariffs.journal import Call, CallJournal, HoldKind

    monkeypatch.delenv("WATTPLAN_STATE_DIR", raising=False)
    config = Config(state_dir=tmp_path)
    assert _octopus_calls_check(config).detail == "none recorded"
    journal = CallJournal(tmp_path / "octopus-calls.json")
    now = datetime.now(UTC)
    journal.record(Call(now, "/v1/products/AGILE-24-10-01/", 200, "ok", 12.0))
    journal.record(Call(now, "/v1/products/AGILE-24-10-01/", 429, "HTTP 429 (Retry-After 600)", 9))
    journal.hold(HoldKind.RATE_LIMITED, now + timedelta(minutes=10), "HTTP 429 (asked to wait)")
    check = _octopus_calls_check(config)
    assert check.ok is False and not check.essential
    assert "/v1/products/AGILE-24-10-01/ 429 HTTP 429 (Retry-After 600)" in check.detail
    assert "1 of the last 2 failed" in check.detail and "no call before" in check.detail


def test_a_changed_certificate_points_at_trust_reset(env, capsys):
    from optimiser.gateway.tls import PINS_FILE, PinStore
    from simulations.emulator import GatewayEmulator
    from tests.optimiser.gateway.conftest import CUSTOMER, stepped_site

    with GatewayEmulator(stepped_site(), customer_password=CUSTOMER) as emu:
        (env / "pw").write_text(CUSTOMER)
        config = write_config(
            env,
            f"gateway:\n  host: 127.0.0.1\n  port: {emu.port}\n  timeout_s: 5\n"
            f"  password_file: {env / 'pw'}\n",
        )
        state = env / "state"
        state.mkdir(exist_ok=True)
        PinStore(state / PINS_FILE).set(f"127.0.0.1:{emu.port}", "AB" * 32)
        assert main(["--config", str(config), "doctor"]) == 1
    out = capsys.readouterr().out
    certificate = next(line for line in out.splitlines() if line.startswith("✗ certificate"))
    assert "is pinned" in certificate
    hints = [line for line in out.splitlines() if "hint:" in line]
    assert any("`wattplan trust --reset`" in h for h in hints), out
    assert not any(
        h.rstrip().endswith("run `wattplan trust` to pin the gateway's certificate") for h in hints
    ), out
