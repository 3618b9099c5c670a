"""The sweep's axes: tariffs, regions, strategies, battery sizes and Fleet command budgets.

Every household is replayed in every combination (a *cell*). Budgets only change the closed
loop (``wattplan``), so the other strategies run once per tariff × region × battery, and
``no-battery`` once per tariff × region.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimiser.config import DOCUMENTED_LIMITS, OBSERVED_LIMITS, LimitProfile
from simulations.replay.errors import ReplayError
from simulations.replay.frontier import UNLIMITED
from simulations.replay.options import REFERENCES, Strategy
from simulations.replay.prices import is_tariff_file


@dataclass(frozen=True, order=True)
class Battery:
    """A battery size.

    Attributes
    ----------
    capacity_kwh : float
        Usable capacity. [kWh]
    power_kw : float
        Charge and discharge power. [kW]
    """

    capacity_kwh: float
    power_kw: float

    @property
    def label(self) -> str:
        """``13.5/5``, as the command line takes it."""
        return f"{self.capacity_kwh:g}/{self.power_kw:g}"

    @classmethod
    def parse(cls, text: str) -> Battery:
        """``"13.5/5"`` → 13.5 kWh, 5 kW; raises :class:`ReplayError` otherwise."""
        parts = text.split("/")
        try:
            capacity, power = (float(p) for p in parts)
        except ValueError:
            capacity = power = 0.0
        if len(parts) != 2 or not (capacity > 0 and power > 0):
            raise ReplayError(
                f"--battery: expected CAPACITY_KWH/POWER_KW with both above 0 (e.g. 13.5/5), "
                f"got {text!r}"
            )
        return cls(capacity, power)


@dataclass(frozen=True)
class Budget:
    """A daily Fleet API write budget the closed loop keeps to.

    Attributes
    ----------
    label : str
        As given: a limits profile (``documented``, ``observed``), a number or ``unlimited``;
        ``config`` for the config's own limits.
    writes_per_day : int or None
        Settings writes per UTC day (None: unlimited; for ``config``: the config's).
    """

    label: str
    writes_per_day: int | None

    @property
    def from_config(self) -> bool:
        """Whether this is the config's own budget (the site is left as the config makes it)."""
        return self.label == CONFIG_BUDGET.label

    @classmethod
    def parse(cls, text: str) -> Budget:
        """A profile name, a whole number ≥ 1 or ``unlimited``; raises :class:`ReplayError`."""
        profiles = {
            LimitProfile.DOCUMENTED.value: DOCUMENTED_LIMITS.writes_per_day,
            LimitProfile.OBSERVED.value: OBSERVED_LIMITS.writes_per_day,
        }
        if text in profiles:
            return cls(text, profiles[text])
        if text == UNLIMITED:
            return cls(text, None)
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise ReplayError(
                f"--budget: expected {', '.join(profiles)}, {UNLIMITED!r} or a whole number of "
                f"writes a day ≥ 1, got {text!r}"
            )
        return cls(str(value), value)


CONFIG_BUDGET = Budget("config", None)


@dataclass(frozen=True)
class Axes:
    """What each household is replayed under.

    Attributes
    ----------
    tariffs : tuple of str
        Products (``flux``, ``agile``…) or custom tariff files.
    regions : tuple of str
        Octopus region letters (products only; files are priced once).
    strategies : tuple of Strategy
        As asked, then the references (no-battery, perfect-foresight) that savings and the
        capture ratio are measured against.
    batteries : tuple of Battery
    budgets : tuple of Budget
        For the closed loop.
    """

    tariffs: tuple[str, ...]
    regions: tuple[str, ...]
    strategies: tuple[Strategy, ...]
    batteries: tuple[Battery, ...]
    budgets: tuple[Budget, ...] = (CONFIG_BUDGET,)

    @classmethod
    def parse(
        cls,
        *,
        tariffs: list[str],
        regions: list[str],
        strategies: list[str],
        batteries: list[str],
        budgets: list[str],
    ) -> Axes:
        """The axes from command-line values (defaults: wattplan, 13.5/5, the config's
        budget); raises :class:`ReplayError` on an unknown value."""
        names = [s.value for s in Strategy]
        unknown = [s for s in strategies if s not in names]
        if unknown:
            raise ReplayError(f"--strategy: expected some of {', '.join(names)}, got {unknown}")
        if not tariffs:
            raise ReplayError("--tariff: expected at least one product or tariff file")
        if not regions:
            raise ReplayError("--region: expected at least one region letter")
        chosen = [Strategy(s) for s in dict.fromkeys(strategies or [Strategy.WATTPLAN.value])]
        chosen += [s for s in REFERENCES if s not in chosen]
        return cls(
            tariffs=tuple(dict.fromkeys(tariffs)),
            regions=tuple(dict.fromkeys(r.upper() for r in regions)),
            strategies=tuple(chosen),
            batteries=tuple(dict.fromkeys(Battery.parse(b) for b in batteries or ["13.5/5"])),
            budgets=tuple(dict.fromkeys(Budget.parse(b) for b in budgets)) or (CONFIG_BUDGET,),
        )

    def priced(self) -> list[tuple[str, str | None]]:
        """Every (tariff, region) to price; region None for tariff files."""
        out: list[tuple[str, str | None]] = []
        for tariff in self.tariffs:
            if is_tariff_file(tariff):
                out.append((tariff, None))
            else:
                out.extend((tariff, region) for region in self.regions)
        return out

    @property
    def cells_per_household(self) -> int:
        """Replays per household. [-]"""
        per_battery = sum(
            len(self.budgets) if s is Strategy.WATTPLAN else 1
            for s in self.strategies
            if s is not Strategy.NO_BATTERY
        )
        return len(self.priced()) * (1 + len(self.batteries) * per_battery)
