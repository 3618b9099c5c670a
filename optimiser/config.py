"""wattplan's configuration file: a strict YAML schema and where to find it.

Resolution order: ``--config FILE``, then ``$WATTPLAN_CONFIG``, then
``~/.config/wattplan/config.yaml``. With none of these the defaults apply, and with no
``gateway`` section wattplan uses the embedded emulator, so it runs with no setup at all.

Secrets never live in this file: the gateway password comes from ``gateway.password_file`` or
the environment variable named by ``gateway.password_env``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from rules.yamlsource import YamlError, load

DEFAULT_CONFIG = Path("~/.config/wattplan/config.yaml")
DEFAULT_STATE_DIR = Path("~/.local/state/wattplan")
GATEWAY_SERVER_NAMES = ("teg", "powerwall", "powerpack")


class ConfigError(Exception):
    """The configuration cannot be used as it stands; stop and tell the user."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GatewayConfig(_Strict):
    """How to reach the Tesla Backup Gateway's local API."""

    host: str = Field(description="IP address or host name of the gateway")
    port: int = Field(443, ge=1, le=65535)
    server_name: str | None = Field(
        None,
        description="TLS server name to send; the gateway only answers to its IP, 'teg', "
        "'powerwall' or 'powerpack'. Default: the host when it is an IP, else 'powerwall'.",
    )
    email: str = "wattplan@localhost"
    password_file: Path | None = None
    password_env: str = "WATTPLAN_GATEWAY_PASSWORD"  # noqa: S105 - a variable name
    ca_file: Path | None = Field(None, description="PEM CA bundle to trust instead of pinning")
    insecure: bool = Field(False, description="skip certificate checks entirely (not advised)")
    timeout_s: float = Field(10.0, gt=0, le=300)
    rate_limit_cooldown_s: float = Field(300.0, ge=0)
    max_login_attempts: int = Field(3, ge=1, le=5)

    def password(self) -> SecretStr:
        """The customer password from the password file or the environment."""
        if self.password_file is not None:
            path = self.password_file.expanduser()
            try:
                value = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"gateway.password_file: cannot read {path}: {exc.strerror}"
                ) from exc
            if not value:
                raise ConfigError(f"gateway.password_file: {path} is empty")
            return SecretStr(value)
        value = os.environ.get(self.password_env, "")
        if not value:
            raise ConfigError(
                f"no gateway password: set gateway.password_file in the config or the "
                f"environment variable {self.password_env} (the customer password is the last "
                f"5 characters of the password on the gateway's sticker)"
            )
        return SecretStr(value)


class SolarArrayConfig(_Strict):
    """The PV array, for clear-sky solar forecasts."""

    kwp: float = Field(4.0, ge=0, description="peak DC power [kWp]")
    tilt_deg: float = Field(35.0, ge=0, le=90)
    azimuth_deg: float = Field(180.0, ge=0, lt=360, description="180 = south")
    losses: float = Field(0.14, ge=0, lt=1, description="system losses [-]")


class SiteConfig(_Strict):
    """Where the house is and what it can exchange with the grid."""

    timezone: str = "Europe/London"
    latitude: float = Field(51.48, ge=-90, le=90)
    longitude: float = Field(-0.0, ge=-180, le=180)
    solar: SolarArrayConfig = SolarArrayConfig()
    export_limit_kw: float = Field(3.68, ge=0)
    import_limit_kw: float = Field(23.0, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class BatteryConfig(_Strict):
    """Overrides of what the gateway reports about the battery (None = use the reading)."""

    capacity_kwh: float | None = Field(None, gt=0)
    max_charge_kw: float | None = Field(None, gt=0)
    max_discharge_kw: float | None = Field(None, gt=0)
    round_trip_efficiency: float | None = Field(None, gt=0, le=1)
    reserve_percent: float = Field(
        20.0, ge=0, le=100, description="floor the plan keeps for outages, Tesla app scale [%]"
    )


class TariffConfig(_Strict):
    """Which tariff prices the plan."""

    product: str = "flux"
    region: str = Field("C", pattern="^[A-HJ-NP]$")
    custom_file: Path | None = None
    offline: bool = Field(
        True, description="price from the bundled snapshot instead of the Octopus API"
    )
    octopus_base_url: str = Field("https://api.octopus.energy", pattern="^https?://")


class PlannerConfig(_Strict):
    """Planner settings."""

    slot_minutes: Literal[5, 15, 30, 60] = 30
    wear_cost_p_per_kwh: float = Field(1.0, ge=0, description="battery wear per kWh throughput")


class RecorderConfig(_Strict):
    """Where and how often to record the gateway."""

    database: Path = Path("~/.local/share/wattplan/recordings.sqlite")
    interval_s: float = Field(90.0, ge=5)


class ControlConfig(_Strict):
    """Which backend applies plans; dry-run until the user opts in."""

    backend: Literal["dry-run", "local", "fleet"] = "dry-run"


class Config(_Strict):
    """The whole configuration file."""

    gateway: GatewayConfig | None = Field(
        None, description="absent: use the embedded emulator (a demo site)"
    )
    site: SiteConfig = SiteConfig()
    battery: BatteryConfig = BatteryConfig()
    tariff: TariffConfig = TariffConfig()
    planner: PlannerConfig = PlannerConfig()
    recorder: RecorderConfig = RecorderConfig()
    control: ControlConfig = ControlConfig()
    state_dir: Path = DEFAULT_STATE_DIR

    @property
    def uses_emulator(self) -> bool:
        """True when no gateway is configured and the embedded emulator stands in."""
        return self.gateway is None

    def state_path(self) -> Path:
        """The state directory (certificate pins, caches), created on first use."""
        path = Path(os.environ.get("WATTPLAN_STATE_DIR", str(self.state_dir))).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path


def find_config(explicit: Path | None = None) -> Path | None:
    """The config file to use, or None for defaults (embedded emulator)."""
    if explicit is not None:
        return explicit
    env = os.environ.get("WATTPLAN_CONFIG")
    if env:
        return Path(env)
    default = DEFAULT_CONFIG.expanduser()
    return default if default.exists() else None


def load_config(explicit: Path | None = None) -> Config:
    """Load the configuration; raises :class:`ConfigError` with file:line on a mistake."""
    path = find_config(explicit)
    if path is None:
        return Config()
    try:
        return load(path.expanduser(), Config)
    except YamlError as exc:
        raise ConfigError(str(exc)) from exc
