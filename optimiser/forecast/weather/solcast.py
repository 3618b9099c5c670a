"""Solcast: AC power of a rooftop site set up in the Solcast toolkit (key from a file).

Request: ``GET {url}/rooftop_sites/{resource_id}/forecasts?format=json&hours=72`` with
``Authorization: Bearer {key}``. The answer's ``forecasts`` list holds ``pv_estimate`` [kW],
the mean over the ``period`` (ISO 8601 duration, e.g. ``PT30M``) that ends at ``period_end``
(UTC, up to 7 fractional digits). HTTP 429 means the plan's daily calls are used up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

import numpy as np

from optimiser.forecast.weather.provider import InvalidResponse, Provider, ProviderForecast

HOURS = 72
_PERIOD = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?$")
_FRACTION = re.compile(r"(\.\d{6})\d+")


def request_path(resource_id: str) -> str:
    """The URL path of the rooftop site's forecasts."""
    return f"/rooftop_sites/{resource_id}/forecasts"


def request_params() -> dict[str, str]:
    """Query parameters."""
    return {"format": "json", "hours": str(HOURS)}


def _seconds(period: object) -> float:
    match = _PERIOD.match(str(period))
    if match is None or not any(match.groups()):
        raise InvalidResponse(f"solcast: expected a period like PT30M, got {period!r}")
    hours, minutes = (int(g or 0) for g in match.groups())
    return hours * 3600.0 + minutes * 60.0


def _time(stamp: object) -> float:
    text = _FRACTION.sub(r"\1", str(stamp)).replace("Z", "+00:00")
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{stamp!r} has no time zone")
    return when.timestamp()


def parse_solcast(payload: object) -> ProviderForecast:
    """The forecast in a Solcast answer (pure)."""
    rows = payload.get("forecasts") if isinstance(payload, Mapping) else None
    if not isinstance(rows, list) or len(rows) < 2:
        raise InvalidResponse("solcast: expected a 'forecasts' list with at least 2 periods")
    try:
        ends = np.array([_time(row["period_end"]) for row in rows])
        kw = np.array([float(row["pv_estimate"]) for row in rows])
        period = _seconds(rows[0].get("period", "PT30M"))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidResponse(f"solcast: bad forecast period: {exc}") from exc
    order = np.argsort(ends)
    return ProviderForecast(
        provider=Provider.SOLCAST,
        epoch_s=ends[order] - period / 2,
        interval_s=period,
        ac_kw=np.maximum(kw[order], 0.0),
    )
