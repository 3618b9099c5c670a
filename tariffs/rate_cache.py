"""Octopus rates on disk, one file per tariff code and kind, kept as the API sent them.

``<state_dir>/octopus-cache/rates/<tariff code>.<kind>.json`` holds the window asked for, when,
and the response pages; :func:`tariffs.octopus_parse.parse_rates` reads them, as it reads a live
response. A damaged file is as good as none (it is fetched again).
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from tariffs.errors import OctopusProtocolError
from tariffs.freshness import Coverage
from tariffs.model import Rate
from tariffs.octopus_parse import parse_rates

log = logging.getLogger(__name__)
_SAFE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")


class RateKind(StrEnum):
    """The two rate endpoints of a tariff."""

    UNIT = "standard-unit-rates"
    STANDING = "standing-charges"


@dataclass(frozen=True)
class CachedRates:
    """One cached series."""

    tariff_code: str
    kind: RateKind
    period_from: datetime
    period_to: datetime
    fetched_at: datetime
    rates: tuple[Rate, ...]

    @property
    def coverage(self) -> Coverage:
        """What it holds, for :func:`tariffs.freshness.refresh_due`."""
        if not self.rates:
            known: datetime | None = self.period_from
        elif any(r.valid_to is None for r in self.rates):
            known = None
        else:
            known = max(r.valid_to for r in self.rates if r.valid_to is not None)
        return Coverage(self.period_from, self.period_to, self.fetched_at, known)


class RateCache:
    """Cached series under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, tariff_code: str, kind: RateKind) -> Path:
        """The file of a series; the code must be a plain tariff code (it names a file)."""
        if not _SAFE.fullmatch(tariff_code):
            raise OctopusProtocolError(f"expected a tariff code like E-1R-…-C, got {tariff_code!r}")
        return self.directory / f"{tariff_code}.{kind.value}.json"

    def read(self, tariff_code: str, kind: RateKind) -> CachedRates | None:
        """The cached series, or None (none, or damaged)."""
        path = self.path(tariff_code, kind)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            return CachedRates(
                tariff_code,
                kind,
                datetime.fromisoformat(entry["period_from"]),
                datetime.fromisoformat(entry["period_to"]),
                datetime.fromisoformat(entry["fetched_at"]),
                parse_rates(entry["pages"], str(path)),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, OctopusProtocolError) as exc:
            log.warning("octopus: ignoring a damaged cache file %s: %s", path, exc)
            return None

    def write(
        self,
        tariff_code: str,
        kind: RateKind,
        period: tuple[datetime, datetime],
        fetched_at: datetime,
        pages: list[Any],
    ) -> None:
        """Replace the series' file (atomically); a failure to write is logged, not raised."""
        path = self.path(tariff_code, kind)
        entry = {
            "tariff_code": tariff_code,
            "kind": kind.value,
            "period_from": period[0].isoformat(),
            "period_to": period[1].isoformat(),
            "fetched_at": fetched_at.isoformat(),
            "pages": pages,
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(entry), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("octopus: cannot write cache %s: %s", path, exc)
