"""Tariffs as a Powerwall holds them after an upload, per local day, converted once each.

wattplan keeps the tariff doctored for export uploaded (true buy prices, peak sell = peak buy:
:func:`optimiser.control.tariff_upload.uploaded_tariff_for`); the ``time-based`` strategy uploads
it as Tesla would take it. A replay asks for the same day's document thousands of times, so
each is converted once and looked up afterwards.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from optimiser.domain.device import UploadedTariff
from tariffs import Tariff, TariffError
from tariffs.tesla import to_tesla_tariff, tou_schedule_from_content


class UploadedTariffs:
    """``tariff`` on each local day as uploaded (``doctor``: for export), cached."""

    def __init__(self, tariff: Tariff | None, tz: ZoneInfo, *, doctor: bool) -> None:
        self._tariff, self._tz, self._doctor = tariff, tz, doctor
        self._days: dict[date, UploadedTariff] = {}
        self._failures: dict[date, str] = {}

    def for_day(self, day: date) -> UploadedTariff:
        """The document uploaded on local ``day`` and how the device reads it; raises
        :class:`~tariffs.TariffError` (or ``ValueError``) when it cannot be made."""
        if day not in self._days:
            if self._tariff is None:
                raise ValueError("no tariff given to upload")
            content = to_tesla_tariff(self._tariff, day, doctor_for_export=self._doctor).content
            schedule = tou_schedule_from_content(content, str(self._tz))
            self._days[day] = UploadedTariff(content, schedule)
        return self._days[day]

    def uploaded_for(self, day: date) -> tuple[UploadedTariff | None, str | None]:
        """(The tariff kept uploaded on local ``day``, or None and why not), as
        :func:`optimiser.control.tariff_upload.uploaded_tariff_for` says it."""
        if self._tariff is None:
            return None, "no tariff given to doctor for export"
        if day in self._failures:
            return None, self._failures[day]
        try:
            return self.for_day(day), None
        except (TariffError, ValueError) as exc:
            self._failures[day] = f"cannot doctor the tariff for export: {exc}"
            return None, self._failures[day]
