"""What a control backend can really do, and which backup reserves it accepts.

The Tesla Fleet API's reserve rule lives here and nowhere else (:meth:`Capabilities.legal_reserve`):
since July 2025 the reserve must be ≤ 80 or exactly 100 (app scale). Each kind of reserve
meets it differently (:class:`ReservePurpose`):

=========  =====================================================  ==========================
purpose    a wanted reserve above 80 becomes                      why
=========  =====================================================  ==========================
FLOOR      80 (only a floor in (80, 100))                         a reserve of 100 forbids all
                                                                  discharge: every self-powered
                                                                  slot and the safe fallback
                                                                  would leave the battery idle
CHARGE     100 (only a target in (80, 100))                       a slight overshoot beats not
                                                                  charging
HOLD       100 with grid charging off (100 included)              below the reserve the battery
                                                                  then charges only from
                                                                  surplus solar and never
                                                                  discharges: a true hold
EXPORT     80 (only a stop in (80, 100))                          stop a little early
=========  =====================================================  ==========================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

FLEET_RESERVE_MAX_BELOW_FULL = 80.0
"""The Fleet API accepts a reserve up to this, or exactly 100. [app %]"""


class BackendName(StrEnum):
    """The control backends (``control.backend``)."""

    DRY_RUN = "dry-run"
    LOCAL = "local"
    FLEET = "fleet"
    V1R = "v1r"


class ReservePurpose(StrEnum):
    """What a reserve is for; the Fleet rule treats each differently (module docstring)."""

    FLOOR = "floor"
    CHARGE = "charge"
    HOLD = "hold"
    EXPORT = "export"


@dataclass(frozen=True, slots=True)
class LegalReserve:
    """A reserve the backend accepts: the value [app %], whether grid charging stays on, and a
    note when it differs from the one wanted."""

    app_percent: float
    grid_charging: bool = True
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can really do.

    Attributes
    ----------
    backend : BackendName
        Which backend (a dry run pretends another's capabilities: ``dry_run``).
    max_grid_charge_kw : float
        Grid → battery power reachable by raising the reserve (1.8 kW × units). [kW]
    can_set_mode, can_set_reserve, can_set_grid_charging, can_set_export_rule,
    can_upload_tariff : bool
        Which settings the backend can change.
    fleet_reserve_rule : bool
        The reserve must be ≤ 80 or exactly 100 (app scale).
    reserve_step_app_percent : float
        Granularity of the reserve the backend accepts. [app %]
    settle_minutes : float
        How long a change takes to act; apply this early. [min]
    commands_per_day : int or None
        Daily command budget (None: unlimited).
    tariff_changes_per_month : int or None
        Tariff uploads allowed per UTC calendar month (None: only the daily budget).
    writes_per_hour : int or None
        Rolling hourly write rate (v1r; None: no hourly rate).
    dry_run : bool
        Nothing is sent; these are the capabilities pretended.
    """

    backend: BackendName
    max_grid_charge_kw: float
    can_set_mode: bool = True
    can_set_reserve: bool = True
    can_set_grid_charging: bool = False
    can_set_export_rule: bool = False
    can_upload_tariff: bool = False
    fleet_reserve_rule: bool = False
    reserve_step_app_percent: float = 1.0
    settle_minutes: float = 5.0
    commands_per_day: int | None = None
    tariff_changes_per_month: int | None = None
    writes_per_hour: int | None = None
    dry_run: bool = False

    @property
    def name(self) -> str:
        """For people: ``fleet``, ``local``, ``dry-run(fleet)``."""
        return f"dry-run({self.backend})" if self.dry_run else str(self.backend)

    @property
    def can_export(self) -> bool:
        """Battery export needs autonomous mode, the export rule and a tariff upload."""
        return self.can_set_mode and self.can_set_export_rule and self.can_upload_tariff

    @property
    def can_fast_charge(self) -> bool:
        """Full-power grid charging needs autonomous mode, grid charging and a tariff upload."""
        return self.can_set_mode and self.can_set_grid_charging and self.can_upload_tariff

    @classmethod
    def fleet(
        cls,
        units: int = 1,
        *,
        settle_minutes: float = 5.0,
        commands_per_day: int = 20,
        tariff_changes_per_month: int | None = None,
    ) -> Capabilities:
        """The Tesla Fleet API: every setting, app-scale integer reserve, a daily budget (and
        a monthly tariff-change limit)."""
        return cls(
            backend=BackendName.FLEET,
            max_grid_charge_kw=1.8 * units,
            can_set_grid_charging=True,
            can_set_export_rule=True,
            can_upload_tariff=True,
            fleet_reserve_rule=True,
            settle_minutes=settle_minutes,
            commands_per_day=commands_per_day,
            tariff_changes_per_month=tariff_changes_per_month,
        )

    @classmethod
    def local(cls, units: int = 1, *, settle_minutes: float = 5.0) -> Capabilities:
        """The gateway's installer sequence: mode and reserve only."""
        return cls(
            backend=BackendName.LOCAL,
            max_grid_charge_kw=1.8 * units,
            settle_minutes=settle_minutes,
        )

    @classmethod
    def v1r(
        cls, units: int = 1, *, settle_minutes: float = 5.0, writes_per_hour: int = 6
    ) -> Capabilities:
        """Signed local control (TEDAPI v1r): mode, any reserve 0–100, grid charging and the
        export rule, at a rolling hourly write rate. config.json carries no tariff, so no
        tariff upload: grid charging runs at the raised-reserve rate (1.8 kW × units) and
        battery export follows the tariff set in the Tesla app."""
        return cls(
            backend=BackendName.V1R,
            max_grid_charge_kw=1.8 * units,
            can_set_grid_charging=True,
            can_set_export_rule=True,
            settle_minutes=settle_minutes,
            writes_per_hour=writes_per_hour,
        )

    def accepts_reserve(self, app_percent: float) -> bool:
        """Whether the backend takes this reserve as it is. [app %]"""
        limit = FLEET_RESERVE_MAX_BELOW_FULL
        return not self.fleet_reserve_rule or app_percent <= limit or app_percent >= 100.0

    def legal_reserve(self, app_percent: float, purpose: ReservePurpose) -> LegalReserve:
        """The reserve the backend accepts for ``purpose`` (module docstring's table). [app %]"""
        limit = FLEET_RESERVE_MAX_BELOW_FULL
        if purpose is ReservePurpose.HOLD and self.fleet_reserve_rule and app_percent > limit:
            return LegalReserve(
                100.0,
                grid_charging=False,
                note=(
                    f"hold at {app_percent:g}% is above {limit:g}%: the Fleet API accepts only "
                    f"≤ {limit:g} or 100, so reserve 100 with grid charging off (charges only "
                    f"from surplus solar, never discharges)"
                ),
            )
        if self.accepts_reserve(app_percent):
            return LegalReserve(app_percent)
        if purpose is ReservePurpose.CHARGE:
            return LegalReserve(
                100.0,
                note=(
                    f"charge target {app_percent:g}% is above {limit:g}%: the Fleet API accepts "
                    f"only ≤ {limit:g} or 100, so charging to 100%"
                ),
            )
        if purpose is ReservePurpose.FLOOR:
            return LegalReserve(
                limit,
                note=(
                    f"reserve floor {app_percent:g}% (battery.reserve_percent) is above "
                    f"{limit:g}%: the Fleet API accepts only ≤ {limit:g} or 100, so the device's "
                    f"floor is {limit:g}% (holds above {limit:g}% still hold; set {limit:g} or "
                    f"100 to silence this)"
                ),
            )
        return LegalReserve(
            limit,
            note=(
                f"{purpose} reserve {app_percent:g}% is above {limit:g}%: the Fleet API accepts "
                f"only ≤ {limit:g} or 100, so using {limit:g}%"
            ),
        )

    def round_reserve(self, app_percent: float) -> float:
        """``app_percent`` to the nearest step the backend accepts, within [0, 100]. [app %]"""
        step = self.reserve_step_app_percent
        return min(max(round(app_percent / step) * step, 0.0), 100.0)

    def round_reserve_up(self, app_percent: float) -> float:
        """``app_percent`` up to the next step the backend accepts, within [0, 100]. [app %]"""
        step = self.reserve_step_app_percent
        # 1e-9: 40.0000000001 from float arithmetic must not become 41.
        return min(max(math.ceil(app_percent / step - 1e-9) * step, 0.0), 100.0)
