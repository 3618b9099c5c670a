"""Provider forecasts for one site through the disk cache and the call scheduler (the I/O edge).

:meth:`WeatherSource.fetch` answers from the cache while it is fresh, calls the provider when
the policy allows (one call, bounded by ``forecast.weather.timeout_s``), and otherwise uses a
cached answer that is not too old; with none it raises :class:`WeatherUnavailable` saying why,
and the caller falls back to the history forecast. A failed call is remembered, so a machine
without network pays the timeout once per ``retry_minutes``, not on every plan.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from optimiser.config import SiteConfig, WeatherConfig
from optimiser.domain.slots import require_aware
from optimiser.forecast.weather import forecast_solar, open_meteo, solcast
from optimiser.forecast.weather.cache import ProviderState, WeatherCache
from optimiser.forecast.weather.http import get_json
from optimiser.forecast.weather.parse import parse_response
from optimiser.forecast.weather.provider import (
    DEFAULT_CALLS_PER_DAY,
    Provider,
    ProviderForecast,
    QuotaExhausted,
    WeatherUnavailable,
)
from optimiser.forecast.weather.scheduler import Action, CallPolicy, cache_age_s, decide

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class SourcedForecast:
    """A provider forecast and what to tell the user about it ("" when it is fresh)."""

    forecast: ProviderForecast
    note: str = ""


def read_key(path: Path, provider: Provider) -> str:
    """An API key from its file (never logged)."""
    path = Path(path).expanduser()
    try:
        key = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise WeatherUnavailable(
            f"{provider}: cannot read the key file {path}: {exc.strerror}"
        ) from exc
    if not key:
        raise WeatherUnavailable(f"{provider}: the key file {path} is empty")
    return key


class WeatherSource:
    """Forecasts of the configured provider for ``site``, remembered under ``state_dir``."""

    def __init__(self, config: WeatherConfig, site: SiteConfig, state_dir: Path) -> None:
        if config.provider == "none":
            raise ValueError("forecast.weather.provider is none: there is no weather source")
        self.config = config
        self.site = site
        self.provider = Provider(config.provider)
        self.cache = WeatherCache(Path(state_dir) / "weather")
        self.policy = CallPolicy(
            calls_per_day=config.calls_per_day or DEFAULT_CALLS_PER_DAY[self.provider],
            refresh_s=config.refresh_minutes * 60.0,
            max_age_s=config.max_age_hours * 3600.0,
            retry_s=config.retry_minutes * 60.0,
        )

    @property
    def site_key(self) -> str:
        """What a cached answer must have been fetched for."""
        s = self.site
        key = f"{s.latitude:.4f},{s.longitude:.4f}"
        if self.provider == Provider.FORECAST_SOLAR:
            key += f",{s.solar.kwp:g},{s.solar.tilt_deg:g},{s.solar.azimuth_deg:g}"
        if self.provider == Provider.SOLCAST:
            key += f",{self.config.solcast_resource_id}"
        return key

    def fetch(self, now: datetime) -> SourcedForecast:
        """The provider's forecast as known at ``now``; raises :class:`WeatherUnavailable`."""
        now_s = require_aware(now, "now").timestamp()
        state = self.cache.load(self.provider)
        decision = decide(state, now_s, self.site_key, self.policy)
        if decision.action == Action.USE_CACHE:
            return SourcedForecast(parse_response(self.provider, state.payload), decision.reason)
        if decision.action == Action.FALL_BACK:
            error = QuotaExhausted if decision.reason.startswith("quota") else WeatherUnavailable
            raise error(f"{self.provider}: {decision.reason}")
        state = state.called(now_s)
        try:
            payload = self._call()
            forecast = parse_response(self.provider, payload)
        except WeatherUnavailable as exc:
            self._store(state.failed(now_s, str(exc).removeprefix(f"{self.provider}: ")))
            age = cache_age_s(state, now_s, self.site_key)
            if age is not None and age < self.policy.max_age_s:
                note = f"{exc}; using the forecast of {age / 60:.0f} min ago"
                return SourcedForecast(parse_response(self.provider, state.payload), note)
            raise
        self._store(state.succeeded(now_s, payload, self.site_key))
        if self.config.keep_answers:
            self._keep(now, payload)
        return SourcedForecast(forecast)

    def _keep(self, now: datetime, payload: object) -> None:
        """Append the answer to the archive of issued forecasts (one JSON line)."""
        path = self.cache.directory / f"answers-{self.provider}.jsonl"
        record = {
            "issued_at": now.isoformat(),
            "provider": str(self.provider),
            "site": self.site_key,
            "answer": payload,
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
        except OSError as exc:
            log.warning("cannot keep %s's answer in %s: %s", self.provider, path, exc)

    def _store(self, state: ProviderState) -> None:
        try:
            self.cache.store(self.provider, state)
        except OSError as exc:
            log.warning(
                "cannot remember %s's forecast in %s: %s", self.provider, self.cache.directory, exc
            )

    def _call(self) -> object:
        c = self.config
        deadline = c.timeout_s
        if self.provider == Provider.OPEN_METEO:
            return get_json(
                self.provider,
                c.open_meteo_url,
                params=open_meteo.request_params(self.site),
                deadline_s=deadline,
            )
        if self.provider == Provider.FORECAST_SOLAR:
            key = None
            if c.forecast_solar_key_file is not None:
                key = read_key(c.forecast_solar_key_file, self.provider)
            url = c.forecast_solar_url.rstrip("/") + forecast_solar.request_path(self.site, key)
            return get_json(self.provider, url, deadline_s=deadline)
        assert c.solcast_key_file is not None and c.solcast_resource_id is not None  # config
        key = read_key(c.solcast_key_file, self.provider)
        return get_json(
            self.provider,
            c.solcast_url.rstrip("/") + solcast.request_path(c.solcast_resource_id),
            params=solcast.request_params(),
            headers={"Authorization": f"Bearer {key}"},
            deadline_s=deadline,
        )
