"""Forecast.Solar: AC power for the configured array (key optional; public: 12 calls an hour).

Request: ``GET {url}[/{key}]/estimate/{lat}/{lon}/{tilt}/{azimuth}/{kwp}`` where the azimuth is
Forecast.Solar's (−180…180, 0 = south, −90 = east), i.e. wattplan's minus 180. The answer's
``result.watts`` maps local times (``message.info.timezone``, ``YYYY-MM-DD HH:MM:SS``) to the
power then [W]; an error has ``message.type`` ``error`` (HTTP 4xx; 429 for the rate limit).
The watts are instantaneous; each is taken as the power over an interval centred on its time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from optimiser.config import SiteConfig
from optimiser.forecast.weather.provider import InvalidResponse, Provider, ProviderForecast


def request_path(site: SiteConfig, key: str | None) -> str:
    """The URL path for the site's array (with the key when there is one)."""
    azimuth = site.solar.azimuth_deg - 180.0
    prefix = f"/{key}" if key else ""
    return (
        f"{prefix}/estimate/{site.latitude:.4f}/{site.longitude:.4f}/"
        f"{site.solar.tilt_deg:g}/{azimuth:g}/{site.solar.kwp:g}"
    )


def parse_forecast_solar(payload: object) -> ProviderForecast:
    """The forecast in a Forecast.Solar answer (pure)."""
    if not isinstance(payload, Mapping):
        raise InvalidResponse(
            f"forecast-solar: expected a JSON object, got {type(payload).__name__}"
        )
    message = payload.get("message")
    if not isinstance(message, Mapping):
        raise InvalidResponse("forecast-solar: expected a 'message' object")
    if message.get("type") != "success":
        raise InvalidResponse(f"forecast-solar: error answer: {message.get('text', 'no text')}")
    info = message.get("info")
    zone = info.get("timezone") if isinstance(info, Mapping) else None
    try:
        tz = ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidResponse(f"forecast-solar: unknown time zone {zone!r}") from exc
    result = payload.get("result")
    watts = result.get("watts") if isinstance(result, Mapping) else None
    if not isinstance(watts, Mapping) or len(watts) < 2:
        raise InvalidResponse("forecast-solar: expected result.watts with at least 2 times")
    try:
        points = sorted(
            (datetime.fromisoformat(str(stamp)).replace(tzinfo=tz).timestamp(), float(value))
            for stamp, value in watts.items()
        )
    except (TypeError, ValueError) as exc:
        raise InvalidResponse(f"forecast-solar: bad time or value in result.watts: {exc}") from exc
    epoch_s = np.array([t for t, _ in points])
    kw = np.maximum(np.array([w for _, w in points]) / 1000.0, 0.0)
    keep = np.append(True, np.diff(epoch_s) > 0)
    interval = float(np.median(np.diff(epoch_s[keep]))) if keep.sum() > 1 else 3600.0
    return ProviderForecast(
        provider=Provider.FORECAST_SOLAR,
        epoch_s=epoch_s[keep],
        interval_s=interval,
        ac_kw=kw[keep],
    )
