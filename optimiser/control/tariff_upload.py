"""The tariff wattplan keeps uploaded for time-based control (export and fast charging).

It is the user's tariff doctored for export (``tariffs.tesla.to_tesla_tariff(...,
doctor_for_export=True)``): true buy prices, so its cheapest period is the true one (where
time-based control charges at full power), and peak sell = peak buy, so the device exports at
peak. One document serves both, so it is uploaded once and then left alone (for a fixed-price
tariff; Tesla rations tariff changes).
"""

from __future__ import annotations

from datetime import date

from optimiser.domain.device import UploadedTariff
from tariffs import Tariff, TariffError
from tariffs.tesla import to_tesla_tariff, tou_schedule_from_content


def uploaded_tariff_for(
    tariff: Tariff | None, day: date, timezone: str
) -> tuple[UploadedTariff | None, str | None]:
    """(The tariff kept uploaded on local ``day`` in ``timezone``, or None and why not)."""
    if tariff is None:
        return None, "no tariff given to doctor for export"
    try:
        content = dict(to_tesla_tariff(tariff, day, doctor_for_export=True).content)
    except (TariffError, ValueError) as exc:
        return None, f"cannot doctor the tariff for export: {exc}"
    try:
        return UploadedTariff(content, tou_schedule_from_content(content, timezone)), None
    except (TariffError, ValueError) as exc:
        return None, f"cannot read the doctored tariff back: {exc}"
