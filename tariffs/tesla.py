"""Any tariff as Tesla's ``tariff_content_v2`` for one local day, and back.

Tesla's rules for an uploaded tariff: at most 4 price tiers (periods ``SUPER_OFF_PEAK``,
``OFF_PEAK``, ``PARTIAL_PEAK``, ``ON_PEAK``), no negative prices, and buy ≥ sell at all times.
A real tariff can break all three (Agile has 48 prices a day, some negative; Agile Outgoing can
pay more than Agile costs), so :func:`to_tesla_tariff` distorts it as little as it can and lists
every distortion in ``report``:

1. the day's half-hourly buy prices (local wall clock) are clustered into ≤ 4 tiers by an
   optimal 1-D k-means (least squares); a tier's buy and sell are its members' means;
2. negative prices are clipped to 0;
3. with ``doctor_for_export`` the ``ON_PEAK`` sell price is raised to its buy price, because
   Tesla's optimiser only exports from the battery when the sell price matches what it expects
   to pay (DOMAIN.md §2);
4. any sell above its buy is lowered to the buy.

:func:`tou_schedule_from_content` is the inverse used by the emulators; it checks the same
rules and that every minute of the week is covered exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np

from optimiser.domain.device import TouPeriod, TouSchedule
from optimiser.domain.slots import SlotGrid
from tariffs.errors import TeslaExportError
from tariffs.model import Tariff

MAX_TIERS = 4
PERIOD_NAMES: dict[int, tuple[str, ...]] = {
    1: ("OFF_PEAK",),
    2: ("OFF_PEAK", "ON_PEAK"),
    3: ("OFF_PEAK", "PARTIAL_PEAK", "ON_PEAK"),
    4: ("SUPER_OFF_PEAK", "OFF_PEAK", "PARTIAL_PEAK", "ON_PEAK"),
}
_HALF_HOURS = 48
_TOL = 1e-6


@dataclass(frozen=True)
class TeslaTariff:
    """A ``tariff_content_v2`` document and what had to be changed to make it acceptable."""

    content: dict[str, Any]
    report: list[str] = field(default_factory=list)


def day_pattern(tariff: Tariff, day: date) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Buy and sell price of each local wall-clock half hour of ``day``. [p/kWh]

    On a clock-change day the missing (spring) or repeated (autumn) 01:00–02:00 hour cannot be
    expressed in a daily pattern; the notes say what was done.
    """
    grid = SlotGrid.local_days(day, 1, 30, tariff.tz)
    prices = tariff.prices(grid)
    buy, sell, notes = np.empty(_HALF_HOURS), np.empty(_HALF_HOURS), []
    for h in range(_HALF_HOURS):
        wall = datetime.combine(day, time(h // 2, 30 * (h % 2)), tariff.tz)
        instant = wall.astimezone(UTC)
        if instant.astimezone(tariff.tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
            # Skipped by the spring clock change: use the half hour the clock jumps to.
            instant = min(instant + timedelta(hours=1), grid.end - grid.step)
            if h % 2 == 0:
                notes.append(
                    f"{day}: local {h // 2:02d}:00–{h // 2 + 1:02d}:00 does not exist "
                    f"(clock change); given the prices of the hour after"
                )
        index = grid.index_of(instant)
        buy[h], sell[h] = prices.import_price[index], prices.export_price[index]
    if len(grid) == 50:
        notes.append(f"{day}: the repeated 01:00–02:00 hour is priced as its first occurrence")
    return buy, sell, notes


def cluster_tiers(values: np.ndarray, k: int = MAX_TIERS) -> np.ndarray:
    """Tier index (0 = cheapest) per value: optimal 1-D least-squares partition into ≤ k."""
    levels, inverse, counts = np.unique(
        np.round(values, 6), return_inverse=True, return_counts=True
    )
    n = len(levels)
    if n <= k:
        return inverse
    # cost[i][j]: weighted squared error of levels[i:j] around their weighted mean
    w, x = counts.astype(float), levels
    cw, cx, cxx = (np.concatenate(([0.0], np.cumsum(a))) for a in (w, w * x, w * x * x))

    def cost(i: int, j: int) -> float:
        sw, sx = cw[j] - cw[i], cx[j] - cx[i]
        return (cxx[j] - cxx[i]) - sx * sx / sw

    best = np.full((k + 1, n + 1), np.inf)
    cut = np.zeros((k + 1, n + 1), dtype=int)
    best[0, 0] = 0.0
    for tiers in range(1, k + 1):
        for j in range(1, n + 1):
            for i in range(tiers - 1, j):
                candidate = best[tiers - 1, i] + cost(i, j)
                if candidate < best[tiers, j]:
                    best[tiers, j], cut[tiers, j] = candidate, i
    level_tier = np.zeros(n, dtype=int)
    j = n
    for tiers in range(k, 0, -1):
        i = cut[tiers, j]
        level_tier[i:j] = tiers - 1
        j = i
    return level_tier[inverse]


def _hhmm(h: int) -> str:
    return f"{(h // 2) % 24:02d}:{30 * (h % 2):02d}"


def _runs(tier: np.ndarray) -> list[tuple[int, int, int]]:
    """(tier, first half hour, end half hour exclusive) runs; a run may wrap past midnight."""
    runs: list[tuple[int, int, int]] = []
    start = 0
    for h in range(1, _HALF_HOURS + 1):
        if h == _HALF_HOURS or tier[h] != tier[start]:
            runs.append((int(tier[start]), start, h))
            start = h
    if len(runs) > 1 and runs[0][0] == runs[-1][0]:
        last = runs.pop()
        first = runs.pop(0)
        runs.append((first[0], last[1], first[2]))  # wraps midnight
    return runs


def _period(start: int, end: int) -> dict[str, int]:
    return {
        "fromDayOfWeek": 0,
        "toDayOfWeek": 6,
        "fromHour": start // 2,
        "fromMinute": 30 * (start % 2),
        "toHour": (end // 2) % 24,
        "toMinute": 30 * (end % 2),
    }


def _document(name: str, periods: dict[str, list[dict[str, int]]], prices: dict[str, float]):
    return {
        "version": 1,
        "utility": "Octopus",
        "name": name,
        "daily_charges": [{"name": "Charge"}],
        "demand_charges": {"ALL": {"rates": {"ALL": 0}}, "Summer": {}, "Winter": {}},
        "energy_charges": {"ALL": {"rates": {"ALL": 0}}, "Summer": {"rates": prices}, "Winter": {}},
        "seasons": {
            "Summer": {
                "fromMonth": 1,
                "fromDay": 1,
                "toMonth": 12,
                "toDay": 31,
                "tou_periods": {name: {"periods": p} for name, p in periods.items()},
            },
            "Winter": {"fromMonth": 0, "fromDay": 0, "toMonth": 0, "toDay": 0, "tou_periods": {}},
        },
    }


def to_tesla_tariff(tariff: Tariff, day: date, *, doctor_for_export: bool = False) -> TeslaTariff:
    """The tariff's prices on local ``day`` as ``tariff_content_v2`` (prices in £/kWh)."""
    buy, sell, report = day_pattern(tariff, day)
    tier = cluster_tiers(buy)
    count = int(tier.max()) + 1
    names = PERIOD_NAMES[count]
    tier_buy = np.array([buy[tier == t].mean() for t in range(count)])
    tier_sell = np.array([sell[tier == t].mean() for t in range(count)])

    # Every half hour whose price moved, merged into runs of identical changes.
    changes = [
        (
            round(buy[h], 4),
            round(sell[h], 4),
            round(tier_buy[tier[h]], 4),
            round(tier_sell[tier[h]], 4),
        )
        for h in range(_HALF_HOURS)
    ]
    h = 0
    while h < _HALF_HOURS:
        end = h + 1
        while end < _HALF_HOURS and changes[end] == changes[h]:
            end += 1
        b, s, nb, ns = changes[h]
        if abs(b - nb) > _TOL or abs(s - ns) > _TOL:
            report.append(
                f"{_hhmm(h)}–{_hhmm(end)} tiered into {names[tier[h]]}: buy {b:.2f}p → {nb:.2f}p, "
                f"sell {s:.2f}p → {ns:.2f}p"
            )
        h = end

    for t, name in enumerate(names):
        if tier_buy[t] < 0:
            report.append(f"{name}: negative buy {tier_buy[t]:.2f}p clipped to 0")
            tier_buy[t] = 0.0
        if tier_sell[t] < 0:
            report.append(f"{name}: negative sell {tier_sell[t]:.2f}p clipped to 0")
            tier_sell[t] = 0.0
    if doctor_for_export:
        top = count - 1
        report.append(
            f"doctored for export: {names[top]} sell {tier_sell[top]:.2f}p → "
            f"{tier_buy[top]:.2f}p (= buy) so Tesla's optimiser exports at peak"
        )
        tier_sell[top] = tier_buy[top]
    for t, name in enumerate(names):
        if tier_sell[t] > tier_buy[t] + _TOL:
            report.append(
                f"{name}: sell {tier_sell[t]:.2f}p above buy {tier_buy[t]:.2f}p lowered to the buy"
            )
            tier_sell[t] = tier_buy[t]

    periods: dict[str, list[dict[str, int]]] = {name: [] for name in names}
    for t, start, end in _runs(tier):
        periods[names[t]].append(_period(start, end))
    buy_gbp = {n: round(float(tier_buy[t]) / 100, 4) for t, n in enumerate(names)}
    sell_gbp = {n: round(float(tier_sell[t]) / 100, 4) for t, n in enumerate(names)}
    content = _document(tariff.name, periods, buy_gbp)
    content["sell_tariff"] = _document(tariff.name, periods, sell_gbp)
    return TeslaTariff(content, report)


def _get(doc: Any, path: str) -> Any:
    value = doc
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            raise TeslaExportError(f"tariff_content_v2: expected key {path!r}, missing {key!r}")
        value = value[key]
    return value


def _rates(charges: Any) -> dict[str, Any]:
    """A season's prices, written ``{"rates": {...}}`` (Tesla's form) or flat."""
    if isinstance(charges, dict) and isinstance(charges.get("rates"), dict):
        return charges["rates"]
    if not isinstance(charges, dict):
        raise TeslaExportError(f"tariff_content_v2: expected a mapping of rates, got {charges!r}")
    return charges


def tou_schedule_from_content(
    content: dict[str, Any], timezone: str = "Europe/London"
) -> TouSchedule:
    """The daily schedule a Powerwall follows after ``content`` is uploaded.

    Raises :class:`TeslaExportError` unless the document obeys Tesla's rules (≤ 4 tiers, no
    negative price, buy ≥ sell) and its periods cover every minute of the week exactly once.
    """
    seasons = _get(content, "seasons")
    used = [name for name, s in seasons.items() if isinstance(s, dict) and s.get("tou_periods")]
    if len(used) != 1:
        raise TeslaExportError(
            f"tariff_content_v2: expected exactly one season with tou_periods, got {used}"
        )
    season = used[0]
    periods = _get(content, f"seasons.{season}.tou_periods")
    buys = _rates(_get(content, f"energy_charges.{season}"))
    sells = _rates(_get(content, f"sell_tariff.energy_charges.{season}"))
    if len(periods) > MAX_TIERS:
        raise TeslaExportError(f"tariff_content_v2: {len(periods)} tiers, at most {MAX_TIERS}")
    week = np.zeros((7, 1440), dtype=int)
    out: list[TouPeriod] = []
    for name, spec in periods.items():
        entries = spec.get("periods", []) if isinstance(spec, dict) else spec
        if name not in buys or name not in sells:
            raise TeslaExportError(f"tariff_content_v2: no buy or sell price for period {name!r}")
        buy, sell = float(buys[name]) * 100, float(sells[name]) * 100
        if buy < 0 or sell < 0:
            raise TeslaExportError(f"tariff_content_v2: {name} has a negative price")
        if sell > buy + _TOL:
            raise TeslaExportError(f"tariff_content_v2: {name} sell {sell}p above buy {buy}p")
        for entry in entries:
            # Tesla omits zero fields: a missing fromMinute is 0, a missing fromDayOfWeek is 0.
            start = int(entry.get("fromHour", 0)) * 60 + int(entry.get("fromMinute", 0))
            end = (int(entry.get("toHour", 0)) * 60 + int(entry.get("toMinute", 0))) % 1440
            days = range(int(entry.get("fromDayOfWeek", 0)), int(entry.get("toDayOfWeek", 6)) + 1)
            if list(days) != list(range(7)):
                raise TeslaExportError(
                    f"tariff_content_v2: {name} covers days {list(days)}; only whole-week "
                    f"periods are supported"
                )
            minutes = np.arange(1440)
            mask = (
                (minutes >= start) & (minutes < end)
                if start < end
                else ((minutes >= start) | (minutes < end))
            )
            week[:, mask] += 1
            out.append(TouPeriod(name, start, end, buy, sell))
    bad = np.argwhere(week != 1)
    if len(bad):
        day, minute = (int(v) for v in bad[0])
        raise TeslaExportError(
            f"tariff_content_v2: day {day} {minute // 60:02d}:{minute % 60:02d} is covered by "
            f"{week[day, minute]} periods, expected exactly 1"
        )
    return TouSchedule(tuple(out), timezone)
