"""What the scarce policy's writes are worth in pounds, with the plan. Pure.

Every candidate write is valued by stepping the shared Powerwall model
(:func:`optimiser.domain.powerwall.step_through`) through the plan's forecast load and solar
under the settings the device would hold, priced at the plan's prices:

- **the day's writes** (:class:`WriteSchedule`): the writes left today outside the safety
  reserve go to the plan's span starts where they save most together. Every set of at most
  ``left`` switch points among the spans due from now to the end of the budget's UTC day
  (each switch: the span's settings, :func:`~optimiser.control.scarce.scarce_settings`) is
  stepped from now to :data:`SETTLE_HOURS` past the day's end; the cheapest wins, ties to fewer
  writes (sets of up to :data:`EXHAUSTIVE_WRITES` switches exhaustively, then one switch
  added at a time while it saves at least :data:`WRITE_MIN_GBP`). The write due now is sent
  only when the winner writes now — also when writes are plentiful: a write that saves
  nothing is not sent.
- **the month's tariff** (:func:`tariff_value_gbp`): time-based control at the floor under
  the candidate against the tariff the device holds, over the plan's horizon.

Energy left in the battery at the end of a window is worth the cheapest import of the next
12 hours it saves (after the discharge loss), against the plan's own stored energy then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import combinations

import numpy as np

from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import differences
from optimiser.control.policy import ControlPolicy
from optimiser.control.scarce import scarce_settings
from optimiser.control.spans import ActionSpan
from optimiser.domain.device import ExportRule, OperationMode, Settings, UploadedTariff
from optimiser.domain.powerwall import PowerwallSpec, PowerwallState, step_through
from optimiser.planner.inputs import Battery
from optimiser.planner.result import Plan

SETTLE_HOURS = 12.0
"""How far past the budget's day a write schedule is stepped (tonight's charge, tomorrow's
morning). [h]"""

TARIFF_VALUE_MIN_GBP = 0.01
"""A tariff upload must be worth at least this over the plan's horizon. [£]"""

WRITE_MIN_GBP = 0.001
"""A write added beyond the exhaustive search must save at least this. [£]"""

EXHAUSTIVE_WRITES = 2
"""Sets of up to this many switches are searched exhaustively. [-]"""

MAX_CANDIDATES = 12
"""Span starts considered for the day's writes (the nearest first). [-]"""


def model_spec(
    battery: Battery, capabilities: Capabilities, export_limit_kw: float
) -> PowerwallSpec:
    """The shared model's Powerwall for the planner's ``battery`` (reserve charging at the
    backend's grid charge rate)."""
    return PowerwallSpec(
        capacity_kwh=battery.capacity_kwh,
        max_charge_kw=battery.max_charge_kw,
        max_discharge_kw=battery.max_discharge_kw,
        charge_efficiency=battery.charge_efficiency,
        discharge_efficiency=battery.discharge_efficiency,
        reserve_charge_kw_per_unit=capabilities.max_grid_charge_kw,
        export_limit_kw=export_limit_kw,
    )


def _epoch(plan: Plan) -> np.ndarray:
    grid = plan.grid
    return grid.start.timestamp() + np.arange(grid.count) * grid.minutes * 60.0


def _cost_gbp(
    plan: Plan,
    spec: PowerwallSpec,
    soe_kwh: float,
    settings: Sequence[Settings],
    first: int,
    end: int,
) -> float:
    """Cost of slots ``[first, end)`` under ``settings`` (one per slot) from ``soe_kwh``,
    less the stored energy left above the plan's then (priced as the module says). [£]"""
    hours = plan.grid.hours
    flows = step_through(
        spec,
        PowerwallState(soe_kwh=soe_kwh),
        list(settings),
        load_kw=np.asarray(plan.load_kwh[first:end], dtype=float) / hours,
        solar_kw=np.asarray(plan.solar_kwh[first:end], dtype=float) / hours,
        dt_h=hours,
        epoch_s=_epoch(plan)[first:end],
    )
    kwh = flows.grid_kw * hours
    imp = np.asarray(plan.import_price[first:end], dtype=float)
    exp = np.asarray(plan.export_price[first:end], dtype=float)
    pence = float(np.where(kwh > 0, kwh * imp, kwh * exp).sum())
    after = np.asarray(plan.import_price[end : end + 24], dtype=float)
    worth = float(after.min() if after.size else imp[-1]) * spec.discharge_efficiency
    planned = float(plan.soe_kwh[end - 1])
    return (pence - (flows.end.soe_kwh - planned) * worth) / 100.0


@dataclass(frozen=True)
class WriteSchedule:
    """The day's candidate writes for the scarce policy, searched when a write is short.

    Attributes
    ----------
    switches : tuple of (int, Settings)
        The candidate switch points: (plan slot, settings from then), the due span's first.
    value_gbp : float
        What following the plan's span due now saves over keeping the device as it is, with
        every later write as the search places it. [£]
    """

    plan: Plan
    spec: PowerwallSpec
    soe_kwh: float
    first: int
    end: int
    device: Settings
    capabilities: Capabilities
    switches: tuple[tuple[int, Settings], ...]
    value_gbp: float = 0.0

    def keep(self, commands: int, left: int) -> int:
        """Commands of ``left`` to keep back: all of them (the write due now waits) unless
        the best schedule of at most ``left`` writes writes now."""
        if commands <= 0:
            return 0
        best = self.best(left)
        return 0 if 0 in best else left

    def best(self, left: int) -> frozenset[int]:
        """The switches (indices into :attr:`switches`) that cost least within ``left`` writes:
        every set of up to :data:`EXHAUSTIVE_WRITES` (ties: fewer writes), then the best
        single addition while one saves at least :data:`WRITE_MIN_GBP` and fits."""
        n = len(self.switches)
        best: tuple[float, int, frozenset[int]] | None = None
        for k in range(0, min(left, n, EXHAUSTIVE_WRITES) + 1):
            for chosen in combinations(range(n), k):
                option = self._option(frozenset(chosen), left)
                if option is not None and (best is None or option[:2] < best[:2]):
                    best = option
        if best is None:
            return frozenset()
        while True:
            extra = [self._option(best[2] | {i}, left) for i in range(n) if i not in best[2]]
            better = [o for o in extra if o is not None and o[0] < best[0] - WRITE_MIN_GBP]
            if not better:
                return best[2]
            best = min(better, key=lambda o: o[:2])

    def _option(
        self, chosen: frozenset[int], left: int
    ) -> tuple[float, int, frozenset[int]] | None:
        picked = [self.switches[i] for i in sorted(chosen)]
        writes = self._writes(picked)
        if writes > left:
            return None
        return round(self._cost(picked), 4), writes, chosen

    def _writes(self, picked: Sequence[tuple[int, Settings]]) -> int:
        held, total = self.device, 0
        for _, settings in picked:
            changes, _ = differences(held, settings, self.capabilities)
            total += len(changes)
            held = settings
        return total

    def _cost(self, picked: Sequence[tuple[int, Settings]]) -> float:
        timeline = [self.device] * (self.end - self.first)
        for slot, settings in picked:
            timeline[slot - self.first :] = [settings] * (self.end - slot)
        return _cost_gbp(self.plan, self.spec, self.soe_kwh, timeline, self.first, self.end)


def write_schedule(
    plan: Plan,
    spans: Sequence[ActionSpan],
    due: ActionSpan,
    now: datetime,
    *,
    device: Settings,
    target: Settings,
    battery: Battery,
    policy: ControlPolicy,
    capabilities: Capabilities,
    uploaded: UploadedTariff,
    export_limit_kw: float,
) -> WriteSchedule:
    """The day's candidate writes from ``now`` (``target``: the due span's settings; the later
    spans' from :func:`~optimiser.control.scarce.scarce_settings` at their starts, stored
    energy from the plan). Pure; the search runs in :meth:`WriteSchedule.keep`."""
    grid = plan.grid
    first = grid.index_of(now) if grid.start <= now < grid.end else 0
    day_end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    stop = day_end + timedelta(hours=SETTLE_HOURS)
    end = min(grid.count, max(first + 1, round((stop - grid.start) / grid.step)))
    spec = model_spec(battery, capabilities, export_limit_kw)
    switches: list[tuple[int, Settings]] = [(first, replace(target, notes=()))]
    held = target
    for span in spans:
        if span.start <= due.start or span.start >= day_end:
            continue
        slot = round((span.start - grid.start) / grid.step)
        if not first < slot < end or len(switches) >= MAX_CANDIDATES:
            break
        settings = scarce_settings(
            span,
            soe_now_kwh=float(plan.soe_kwh[slot - 1]),
            policy=policy,
            capabilities=capabilities,
            uploaded=uploaded,
            now=span.start,
            current=held,
            charge_efficiency=battery.charge_efficiency,
        )
        held = settings
        switches.append((slot, replace(settings, notes=())))
    schedule = WriteSchedule(
        plan,
        spec,
        battery.soe_kwh,
        first,
        end,
        replace(device, notes=()),
        capabilities,
        tuple(switches),
    )
    keep_cost = schedule._cost(())
    now_cost = schedule._cost(switches[:1])
    return replace(schedule, value_gbp=max(keep_cost - now_cost, 0.0))


def tariff_value_gbp(
    plan: Plan,
    battery: Battery,
    candidate: UploadedTariff,
    held: UploadedTariff | None,
    *,
    policy: ControlPolicy,
    capabilities: Capabilities,
    export_limit_kw: float,
) -> float:
    """What uploading ``candidate`` instead of keeping ``held`` is worth over the plan's
    horizon, in £: time-based control at the reserve floor under each (self-powered without
    a tariff), stepped through the plan's forecasts (positive: the candidate is cheaper)."""
    spec = model_spec(battery, capabilities, export_limit_kw)
    n = plan.grid.count

    def cost(tariff: UploadedTariff | None) -> float:
        settings = Settings(
            OperationMode.AUTONOMOUS if tariff is not None else OperationMode.SELF_CONSUMPTION,
            policy.reserve_floor_app_percent,
            export_rule=ExportRule.BATTERY_OK if tariff is not None else ExportRule.PV_ONLY,
            tariff=tariff,
        )
        return _cost_gbp(plan, spec, battery.soe_kwh, [settings] * n, 0, n)

    return cost(held) - cost(candidate)
