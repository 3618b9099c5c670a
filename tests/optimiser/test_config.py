"""The config file: strict schema, located errors, secrets only from files or the environment."""

from __future__ import annotations

import json

import pytest

from optimiser.cli import main
from optimiser.config import (
    DOCUMENTED_LIMITS,
    Config,
    ConfigError,
    LimitProfile,
    load_config,
)


def write(tmp_path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_no_config_means_defaults_and_the_embedded_emulator(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("WATTPLAN_CONFIG", raising=False)
    config = load_config()
    assert config == Config() and config.uses_emulator
    assert config.tariff.product == "flux" and config.control.backend == "dry-run"


def test_misspelt_key_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "site:\n  latitude: 51.5\n  longitud: 0.1\n")
    with pytest.raises(ConfigError, match=r"config\.yaml:3:3: .*longitud"):
        load_config(path)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1:8443", "without a port"),
        ("https://192.168.1.5", "IP address or host name"),
        ("", "IP address or host name"),
    ],
)
def test_gateway_host_must_be_bare(tmp_path, host, expected):
    path = write(tmp_path, f"gateway:\n  host: '{host}'\n")
    with pytest.raises(ConfigError, match=expected):
        load_config(path)


def test_region_letter_is_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"tariff\.region"):
        load_config(write(tmp_path, "tariff: {region: I}\n"))


def test_password_from_file_or_environment_never_shown(tmp_path, monkeypatch):
    secret = tmp_path / "pw"
    secret.write_text("S3CRT\n")
    config = load_config(write(tmp_path, f"gateway: {{host: 10.0.0.2, password_file: {secret}}}"))
    assert config.gateway.password().get_secret_value() == "S3CRT"
    assert "S3CRT" not in repr(config) and "S3CRT" not in str(config.gateway.password())
    config = load_config(write(tmp_path, "gateway: {host: 10.0.0.2}\n"))
    monkeypatch.delenv("WATTPLAN_GATEWAY_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="WATTPLAN_GATEWAY_PASSWORD"):
        config.gateway.password()
    monkeypatch.setenv("WATTPLAN_GATEWAY_PASSWORD", "FROMENV")
    assert config.gateway.password().get_secret_value() == "FROMENV"


def test_config_check_cli(tmp_path, capsys):
    good = write(tmp_path, "site: {latitude: 53.4}\n")
    assert main(["--config", str(good), "config", "check"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("planner: {slot_minutes: 7}\n")
    assert main(["--config", str(bad), "config", "check"]) == 2
    assert "bad.yaml:1" in capsys.readouterr().err


def test_config_refuses_a_safety_reserve_a_fleet_revert_cannot_live_on():
    with pytest.raises(ValueError, match="can take 3 commands"):
        Config(control={"backend": "fleet", "safety_commands": 2})
    with pytest.raises(ValueError, match="must be less than"):
        Config(control={"commands_per_day": 3, "safety_commands": 3})
    assert Config(control={"backend": "local", "safety_commands": 1}).control.safety_commands == 1


def test_gateway_loss_grace_is_configurable():
    assert Config().control.gateway_loss_grace_s == 300
    assert Config(control={"gateway_loss_grace_s": 60}).control.gateway_loss_grace_s == 60
    with pytest.raises(ValueError):
        Config(control={"gateway_loss_grace_s": -1})
    json.dumps(Config().model_dump(mode="json"))  # still a plain document


def test_mqtt_section_defaults_and_strictness(tmp_path):
    config = load_config(write(tmp_path, "mqtt:\n  host: 192.0.2.10\n"))
    mqtt = config.mqtt
    assert (mqtt.port, mqtt.protocol, mqtt.keepalive_s) == (1883, "3.1.1", 60)
    assert mqtt.prefix == "wattplan/home" and mqtt.discovery_prefix == "homeassistant"
    assert not mqtt.uses_tls and mqtt.password() is None
    assert Config().mqtt is None  # nothing is published without the section
    with pytest.raises(ConfigError, match=r"config\.yaml:3:3: .*hostname"):
        load_config(write(tmp_path, "mqtt:\n  host: 192.0.2.10\n  hostname: x\n"))


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("  topic_prefix: wattplan/#\n", "without wildcards"),
        ("  protocol: '4'\n", "protocol"),
        ("  client_cert_file: /c.pem\n", "both client_cert_file and client_key_file"),
        ("  site_id: My House\n", "site_id"),
        ("  context_keys: [Storm]\n", "lower_snake_case"),
        ("  reconnect_min_s: 30\n  reconnect_max_s: 10\n", "below reconnect_min_s"),
    ],
)
def test_mqtt_mistakes_are_named(tmp_path, text, why):
    with pytest.raises(ConfigError, match=why):
        load_config(write(tmp_path, f"mqtt:\n  host: broker.local\n{text}"))


def test_mqtt_password_comes_from_a_file_and_tls_from_a_ca(tmp_path):
    secret = tmp_path / "mqtt-password"
    secret.write_text("hunter2\n")
    config = load_config(
        write(
            tmp_path,
            f"mqtt:\n  host: broker.local\n  port: 8883\n  username: wattplan\n"
            f"  password_file: {secret}\n  ca_file: {tmp_path / 'ca.pem'}\n"
            "  site_id: cottage\n",
        )
    )
    assert config.mqtt.password().get_secret_value() == "hunter2"
    assert "hunter2" not in repr(config)
    assert config.mqtt.uses_tls and config.mqtt.prefix == "wattplan/cottage"
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        config.mqtt.model_copy(update={"password_file": empty}).password()


def test_the_example_mqtt_section_is_valid_once_uncommented(tmp_path):
    from tests.optimiser.cli.conftest import ROOT

    text = (ROOT / "examples" / "config.yaml").read_text()
    head, _, block = text.partition("# mqtt:")
    lines = [line[2:] if line.startswith("# ") else line[1:] for line in block.splitlines()]
    config = load_config(write(tmp_path, head + "mqtt:" + "\n".join(lines) + "\n"))
    assert config.mqtt.host == "192.168.1.20" and config.mqtt.username == "wattplan"


def test_rates_are_live_once_the_config_names_a_tariff(tmp_path):
    from pathlib import Path

    assert Config().tariff.live is False  # the no-config demo: the bundled snapshot
    assert load_config(write(tmp_path, "tariff: {region: E}\n")).tariff.live is True
    assert load_config(write(tmp_path, "tariff: {offline: true}\n")).tariff.live is False
    assert load_config(write(tmp_path, "tariff: {source: account}\n")).tariff.live is True
    example = Path(__file__).parents[2] / "examples" / "config.yaml"
    assert load_config(example).tariff.live is True
    with pytest.raises(ConfigError, match="choose one"):
        load_config(write(tmp_path, "tariff: {source: account, custom_file: t.yaml}\n"))
    with pytest.raises(ConfigError, match=r"tariff\.source"):
        load_config(write(tmp_path, "tariff: {source: acount}\n"))


def test_fleet_limit_profiles():
    fleet = {"backend": "fleet", "fleet": {"site_id": "42"}}
    documented = Config(control=fleet).control.fleet_limits
    assert documented == DOCUMENTED_LIMITS  # the default for a new Fleet configuration
    assert (documented.writes_per_day, documented.tariff_changes_per_month) == (5, 1)
    assert documented.live_read_interval_s == 300
    observed = Config(control={**fleet, "limits": "observed"}).control.fleet_limits
    assert (observed.writes_per_day, observed.tariff_changes_per_month) == (20, None)
    old = Config(control={**fleet, "commands_per_day": 12}).control.fleet_limits
    assert old.profile is LimitProfile.CUSTOM and old.writes_per_day == 12  # still works
    custom = Config(
        control={**fleet, "limits": "custom", "commands_per_day": 8, "tariff_changes_per_month": 2}
    ).control.fleet_limits
    assert (custom.writes_per_day, custom.tariff_changes_per_month) == (8, 2)
    assert Config().control.writes_per_day == 20  # dry-run and local: the observed limits
    with pytest.raises(ValueError, match="fixes the limits"):
        Config(control={**fleet, "limits": "documented", "commands_per_day": 9})


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("tariff: {product: nonsense}\n", "tariff.product"),
        ("battery: {capacity_kwh: 1e308}\n", "battery.capacity_kwh"),
        ("battery: {capacity_kwh: .inf}\n", "battery.capacity_kwh"),
        ("battery: {max_charge_kw: .nan}\n", "battery.max_charge_kw"),
        ("site: {export_limit_kw: 1e12}\n", "site.export_limit_kw"),
    ],
)
def test_impossible_values_are_refused_at_load(tmp_path, text, where):
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("gateway: {host: 10.0.0.2, password_file: /nonexistent/pw}\n", "gateway.password_file"),
        ("tariff: {custom_file: /nonexistent/t.yaml}\n", "tariff.custom_file"),
        ("state_dir: /proc/x\n", "state_dir"),
    ],
)
def test_config_check_tries_the_files_the_config_names(tmp_path, capsys, text, named):
    assert main(["--config", str(write(tmp_path, text)), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
