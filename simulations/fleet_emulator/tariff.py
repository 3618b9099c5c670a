"""Read an uploaded ``tariff_content_v2`` into the model's :class:`TouSchedule`.

One reader for the whole project: :func:`tariffs.tesla.tou_schedule_from_content`, which also
enforces Tesla's rules (≤ 4 tiers, no negative price, buy ≥ sell, every minute covered once).
"""

from __future__ import annotations

from typing import Any

from optimiser.domain.device import TouSchedule
from tariffs.errors import TariffError
from tariffs.tesla import tou_schedule_from_content


class TariffContentError(ValueError):
    """The uploaded tariff cannot be read."""


def tou_schedule(content: dict[str, Any]) -> TouSchedule:
    """The daily schedule the device would follow after uploading ``content``."""
    try:
        return tou_schedule_from_content(content)
    except (TariffError, KeyError, TypeError, ValueError) as exc:
        raise TariffContentError(str(exc)) from exc
