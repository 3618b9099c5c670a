"""Evaluate rules over a planning horizon into per-slot effects, resolving conflicts.

Pure: :func:`evaluate` takes the rules and a :class:`RuleEnvironment` (slot grid, prices,
forecasts, the site's state now, active context) and returns :class:`RuleEffects`: for every
slot, the value each action family takes and which rule set it, plus the targets, and a report
of what fired and what was overridden. Turning effects into planner inputs and LP constraints
is :mod:`optimiser.planner.rules_hook`'s job.

Conflict resolution, predictable by construction:

- Rules are ranked by ``priority`` (higher first), then by file order.
- For each slot and each action family, the highest-ranked rule that fires sets the value;
  any lower-ranked rule that fires there with a different value is reported as overridden.
  Extra loads are the exception: they add up (two cars can charge at once).
- Across families, a reserve floor above a maximum state of charge is a contradiction: the
  higher-ranked rule's value stands and the other is clipped to it, and this is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from optimiser.domain.slots import LONDON, SlotGrid
from rules.schema import ContextValue, ForceMode, Rule, RulesFile, When


@dataclass(frozen=True)
class RuleEnvironment:
    """Everything conditions can look at. Per-slot sequences have one value per grid slot.

    Attributes
    ----------
    grid : SlotGrid
        The planning horizon.
    import_price, export_price : Sequence[float]
        Tariff prices per slot. [p/kWh]
    load_kw, solar_kw : Sequence[float]
        Forecasts per slot. [kW]
    now : datetime
        Decision time (aware).
    soc_app_percent : float | None
        State of charge now, Tesla app scale. [%]
    grid_up : bool
        False during a power cut.
    context : dict
        Active context facts.
    context_expires : dict
        When each context fact stops applying (absent: it lasts the whole horizon).
    timezone : ZoneInfo
        Where clock times and days are read.
    """

    grid: SlotGrid
    import_price: Sequence[float]
    export_price: Sequence[float]
    load_kw: Sequence[float]
    solar_kw: Sequence[float]
    now: datetime
    soc_app_percent: float | None = None
    grid_up: bool = True
    context: dict[str, ContextValue] = field(default_factory=dict)
    context_expires: dict[str, datetime] = field(default_factory=dict)
    timezone: ZoneInfo = LONDON

    def __post_init__(self) -> None:
        n = self.grid.count
        for name in ("import_price", "export_price", "load_kw", "solar_kw"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} values for {n} slots")


T = TypeVar("T")


@dataclass(frozen=True)
class SlotValue(Generic[T]):
    """An action family's value in one slot and the rule that set it."""

    value: T
    rule: str


@dataclass(frozen=True)
class SoftFloor:
    """A minimum stored energy (app-scale percent) with its penalty or hardness."""

    percent: float
    hard: bool
    penalty_p_per_kwh: float


@dataclass(frozen=True)
class Target:
    """At least ``percent`` (app scale) stored at the end of slot ``slot``."""

    slot: int
    percent: float
    penalty_p_per_kwh: float
    rule: str


@dataclass(frozen=True)
class Conflict:
    """A lower-ranked rule's value that did not apply in some slots."""

    action: str
    winner: str
    loser: str
    slots: tuple[int, ...]
    detail: str


@dataclass(frozen=True)
class RuleEffects:
    """Per-slot effects of all rules. Lists have one entry per slot (None: no rule)."""

    min_reserve: list[SlotValue[SoftFloor] | None]
    max_soc_percent: list[SlotValue[float] | None]
    no_export: list[SlotValue[str] | None]
    no_grid_charge: list[SlotValue[bool] | None]
    hold: list[SlotValue[bool] | None]
    force_mode: list[SlotValue[ForceMode] | None]
    scale_load: list[SlotValue[float] | None]
    export_bonus: list[SlotValue[float] | None]
    extra_load_kw: list[float]
    targets: list[Target]
    fired: dict[str, tuple[int, ...]]
    conflicts: list[Conflict]
    notes: list[str]

    @property
    def any(self) -> bool:
        """Whether any rule fired anywhere."""
        return any(self.fired.values())


_FAMILIES = (
    "min_reserve",
    "max_soc_percent",
    "no_export",
    "no_grid_charge",
    "hold",
    "force_mode",
    "scale_load",
    "export_bonus",
)


def evaluate(rules: RulesFile, env: RuleEnvironment) -> RuleEffects:
    """Evaluate every enabled, unexpired rule over the horizon (pure)."""
    n = env.grid.count
    slots: dict[str, list[SlotValue | None]] = {name: [None] * n for name in _FAMILIES}
    extra = [0.0] * n
    targets: list[Target] = []
    fired: dict[str, tuple[int, ...]] = {}
    notes: list[str] = []
    overridden: dict[tuple[str, str, str, str], list[int]] = {}
    local = [start.astimezone(env.timezone) for start in env.grid.starts]
    daily = _daily_totals(env, local)

    for rule in rules.ordered():
        if rule.expires is not None and rule.expires <= env.now:
            notes.append(f"rule {rule.name!r} expired at {rule.expires.isoformat()}; ignored")
            continue
        mask = [_holds(rule.when, env, t, local[t], daily, notes, rule.name) for t in range(n)]
        fired[rule.name] = tuple(t for t in range(n) if mask[t])
        values = _action_values(rule)
        for t in fired[rule.name]:
            for family, value in values.items():
                current = slots[family][t]
                if current is None:
                    slots[family][t] = SlotValue(value, rule.name)
                elif current.value != value:
                    key = (
                        family,
                        current.rule,
                        rule.name,
                        f"{_describe(value)} but {_describe(current.value)} applies",
                    )
                    overridden.setdefault(key, []).append(t)
            if rule.do.extra_load is not None:
                extra[t] += rule.do.extra_load.kw
        if rule.do.reach is not None:
            targets.extend(_reach_targets(rule, env, local, mask))

    conflicts = [
        Conflict(
            family,
            winner,
            loser,
            tuple(ts),
            f"{family}: {loser!r} wanted {detail} (kept {winner!r})",
        )
        for (family, winner, loser, detail), ts in overridden.items()
    ]
    conflicts.extend(_clip_floor_above_ceiling(slots, rules))
    return RuleEffects(
        **{name: slots[name] for name in _FAMILIES},  # type: ignore[arg-type]
        extra_load_kw=extra,
        targets=targets,
        fired=fired,
        conflicts=conflicts,
        notes=_unique(notes),
    )


def _action_values(rule: Rule) -> dict[str, object]:
    do = rule.do
    values: dict[str, object] = {}
    if do.min_reserve is not None:
        m = do.min_reserve
        values["min_reserve"] = SoftFloor(m.percent, m.hard, m.penalty_p_per_kwh)
    if do.max_soc_percent is not None:
        values["max_soc_percent"] = do.max_soc_percent
    if do.no_export is not None:
        values["no_export"] = do.no_export
    if do.no_grid_charge:
        values["no_grid_charge"] = True
    if do.hold:
        values["hold"] = True
    if do.force_mode is not None:
        values["force_mode"] = do.force_mode
    if do.scale_load is not None:
        values["scale_load"] = do.scale_load
    if do.export_bonus_p_per_kwh is not None:
        values["export_bonus"] = do.export_bonus_p_per_kwh
    return values


def _holds(
    when: When,
    env: RuleEnvironment,
    t: int,
    local: datetime,
    daily: dict[date, tuple[float, float, bool]],
    notes: list[str],
    rule: str,
) -> bool:
    """Whether all of a rule's conditions hold in slot ``t``."""
    if when.time is not None and not when.time.contains(local.time()):
        return False
    if when.days is not None and local.weekday() not in {d.index for d in when.days}:
        return False
    if when.dates is not None and local.date() not in when.dates:
        return False
    if when.between is not None and not when.between.start <= local.date() <= when.between.end:
        return False
    if when.context is not None:
        for key, wanted in when.context.items():
            if key not in env.context:
                notes.append(f"rule {rule!r}: context {key!r} is not set; condition false")
                return False
            if env.context[key] != wanted:
                return False
            expires = env.context_expires.get(key)
            if expires is not None and local >= expires:
                return False
    if when.price is not None:
        p = when.price
        if p.import_price is not None and not p.import_price.holds(env.import_price[t]):
            return False
        if p.export_price is not None and not p.export_price.holds(env.export_price[t]):
            return False
    if when.forecast is not None and not _forecast_holds(when, local.date(), daily, notes, rule):
        return False
    if when.soc_percent is not None:
        if env.soc_app_percent is None:
            notes.append(f"rule {rule!r}: state of charge unknown; condition false")
            return False
        if not when.soc_percent.holds(env.soc_app_percent):
            return False
    if when.grid is not None:
        return (when.grid == "up") == env.grid_up
    return True


def _forecast_holds(
    when: When,
    day: date,
    daily: dict[date, tuple[float, float, bool]],
    notes: list[str],
    rule: str,
) -> bool:
    f = when.forecast
    assert f is not None
    checks = (
        (f.solar_today_kwh, day, 1, "solar today"),
        (f.solar_tomorrow_kwh, day + timedelta(days=1), 1, "solar tomorrow"),
        (f.load_today_kwh, day, 0, "load today"),
    )
    for threshold, which, column, label in checks:
        if threshold is None:
            continue
        totals = daily.get(which)
        if totals is None:
            notes.append(f"rule {rule!r}: no forecast for {which} ({label}); condition false")
            return False
        if not totals[2]:
            notes.append(
                f"rule {rule!r}: the forecast covers only part of {which} ({label}); "
                "using the part it covers"
            )
        if not threshold.holds(totals[column]):
            return False
    return True


def _daily_totals(
    env: RuleEnvironment, local: list[datetime]
) -> dict[date, tuple[float, float, bool]]:
    """Forecast (load kWh, solar kWh, whole day covered?) per local day in the horizon."""
    hours = env.grid.hours
    totals: dict[date, list[float]] = {}
    for t, when in enumerate(local):
        row = totals.setdefault(when.date(), [0.0, 0.0, 0.0])
        row[0] += env.load_kw[t] * hours
        row[1] += env.solar_kw[t] * hours
        row[2] += hours
    out = {}
    for day, (load, solar, covered_h) in totals.items():
        start = datetime.combine(day, datetime.min.time(), env.timezone)
        day_h = (start + timedelta(days=1)).astimezone(env.timezone)
        length_h = (day_h.timestamp() - start.timestamp()) / 3600
        out[day] = (load, solar, covered_h >= length_h - 1e-9)
    return out


def _reach_targets(
    rule: Rule, env: RuleEnvironment, local: list[datetime], mask: list[bool]
) -> list[Target]:
    """One target per slot that ends at the rule's ``by`` time and where the rule holds."""
    reach = rule.do.reach
    assert reach is not None
    step = env.grid.step
    out = []
    for t, start in enumerate(local):
        end_local = (start + step).astimezone(env.timezone)
        if end_local.time() == reach.by and mask[t]:
            out.append(Target(t, reach.percent, reach.penalty_p_per_kwh, rule.name))
    return out


def _clip_floor_above_ceiling(slots: dict[str, list], rules: RulesFile) -> list[Conflict]:
    """Where a floor exceeds a ceiling, keep the higher-ranked rule's value and clip the other."""
    rank = {rule.name: i for i, rule in enumerate(rules.ordered())}
    clipped: dict[tuple[str, str, str, str], list[int]] = {}
    floors, ceilings = slots["min_reserve"], slots["max_soc_percent"]
    for t, (floor, ceiling) in enumerate(zip(floors, ceilings, strict=True)):
        if floor is None or ceiling is None or floor.value.percent <= ceiling.value:
            continue
        if rank[floor.rule] < rank[ceiling.rule]:
            ceilings[t] = SlotValue(floor.value.percent, ceiling.rule)
            what = (
                f"at most {ceiling.value:g}%, clipped to {floor.value.percent:g}% for "
                f"{floor.rule!r}"
            )
            key = ("max_soc_percent", floor.rule, ceiling.rule, what)
        else:
            floor_value = floor.value
            floors[t] = SlotValue(
                SoftFloor(ceiling.value, floor_value.hard, floor_value.penalty_p_per_kwh),
                floor.rule,
            )
            what = (
                f"a floor of {floor_value.percent:g}%, clipped to {ceiling.value:g}% for "
                f"{ceiling.rule!r}"
            )
            key = ("min_reserve", ceiling.rule, floor.rule, what)
        clipped.setdefault(key, []).append(t)
    return [
        Conflict(
            family,
            winner,
            loser,
            tuple(ts),
            f"reserve floor above maximum state of charge: {loser!r} wanted {what} "
            f"(kept {winner!r})",
        )
        for (family, winner, loser, what), ts in clipped.items()
    ]


def _describe(value: object) -> str:
    """A value as users wrote it: ``30% (soft, 60 p/kWh)``, ``backup``, ``True``."""
    if isinstance(value, SoftFloor):
        kind = "hard" if value.hard else f"soft, {value.penalty_p_per_kwh:g} p/kWh"
        return f"{value.percent:g}% ({kind})"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
