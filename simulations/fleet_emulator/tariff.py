"""Read an uploaded ``tariff_content_v2`` into the model's :class:`TouSchedule`.

Uses ``tariffs.tesla.tou_schedule_from_content`` when the tariffs package provides it; until
then a minimal local reader of the same shape: the season covering today's month (else the
first), its ``tou_periods`` (``fromHour``/``fromMinute``/``toHour``/``toMinute``), buy prices
from ``energy_charges[season].rates`` and sell prices from
``sell_tariff.energy_charges[season].rates``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from simulations.powerwall import TouPeriod, TouSchedule


class TariffContentError(ValueError):
    """The uploaded tariff cannot be read."""


def tou_schedule(content: dict[str, Any], today: datetime | None = None) -> TouSchedule:
    """The daily schedule the device would follow after uploading ``content``."""
    try:
        from tariffs.tesla import tou_schedule_from_content  # type: ignore[import-not-found]
    except ImportError:
        return _local_reader(content, today)
    return tou_schedule_from_content(content)


def _local_reader(content: dict[str, Any], today: datetime | None) -> TouSchedule:
    try:
        seasons = content["seasons"]
        name = _season_for(seasons, today)
        buy_rates = content["energy_charges"][name]["rates"]
        sell_rates = content.get("sell_tariff", {}).get("energy_charges", {}).get(name, {})
        sell_rates = sell_rates.get("rates", {})
        periods = []
        for period_name, spec in seasons[name]["tou_periods"].items():
            blocks = spec["periods"] if isinstance(spec, dict) else spec
            for block in blocks:
                start = int(block.get("fromHour", 0)) * 60 + int(block.get("fromMinute", 0))
                end = int(block.get("toHour", 0)) * 60 + int(block.get("toMinute", 0))
                periods.append(
                    TouPeriod(
                        name=period_name,
                        start_minute=start % 1440,
                        end_minute=end % 1440,
                        buy=float(buy_rates[period_name]),
                        sell=float(sell_rates.get(period_name, 0.0)),
                    )
                )
        return TouSchedule(tuple(periods))
    except (KeyError, TypeError, ValueError) as exc:
        raise TariffContentError(f"cannot read tariff_content_v2: {exc!r}") from exc


def _season_for(seasons: dict[str, Any], today: datetime | None) -> str:
    names = [n for n, s in seasons.items() if s and s.get("tou_periods")]
    if not names:
        raise TariffContentError("tariff_content_v2 has no season with tou_periods")
    if today is not None:
        for name in names:
            season = seasons[name]
            lo, hi = int(season.get("fromMonth", 1)), int(season.get("toMonth", 12))
            if lo <= today.month <= hi or (lo > hi and (today.month >= lo or today.month <= hi)):
                return name
    return names[0]
