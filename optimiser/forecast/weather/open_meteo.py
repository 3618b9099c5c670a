"""Open-Meteo (no key): hourly irradiance and temperature for the site's coordinates.

Request: ``GET {url}?latitude=…&longitude=…&hourly=shortwave_radiation,diffuse_radiation,
temperature_2m&timeformat=unixtime&timezone=GMT&forecast_days=3``. The answer's ``hourly.time``
holds each hour's **end** (Open-Meteo's radiation is the mean over the preceding hour), the
other ``hourly`` arrays one value per time (``null`` where unknown). An error answers
``{"error": true, "reason": "…"}`` with HTTP 400.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from optimiser.config import SiteConfig
from optimiser.forecast.weather.provider import InvalidResponse, Provider, ProviderForecast

HOURLY = ("shortwave_radiation", "diffuse_radiation", "temperature_2m")
FORECAST_DAYS = 3


def request_params(site: SiteConfig) -> dict[str, str]:
    """Query parameters for the site."""
    return {
        "latitude": f"{site.latitude:.4f}",
        "longitude": f"{site.longitude:.4f}",
        "hourly": ",".join(HOURLY),
        "timeformat": "unixtime",
        "timezone": "GMT",
        "forecast_days": str(FORECAST_DAYS),
    }


def _column(hourly: Mapping, name: str, n: int) -> np.ndarray:
    values = hourly.get(name)
    if not isinstance(values, list) or len(values) != n:
        got = "nothing" if values is None else f"{type(values).__name__}"
        if isinstance(values, list):
            got = f"{len(values)} values"
        raise InvalidResponse(f"open-meteo: expected hourly.{name} with {n} values, got {got}")
    try:
        return np.array([np.nan if v is None else float(v) for v in values])
    except (TypeError, ValueError) as exc:
        raise InvalidResponse(f"open-meteo: hourly.{name} holds a non-number: {exc}") from exc


def parse_open_meteo(payload: object) -> ProviderForecast:
    """The forecast in an Open-Meteo answer (pure)."""
    if not isinstance(payload, Mapping):
        raise InvalidResponse(f"open-meteo: expected a JSON object, got {type(payload).__name__}")
    if payload.get("error"):
        raise InvalidResponse(f"open-meteo: error answer: {payload.get('reason', 'no reason')}")
    hourly = payload.get("hourly")
    if not isinstance(hourly, Mapping) or not isinstance(hourly.get("time"), list):
        raise InvalidResponse("open-meteo: expected an 'hourly' object with a 'time' list")
    try:
        ends = np.array([float(t) for t in hourly["time"]])
    except (TypeError, ValueError) as exc:
        raise InvalidResponse(f"open-meteo: expected unix times in hourly.time: {exc}") from exc
    n = len(ends)
    ghi, dhi, temp = (_column(hourly, name, n) for name in HOURLY)
    known = np.isfinite(ghi)
    if known.sum() < 2:
        raise InvalidResponse("open-meteo: fewer than 2 hours with irradiance")
    dhi = np.where(np.isfinite(dhi), dhi, np.nan)
    interval = float(np.median(np.diff(ends))) if n > 1 else 3600.0
    return ProviderForecast(
        provider=Provider.OPEN_METEO,
        epoch_s=ends[known] - interval / 2,
        interval_s=interval,
        ghi_w_m2=np.maximum(ghi[known], 0.0),
        dhi_w_m2=dhi[known],
        temp_air_c=temp[known],
    )
