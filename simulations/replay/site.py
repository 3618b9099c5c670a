"""The battery and site the replay simulates, from the config (with command-line overrides).

One source for both sides: the planner reads the battery through
:func:`optimiser.planning.battery_inputs` (the config's ``battery`` section), and the shared
Powerwall model gets the same capacity, power and efficiencies, so plan and physics agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt

from optimiser.config import Config
from optimiser.control.capabilities import Capabilities
from optimiser.control.policy import ControlPolicy
from optimiser.domain.powerwall import PowerwallSpec
from optimiser.domain.units import app_to_raw
from optimiser.planning import DEFAULT_EFFICIENCY

POWERWALL_KWH = 13.5
POWERWALL_KW = 5.0


@dataclass(frozen=True)
class SiteModel:
    """A simulated site: the config the planner sees and the model the replay steps.

    Attributes
    ----------
    config : Config
        The user's config with the battery section filled in (capacity, power, efficiency).
    spec : PowerwallSpec
        The shared model's limits (same capacity, power, efficiencies, export limit).
    capabilities : Capabilities
        The control backend simulated (default: the Tesla Fleet API).
    policy : ControlPolicy
        Reserve floor and lease from the config.
    initial_soe_kwh : float
        Stored energy at the start of the replay. [kWh]
    """

    config: Config
    spec: PowerwallSpec
    capabilities: Capabilities
    policy: ControlPolicy
    initial_soe_kwh: float

    @property
    def capacity_kwh(self) -> float:
        """Usable capacity. [kWh]"""
        return self.spec.capacity_kwh

    @property
    def floor_raw_percent(self) -> float:
        """The configured reserve floor on the gateway's raw scale. [%]"""
        return app_to_raw(self.policy.reserve_floor_app_percent)

    @property
    def floor_kwh(self) -> float:
        """The configured reserve floor. [kWh]"""
        return self.floor_raw_percent / 100.0 * self.capacity_kwh

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        capacity_kwh: float | None = None,
        power_kw: float | None = None,
        capabilities: Capabilities | None = None,
        initial_soe_kwh: float | None = None,
    ) -> SiteModel:
        """The site from ``config``; ``capacity_kwh`` and ``power_kw`` override it.

        Defaults where the config says nothing: Powerwall 2s (13.5 kWh, 5 kW each; the unit
        count from the capacity), 90 % round trip; the battery starts at the reserve floor.
        """
        bat = config.battery
        capacity = capacity_kwh or bat.capacity_kwh or POWERWALL_KWH
        units = max(1, round(capacity / POWERWALL_KWH))
        charge = power_kw or bat.max_charge_kw or POWERWALL_KW * units
        discharge = power_kw or bat.max_discharge_kw or POWERWALL_KW * units
        efficiency = bat.round_trip_efficiency or DEFAULT_EFFICIENCY
        filled = bat.model_copy(
            update={
                "capacity_kwh": capacity,
                "max_charge_kw": charge,
                "max_discharge_kw": discharge,
                "round_trip_efficiency": efficiency,
            }
        )
        config = config.model_copy(update={"battery": filled})
        spec = PowerwallSpec(
            units=units,
            capacity_kwh=capacity,
            max_charge_kw=charge,
            max_discharge_kw=discharge,
            charge_efficiency=sqrt(efficiency),
            discharge_efficiency=sqrt(efficiency),
            export_limit_kw=config.site.export_limit_kw,
            import_limit_kw=config.site.import_limit_kw,
        )
        caps = capabilities or Capabilities.fleet(
            units,
            settle_minutes=config.control.settle_minutes,
            commands_per_day=config.control.writes_per_day,
            tariff_changes_per_month=config.control.fleet_limits.tariff_changes_per_month,
        )
        policy = ControlPolicy.from_config(config, caps)
        floor = app_to_raw(policy.reserve_floor_app_percent) / 100.0 * capacity
        return cls(
            config=config,
            spec=spec,
            capabilities=caps,
            policy=policy,
            initial_soe_kwh=floor if initial_soe_kwh is None else initial_soe_kwh,
        )
