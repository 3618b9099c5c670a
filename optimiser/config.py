"""wattplan's configuration file: a strict YAML schema and where to find it.

Resolution order: ``--config FILE``, then ``$WATTPLAN_CONFIG``, then
``~/.config/wattplan/config.yaml``. With none of these the defaults apply, and with no
``gateway`` section wattplan uses the embedded emulator, so it runs with no setup at all.

Secrets never live in this file: the gateway password comes from ``gateway.password_file`` or
the environment variable named by ``gateway.password_env``, the MQTT broker's from
``mqtt.password_file``.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError
from optimiser.domain.yamlsource import YamlError, load
from tariffs import load_custom_tariff
from tariffs.products import product_names

DEFAULT_CONFIG = Path("~/.config/wattplan/config.yaml")
DEFAULT_STATE_DIR = Path("~/.local/state/wattplan")
GATEWAY_SERVER_NAMES = ("teg", "powerwall", "powerpack")


class ConfigError(WattplanError):
    """The configuration cannot be used as it stands; stop and tell the user."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


#: Upper bound of any power or energy in the config [kW] or [kWh]: far above a house, so a
#: typo (1e308, an extra three zeros) is refused instead of planned with.
SITE_MAX = 1000.0


class GatewayConfig(_Strict):
    """How to reach the Tesla Backup Gateway's local API."""

    host: str = Field(description="IP address or host name of the gateway")
    port: int = Field(443, ge=1, le=65535)
    server_name: str | None = Field(
        None,
        description="TLS server name to send; the gateway only answers to its IP, 'teg', "
        "'powerwall' or 'powerpack'. Default: the host when it is an IP, else 'powerwall'.",
    )
    username: str = Field(
        "customer", description="'customer' to read; 'installer' for legacy local control"
    )
    email: str = "wattplan@localhost"
    password_file: Path | None = None
    password_env: str = "WATTPLAN_GATEWAY_PASSWORD"  # noqa: S105 - a variable name
    ca_file: Path | None = Field(None, description="PEM CA bundle to trust instead of pinning")
    insecure: bool = Field(False, description="skip certificate checks entirely (not advised)")
    timeout_s: float = Field(10.0, gt=0, le=300)
    rate_limit_cooldown_s: float = Field(300.0, ge=0)
    max_login_attempts: int = Field(3, ge=1, le=5)

    @field_validator("host")
    @classmethod
    def _bare_host(cls, value: str) -> str:
        value = value.strip()
        if "://" in value or "/" in value:
            raise ValueError(f"expected an IP address or host name, got {value!r}")
        if value.count(":") == 1:  # one colon: host:port (IPv6 addresses have several)
            raise ValueError(
                f"expected a host without a port, got {value!r}; put the port in gateway.port"
            )
        if not value:
            raise ValueError("expected an IP address or host name, got an empty string")
        return value

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

    kwp: float = Field(4.0, ge=0, le=SITE_MAX, description="peak DC power [kWp]")
    tilt_deg: float = Field(35.0, ge=0, le=90)
    azimuth_deg: float = Field(180.0, ge=0, lt=360, description="180 = south")
    losses: float = Field(0.14, ge=0, lt=1, description="system losses [-]")


class SiteConfig(_Strict):
    """Where the house is and what it can exchange with the grid."""

    timezone: str = "Europe/London"
    latitude: float = Field(51.48, ge=-90, le=90)
    longitude: float = Field(-0.0, ge=-180, le=180)
    solar: SolarArrayConfig = SolarArrayConfig()
    export_limit_kw: float = Field(3.68, ge=0, le=SITE_MAX)
    import_limit_kw: float = Field(23.0, gt=0, le=SITE_MAX)

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

    capacity_kwh: float | None = Field(None, gt=0, le=SITE_MAX)
    max_charge_kw: float | None = Field(None, gt=0, le=SITE_MAX)
    max_discharge_kw: float | None = Field(None, gt=0, le=SITE_MAX)
    round_trip_efficiency: float | None = Field(None, gt=0, le=1)
    reserve_percent: float = Field(
        20.0, ge=0, le=100, description="floor the plan keeps for outages, Tesla app scale [%]"
    )


class TariffConfig(_Strict):
    """Which tariff prices the plan, and whether its rates come from Octopus.

    When the config sets nothing under ``tariff`` (the no-config demo) the bundled snapshot
    prices the plan and nothing is fetched; once it sets anything there, rates come from
    Octopus (cached, with the snapshot's flagged estimates when Octopus is out of reach) unless
    ``offline: true``.
    """

    source: Literal["product", "account"] = Field(
        "product",
        description="product: the built-in product and region below; account: follow the "
        "agreements of the Octopus account saved by `wattplan octopus login`",
    )
    product: str = "flux"
    region: str = Field("C", pattern="^[A-HJ-NP]$")
    custom_file: Path | None = None
    offline: bool | None = Field(
        None,
        description="true: price from the bundled snapshot only; false: from the Octopus API; "
        "unset: the API when anything is set under tariff, the snapshot otherwise",
    )
    octopus_base_url: str = Field("https://api.octopus.energy", pattern="^https?://")

    @field_validator("product")
    @classmethod
    def _known_product(cls, value: str) -> str:
        names = product_names()
        if value not in names:
            raise ValueError(
                f"expected a built-in product ({', '.join(names)}; see `wattplan tariffs "
                f"list`), got {value!r}; for your own prices set tariff.custom_file"
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> TariffConfig:
        if self.source == "account" and self.custom_file is not None:
            raise ValueError(
                "tariff.source is account but tariff.custom_file is set: choose one (remove "
                "custom_file to follow the account, or source to price from the file)"
            )
        return self

    @property
    def live(self) -> bool:
        """Whether rates come from the Octopus API (with cache and snapshot fallback)."""
        if self.offline is not None:
            return not self.offline
        return bool(self.model_fields_set)


class OctopusConfig(_Strict):
    """Octopus events: saving sessions and power-ups, and Intelligent Octopus dispatches."""

    events: bool = Field(
        True,
        description="ask the Octopus API for saving sessions (needs `wattplan octopus login`; "
        "cached, at most every 30 min)",
    )
    dispatches: bool | None = Field(
        None,
        description="ask for Intelligent Octopus dispatches (every 10 min at most); unset: when "
        "the tariff has a dispatch rate (Intelligent Go)",
    )
    auto_join: bool = Field(False, description="join every new saving session announced")
    events_file: Path | None = Field(
        None, description="a YAML events file (saving sessions, power-ups, dispatches) to plan on"
    )


class PlannerConfig(_Strict):
    """Planner settings."""

    slot_minutes: Literal[5, 15, 30, 60] = 30
    wear_cost_p_per_kwh: float = Field(1.0, ge=0, description="battery wear per kWh throughput")
    reserve_penalty_p_per_kwh: float = Field(
        100.0, gt=0, description="cost of each kWh planned below the reserve floor [p/kWh]"
    )
    terminal_value_p_per_kwh: float | None = Field(
        None, description="value of energy left at the horizon's end; None: the planner's default"
    )
    stability_penalty_p_per_kwh: float = Field(
        0.1, ge=0, description="discourages changing the previous plan for pennies [p/kWh]"
    )


WeatherProvider = Literal["open-meteo", "forecast-solar", "solcast", "none"]


class WeatherConfig(_Strict):
    """Where weather-aware solar forecasts come from (``none``: history only).

    Keys never live in this file: Forecast.Solar's (optional) and Solcast's are read from the
    files named here. A provider that is down, slow or over its quota costs at most
    ``timeout_s`` once; the plan then uses the history forecast and says so.
    """

    provider: WeatherProvider = Field(
        "open-meteo", description="open-meteo (no key), forecast-solar, solcast, or none"
    )
    timeout_s: float = Field(
        2.0, gt=0, le=30, description="hard limit on one provider call, name lookup included [s]"
    )
    refresh_minutes: float = Field(
        60.0, ge=1, description="a cached provider forecast younger than this is reused [min]"
    )
    max_age_hours: float = Field(
        12.0, gt=0, description="a cached provider forecast older than this is not used [h]"
    )
    retry_minutes: float = Field(
        30.0, ge=0, description="after a failed call, no new call for this long [min]"
    )
    calls_per_day: int | None = Field(
        None,
        ge=1,
        description="provider calls allowed per 24 h (default: open-meteo 48, forecast-solar "
        "24, solcast 10, within each free plan)",
    )
    open_meteo_url: str = Field("https://api.open-meteo.com/v1/forecast", pattern="^https?://")
    forecast_solar_url: str = Field("https://api.forecast.solar", pattern="^https?://")
    forecast_solar_key_file: Path | None = Field(
        None, description="file holding a Forecast.Solar API key (optional)"
    )
    solcast_url: str = Field("https://api.solcast.com.au", pattern="^https?://")
    solcast_key_file: Path | None = Field(None, description="file holding the Solcast API key")
    solcast_resource_id: str | None = Field(None, description="Solcast rooftop site id")
    keep_answers: bool = Field(
        False,
        description="append every provider answer, with when it was fetched, to "
        "{state_dir}/weather/answers-{provider}.jsonl: an archive of issued forecasts for "
        "wattplan simulate --forecast-archive",
    )

    @model_validator(mode="after")
    def _solcast_needs_site(self) -> WeatherConfig:
        if self.provider == "solcast" and (
            self.solcast_key_file is None or self.solcast_resource_id is None
        ):
            raise ValueError(
                "forecast.weather.provider solcast needs solcast_key_file and "
                "solcast_resource_id (the rooftop site's id from the Solcast toolkit)"
            )
        return self


class ForecastConfig(_Strict):
    """How load and solar forecasts learn from recorded history and the weather."""

    half_life_days: float = Field(
        14.0, gt=0, description="load: weight of a day halves every this many days back"
    )
    solar_half_life_days: float = Field(
        1.0, gt=0, description="solar weather: weight halves every this many days back"
    )
    lookback_days: float = Field(42.0, gt=0, le=366, description="history older is ignored")
    min_history_days: float = Field(
        2.0, ge=0, description="below this much history, typical UK values are used"
    )
    solar_today_weight: float = Field(
        0.8,
        ge=0,
        le=1,
        description="solar: weight of today's sky (the last 3 h's output over the expected) "
        "in the next hours, fading over 3 h; 0: the recent days' weather only",
    )
    load_level_weight: float = Field(
        0.3,
        ge=0,
        le=1,
        description="load: share of the last 72 h's level over the profile applied to the "
        "next hours, fading over 36 h; 0: the profile only",
    )
    history_refresh_minutes: float = Field(
        30.0,
        ge=1,
        description="wattplan run reads the recorded history again for a plan when its last "
        "read is older than this (and at every nightly plan), so today's cloud and demand "
        "so far reach the forecast [min]",
    )
    weather: WeatherConfig = WeatherConfig()


class RecorderConfig(_Strict):
    """Where and how often to record the gateway."""

    database: Path = Path("~/.local/share/wattplan/recordings.sqlite")
    interval_s: float = Field(90.0, ge=5)


class FleetConfig(_Strict):
    """Tesla Fleet API (cloud) access for ``control.backend: fleet``.

    The OAuth token never lives in this file: it is read from ``token_file`` (a JSON file with
    ``access_token`` and ``refresh_token``, or a bare access token) or the environment variable
    named by ``token_env``.
    """

    base_url: str = Field(
        "https://fleet-api.prd.eu.vn.cloud.tesla.com",
        description="Fleet API base URL (region-specific; the emulator's URL in tests)",
    )
    site_id: str | None = Field(None, description="energy_site_id of the Powerwall site")
    token_file: Path | None = None
    token_env: str = "WATTPLAN_FLEET_TOKEN"  # noqa: S105 - a variable name
    auth_url: str = Field("https://auth.tesla.com", description="OAuth server for token refresh")
    client_id: str | None = Field(None, description="OAuth client id used to refresh the token")
    timeout_s: float = Field(15.0, gt=0, le=300)


class V1rConfig(_Strict):
    """Local signed control (TEDAPI v1r) for ``control.backend: v1r``; pair with
    ``wattplan pair`` first (it registers the key through ``control.fleet``)."""

    key_file: Path = Field(
        Path("~/.config/wattplan/v1r-key.pem"),
        description="the RSA private key wattplan signs with (created 0600 by wattplan pair)",
    )
    pairing_timeout_s: float = Field(
        660.0,
        gt=0,
        le=3600,
        description="how long `wattplan pair` waits for the Powerwall to be switched off and on "
        "(the gateway's window is about 10 minutes)",
    )
    pairing_poll_s: float = Field(
        10.0, gt=0, le=300, description="how often `wattplan pair` asks for the key's state"
    )
    writes_per_hour: int = Field(
        6,
        ge=2,
        le=120,
        description="config.json writes wattplan may make in any rolling hour (one write sets "
        "every setting; the last is kept for a safe revert)",
    )
    behaviour_timeout_s: float = Field(
        180.0,
        gt=0,
        le=900,
        description="how long after a write the live flows must show the change acted on "
        "(charging when asked to charge, not discharging when held)",
    )
    behaviour_poll_s: float = Field(
        20.0, gt=0, le=300, description="how often the flows are read during that check"
    )
    fallback_to_fleet: bool = Field(
        False,
        description="make a change the Powerwall stored but did not act on again through the "
        "Fleet API (needs control.fleet); otherwise it is reported and the revert retried",
    )


FLEET_REVERT_COMMANDS = 3
"""The most Fleet API commands a revert to safe settings can take (backup, operation,
grid_import_export); control's ``worst_case_revert_commands`` computes it and a test holds the
two equal."""


class LimitProfile(StrEnum):
    """Which Fleet API limits wattplan keeps to."""

    DOCUMENTED = "documented"
    """Tesla's plan page: 5 settings writes per site per day, 1 tariff change per site per
    calendar month, 1 live-status read per site per 5 minutes."""
    OBSERVED = "observed"
    """What sites were seen to accept: 20 writes a day, tariff changes not limited apart."""
    CUSTOM = "custom"
    """``control.commands_per_day`` and ``control.tariff_changes_per_month``."""


@dataclass(frozen=True)
class FleetLimits:
    """The limits wattplan keeps to, whichever profile set them."""

    profile: LimitProfile
    writes_per_day: int
    """Billable settings writes per UTC day (every POST: operation, backup,
    grid_import_export, storm_mode, time_of_use_settings)."""
    tariff_changes_per_month: int | None
    """``time_of_use_settings`` writes per UTC calendar month (None: only the daily count)."""
    live_read_interval_s: float | None
    """The shortest time between live-status reads (None: not limited). [s]"""


DOCUMENTED_LIMITS = FleetLimits(LimitProfile.DOCUMENTED, 5, 1, 300.0)
OBSERVED_LIMITS = FleetLimits(LimitProfile.OBSERVED, 20, None, None)


class ControlConfig(_Strict):
    """Which backend applies plans; dry-run until the user opts in.

    ``local`` uses the gateway's legacy installer sequence: since firmware 1.50.1 (Oct 2020)
    that needs the installer login *and* a physical switch toggle on the gateway, so on current
    firmware only ``fleet`` (Tesla's cloud API) or ``v1r`` (signed local messages, unofficial,
    after ``wattplan pair``) can change settings.
    """

    backend: Literal["dry-run", "local", "fleet", "v1r"] = "dry-run"
    fleet: FleetConfig = FleetConfig()
    v1r: V1rConfig = V1rConfig()
    limits: LimitProfile | None = Field(
        None,
        description="Fleet API limits to keep to: documented (5 writes a day, 1 tariff change "
        "a month), observed (20 writes a day) or custom (commands_per_day, "
        "tariff_changes_per_month); default documented for the fleet backend, custom when "
        "commands_per_day is set, observed otherwise",
    )
    commands_per_day: int | None = Field(
        None, ge=1, description="custom limits: settings writes wattplan may send per UTC day"
    )
    tariff_changes_per_month: int | None = Field(
        None, ge=0, description="custom limits: tariff uploads per UTC calendar month"
    )
    policy: Literal["auto", "scarce", "follow"] = Field(
        "auto",
        description="how plans are followed: follow (change the settings at every span), scarce "
        "(time-based control under a tariff designed and uploaded at most once a month does "
        "most of the work; the daily writes go where the plan values them most) or auto "
        "(scarce at 10 daily writes or fewer, e.g. the documented limits)",
    )
    safety_commands: int = Field(
        FLEET_REVERT_COMMANDS,
        ge=0,
        description="commands of the daily budget kept for returning to safe settings "
        "(default: the most a Fleet revert can take, 3: backup, operation, grid_import_export)",
    )
    gateway_loss_grace_s: float = Field(
        300.0,
        ge=0,
        description="`wattplan run` keeps a forced state this long after the gateway stops "
        "answering (a Wi-Fi blip) before reverting to safe settings; a lapsed lease reverts "
        "sooner",
    )
    lease_minutes: float = Field(
        90.0, gt=0, description="how long a forced state (raised reserve, export) may last"
    )
    settle_minutes: float = Field(
        5.0, ge=0, description="how long the device takes to act on a change; applied early"
    )
    hold_tolerance_percent: float = Field(
        3.0,
        ge=0,
        le=20,
        description="a hold keeps the device's reserve when it is within this many app "
        "percentage points of the wanted one (no command for solar creep)",
    )
    flip_value_gbp: float = Field(
        0.02,
        ge=0,
        le=5,
        description="a short self-power/hold flip in the plan whose energy × price spread is "
        "worth less than this (£) is not sent (saves Fleet commands; 0 = send every flip)",
    )
    nightly_plan_time: str = Field(
        "21:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="`wattplan run` also re-plans at this local time (HH:MM), with fresh history",
    )
    plan_max_age_minutes: float = Field(
        180.0,
        gt=0,
        description="`wattplan run` keeps following a plan this long when re-planning cannot "
        "read its inputs; after that it falls back to safe settings",
    )

    @property
    def fleet_limits(self) -> FleetLimits:
        """The limits in force (see ``limits``)."""
        profile = self.limits
        if profile is None:
            if self.commands_per_day is not None or self.tariff_changes_per_month is not None:
                profile = LimitProfile.CUSTOM
            elif self.backend == "fleet":
                profile = LimitProfile.DOCUMENTED
            else:
                profile = LimitProfile.OBSERVED
        if profile is LimitProfile.DOCUMENTED:
            return DOCUMENTED_LIMITS
        if profile is LimitProfile.OBSERVED:
            return OBSERVED_LIMITS
        return FleetLimits(
            LimitProfile.CUSTOM,
            self.commands_per_day or OBSERVED_LIMITS.writes_per_day,
            self.tariff_changes_per_month,
            None,
        )

    @property
    def writes_per_day(self) -> int:
        """Settings writes allowed per UTC day under :attr:`fleet_limits`."""
        return self.fleet_limits.writes_per_day

    @model_validator(mode="after")
    def _safety_budget(self) -> ControlConfig:
        custom_fields = self.commands_per_day is not None or (
            self.tariff_changes_per_month is not None
        )
        if self.limits not in (None, LimitProfile.CUSTOM) and custom_fields:
            raise ValueError(
                f"control.limits is {self.limits.value}, which fixes the limits: drop "
                "control.commands_per_day and control.tariff_changes_per_month, or set "
                "control.limits: custom"
            )
        per_day = self.writes_per_day
        if self.safety_commands >= per_day:
            raise ValueError(
                f"control.safety_commands ({self.safety_commands}) must be less than the "
                f"{per_day} writes a day of the {self.fleet_limits.profile.value} limits: the "
                "commands kept for safety reverts come out of the daily budget"
            )
        if self.backend == "fleet":
            needed = FLEET_REVERT_COMMANDS
            if self.safety_commands < needed:
                raise ValueError(
                    f"control.safety_commands is {self.safety_commands}, but returning to safe "
                    f"settings through the Fleet API can take {needed} commands (backup, "
                    "operation, grid_import_export); a smaller reserve could leave a forced "
                    f"export in place: set it to at least {needed}"
                )
        return self


MqttProtocol = Literal["3.1.1", "5"]


class MqttConfig(_Strict):
    """The MQTT broker wattplan publishes to (Home Assistant discovery included).

    The broker password never lives in this file: it is read from ``password_file``. TLS is on
    when ``tls`` is true or a CA file or client certificate is given; without a CA file the
    system's trusted CAs verify the broker.
    """

    host: str = Field(description="the broker's IP address or host name")
    port: int = Field(1883, ge=1, le=65535, description="1883 plain, usually 8883 with TLS")
    protocol: MqttProtocol = Field("3.1.1", description="MQTT protocol version: 3.1.1 or 5")
    username: str | None = None
    password_file: Path | None = Field(None, description="file holding the broker password")
    tls: bool = False
    ca_file: Path | None = Field(None, description="PEM CA bundle that signed the broker's cert")
    client_cert_file: Path | None = Field(None, description="PEM client certificate (optional)")
    client_key_file: Path | None = Field(None, description="PEM key of the client certificate")
    keepalive_s: int = Field(
        60, ge=5, le=3600, description="the broker declares wattplan offline after 1.5× this [s]"
    )
    client_id: str | None = Field(None, description="default: wattplan-<site_id>")
    site_id: str = Field(
        "home",
        pattern=r"^[a-z0-9_]{1,32}$",
        description="names this site in topics (wattplan/<site_id>) and entity ids",
    )
    topic_prefix: str | None = Field(None, description="default: wattplan/<site_id>")
    discovery: bool = Field(True, description="publish Home Assistant discovery configs")
    discovery_prefix: str = "homeassistant"
    context_keys: tuple[str, ...] = Field(
        ("storm_warning", "away", "ev_plugged_in", "saving_session"),
        description="context facts the home can set (the rules file's keys are added)",
    )
    override_ttl_minutes: float = Field(
        60.0, gt=0, le=7 * 24 * 60, description="a manual mode lapses after this by default"
    )
    reconnect_min_s: float = Field(1.0, gt=0, le=60)
    reconnect_max_s: float = Field(120.0, gt=0, le=3600)

    @field_validator("host")
    @classmethod
    def _bare_host(cls, value: str) -> str:
        value = value.strip()
        if not value or "://" in value or "/" in value:
            raise ValueError(f"expected an IP address or host name, got {value!r}")
        return value

    @field_validator("topic_prefix", "discovery_prefix")
    @classmethod
    def _topic(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().strip("/")
        if not value or any(c in value for c in "#+\0"):
            raise ValueError(f"expected a topic without wildcards, got {value!r}")
        return value

    @field_validator("context_keys")
    @classmethod
    def _context_keys(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for key in value:
            if not re.match(r"^[a-z][a-z0-9_]{0,39}$", key):
                raise ValueError(f"context keys are lower_snake_case (a-z, 0-9, _), got {key!r}")
        return value

    @model_validator(mode="after")
    def _client_cert_pair(self) -> MqttConfig:
        if (self.client_cert_file is None) != (self.client_key_file is None):
            raise ValueError("give both client_cert_file and client_key_file, or neither")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError(
                f"reconnect_max_s ({self.reconnect_max_s:g}) is below reconnect_min_s "
                f"({self.reconnect_min_s:g})"
            )
        return self

    @property
    def uses_tls(self) -> bool:
        """Whether the connection is encrypted."""
        return self.tls or self.ca_file is not None or self.client_cert_file is not None

    @property
    def prefix(self) -> str:
        """Where wattplan's topics live."""
        return self.topic_prefix or f"wattplan/{self.site_id}"

    def password(self) -> SecretStr | None:
        """The broker password from ``password_file`` (None: no password)."""
        if self.password_file is None:
            return None
        path = self.password_file.expanduser()
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"mqtt.password_file: cannot read {path}: {exc.strerror}") from exc
        if not value:
            raise ConfigError(f"mqtt.password_file: {path} is empty")
        return SecretStr(value)


class WebConfig(_Strict):
    """The dashboard and JSON API that ``wattplan run`` and ``wattplan dashboard`` serve.

    Bound to loopback by default; every URL the pages use is relative, so it works behind a
    reverse proxy or Home Assistant ingress. The write endpoints (context facts, manual
    override, reserve floor, control switch, re-plan) answer only to
    ``Authorization: Bearer <token>`` with the token read from ``token_file``; without a token
    file they answer 403.
    """

    enabled: bool = Field(True, description="`wattplan run` serves the dashboard")
    host: str = Field("127.0.0.1", description="address to listen on (0.0.0.0: every address)")
    port: int = Field(8765, ge=0, le=65535, description="TCP port (0: any free port)")
    site: str = Field(
        "home",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="this site's name: the `site` label of every /metrics series",
    )
    refresh_s: float = Field(
        5.0, ge=1, le=300, description="how often the pages fetch fresh data [s]"
    )
    token_file: Path | None = Field(
        None, description="file holding the bearer token that unlocks the write endpoints"
    )

    def token(self) -> SecretStr | None:
        """The write endpoints' bearer token, or None when none is configured."""
        if self.token_file is None:
            return None
        path = self.token_file.expanduser()
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"web.token_file: cannot read {path}: {exc.strerror}") from exc
        if len(value) < 16:
            raise ConfigError(
                f"web.token_file: {path} holds {len(value)} characters; expected a token of at "
                "least 16 (e.g. `openssl rand -hex 32`)"
            )
        return SecretStr(value)


class Config(_Strict):
    """The whole configuration file."""

    gateway: GatewayConfig | None = Field(
        None, description="absent: use the embedded emulator (a demo site)"
    )
    site: SiteConfig = SiteConfig()
    battery: BatteryConfig = BatteryConfig()
    tariff: TariffConfig = TariffConfig()
    octopus: OctopusConfig = OctopusConfig()
    planner: PlannerConfig = PlannerConfig()
    forecast: ForecastConfig = ForecastConfig()
    recorder: RecorderConfig = RecorderConfig()
    control: ControlConfig = ControlConfig()
    mqtt: MqttConfig | None = Field(None, description="absent: nothing is published")
    web: WebConfig = WebConfig()
    state_dir: Path = Field(
        DEFAULT_STATE_DIR,
        description="certificate pins, command budget, lease, caches ($WATTPLAN_STATE_DIR wins)",
    )

    @property
    def uses_emulator(self) -> bool:
        """True when no gateway is configured and the embedded emulator stands in."""
        return self.gateway is None

    def state_path(self) -> Path:
        """The state directory (certificate pins, caches), created on first use; raises
        :class:`ConfigError` when it cannot be created or written."""
        path = self.state_dir.expanduser()
        try:
            path.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=path):
                pass
        except OSError as exc:
            raise ConfigError(
                "state_dir (or $WATTPLAN_STATE_DIR): expected a directory wattplan can create "
                f"and write, got {path} ({exc.strerror or exc})"
            ) from exc
        return path


def check_paths(config: Config) -> None:
    """Try every file and directory the config names, as the commands will use them: read
    each file it names (secrets are read, never shown), load the custom tariff, create the
    state directory and a file in it; raises :class:`ConfigError` listing what cannot be used.
    """
    problems: list[str] = []
    files: list[tuple[str, Path | None]] = [("tariff.custom_file", config.tariff.custom_file)]
    if config.gateway is not None:
        files += [
            ("gateway.password_file", config.gateway.password_file),
            ("gateway.ca_file", config.gateway.ca_file),
        ]
    if config.mqtt is not None:
        files += [
            ("mqtt.password_file", config.mqtt.password_file),
            ("mqtt.ca_file", config.mqtt.ca_file),
            ("mqtt.client_cert_file", config.mqtt.client_cert_file),
            ("mqtt.client_key_file", config.mqtt.client_key_file),
        ]
    files += [
        ("web.token_file", config.web.token_file),
        ("control.fleet.token_file", config.control.fleet.token_file),
        (
            "forecast.weather.forecast_solar_key_file",
            config.forecast.weather.forecast_solar_key_file,
        ),
        ("forecast.weather.solcast_key_file", config.forecast.weather.solcast_key_file),
    ]
    for name, path in files:
        if path is None:
            continue
        full = path.expanduser()
        try:
            with full.open("rb") as handle:
                handle.read(1)
        except OSError as exc:
            problems.append(f"{name}: expected a readable file, got {full} ({exc.strerror})")
    if config.tariff.custom_file is not None and not problems:
        try:
            load_custom_tariff(config.tariff.custom_file.expanduser())
        except WattplanError as exc:
            problems.append(f"tariff.custom_file: {exc}")
    try:
        config.state_path()
    except ConfigError as exc:
        problems.append(str(exc))
    if problems:
        raise ConfigError(
            "the config names files or directories wattplan cannot use:\n  " + "\n  ".join(problems)
        )


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
    """Load the configuration; raises :class:`ConfigError` with file:line on a mistake.
    ``$WATTPLAN_STATE_DIR``, when set, replaces ``state_dir``."""
    path = find_config(explicit)
    try:
        config = Config() if path is None else load(path.expanduser(), Config)
    except YamlError as exc:
        raise ConfigError(str(exc)) from exc
    state_dir = os.environ.get("WATTPLAN_STATE_DIR")
    return config if not state_dir else config.model_copy(update={"state_dir": Path(state_dir)})
