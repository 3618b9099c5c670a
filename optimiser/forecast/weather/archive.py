"""An archive of issued solar forecasts: what a provider said, and when it was known.

The replay judges a provider with it: at each decision it uses only the latest forecast issued
at or before that time (:meth:`ForecastArchive.fetch`, the weather forecaster's source). An
archive is a JSON Lines file, one issued forecast per line, either

- a provider's **answer** as it came, re-parsed on load (what ``forecast.weather.keep_answers``
  collects: ``{"issued_at": "…", "provider": "open-meteo", "answer": {…}}``), or
- **AC power** of the site's array per interval (what ``benchmarks/forecast_archive.py`` writes
  from recorded answers, or for a synthetic provider): ``{"issued_at": "…", "provider":
  "open-meteo", "start": "…", "interval_minutes": 30, "solar_kw": [...]}`` with ``start`` the
  first interval's start.

Times are ISO 8601 with an offset; ``issued_at`` is when the forecast could first be used (for
collected answers: when they were fetched).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from optimiser.domain.slots import require_aware
from optimiser.forecast.weather.parse import parse_response
from optimiser.forecast.weather.provider import Provider, ProviderForecast, WeatherUnavailable
from optimiser.forecast.weather.source import SourcedForecast

DEFAULT_MAX_AGE_H = 12.0  # an issue older than this is not used (the service's default) [h]


@dataclass(frozen=True, eq=False)
class IssuedForecast:
    """One forecast and when it was issued.

    Attributes
    ----------
    issued_s : float
        When it could first be used, Unix time. [s]
    forecast : ProviderForecast
        What it said.
    """

    issued_s: float
    forecast: ProviderForecast


class ForecastArchive:
    """Issued forecasts, oldest first; a source for
    :class:`~optimiser.forecast.weather.forecaster.WeatherForecaster`.

    Parameters
    ----------
    issues : iterable of IssuedForecast
        In any order.
    max_age_h : float
        An issue older than this at a decision is not used. [h]
    """

    def __init__(self, issues: Iterable[IssuedForecast], max_age_h: float = DEFAULT_MAX_AGE_H):
        self.issues: tuple[IssuedForecast, ...] = tuple(sorted(issues, key=lambda i: i.issued_s))
        self._issued_s = [i.issued_s for i in self.issues]
        self.max_age_s = max_age_h * 3600.0

    def __len__(self) -> int:
        return len(self.issues)

    def latest(self, now: datetime) -> IssuedForecast | None:
        """The last forecast issued at or before ``now`` (None: none yet)."""
        at = bisect.bisect_right(self._issued_s, require_aware(now, "now").timestamp())
        return self.issues[at - 1] if at else None

    def fetch(self, now: datetime) -> SourcedForecast:
        """The forecast known at ``now``; raises :class:`WeatherUnavailable` when the archive
        has none issued by then, or only one older than ``max_age_h``."""
        issue = self.latest(now)
        if issue is None:
            raise WeatherUnavailable(f"the archive has no forecast issued by {now.isoformat()}")
        age_s = now.timestamp() - issue.issued_s
        if age_s > self.max_age_s:
            raise WeatherUnavailable(
                f"the archive's last forecast before {now.isoformat()} is {age_s / 3600:.0f} h "
                f"old (more than {self.max_age_s / 3600:g} h)"
            )
        return SourcedForecast(issue.forecast)

    @classmethod
    def load(cls, path: Path, max_age_h: float = DEFAULT_MAX_AGE_H) -> ForecastArchive:
        """An archive from its JSON Lines file (see the module docstring)."""
        path = Path(path)
        issues = []
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    issues.append(issue_from_record(json.loads(line)))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ValueError(
                        f"{path}:{number}: expected an issued forecast: {exc}"
                    ) from exc
        return cls(issues, max_age_h)

    def save(self, path: Path) -> None:
        """Write the archive as AC power records (irradiance answers must be converted first:
        see :func:`power_issue`)."""
        Path(path).write_text("".join(json.dumps(r) + "\n" for r in self.records()))

    def records(self) -> Iterator[dict]:
        """The archive's JSON records (AC power)."""
        for issue in self.issues:
            yield power_record(issue)


def _time(value: object, name: str) -> float:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO 8601 time, got {value!r}")
    return require_aware(datetime.fromisoformat(value), name).timestamp()


def issue_from_record(record: dict) -> IssuedForecast:
    """One archive line, decoded, as an issued forecast."""
    issued_s = _time(record["issued_at"], "issued_at")
    provider = Provider(record["provider"])
    if "answer" in record:
        return IssuedForecast(issued_s, parse_response(provider, record["answer"]))
    start_s = _time(record["start"], "start")
    interval_s = float(record["interval_minutes"]) * 60.0
    values = np.asarray(record["solar_kw"], dtype=float)
    epoch_s = start_s + (np.arange(len(values)) + 0.5) * interval_s
    return IssuedForecast(issued_s, ProviderForecast(provider, epoch_s, interval_s, ac_kw=values))


def power_record(issue: IssuedForecast) -> dict:
    """An issued AC power forecast as an archive record."""
    f = issue.forecast
    if f.ac_kw is None:
        raise ValueError("an irradiance forecast must be turned into AC power to be saved")
    return {
        "issued_at": datetime.fromtimestamp(issue.issued_s, UTC).isoformat(),
        "provider": str(f.provider),
        "start": datetime.fromtimestamp(f.start_s, UTC).isoformat(),
        "interval_minutes": f.interval_s / 60.0,
        "solar_kw": [round(float(v), 4) for v in f.ac_kw],
    }


def power_issue(
    issued_s: float, provider: Provider, start_s: float, interval_s: float, kw: Sequence[float]
) -> IssuedForecast:
    """An issued AC power forecast from its values per interval. [kW]"""
    epoch_s = start_s + (np.arange(len(kw)) + 0.5) * interval_s
    return IssuedForecast(
        issued_s, ProviderForecast(provider, epoch_s, interval_s, ac_kw=np.asarray(kw))
    )
