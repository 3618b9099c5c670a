"""An Octopus account: its electricity meter points and their agreements over time.

Pure. :func:`parse_account` reads the payload of ``GET /v1/accounts/{number}/``, live or as
saved by ``wattplan octopus login`` (:func:`saved_payload` keeps only what planning needs: no
address), so both go through one parser; a missing or mistyped field is an
:class:`~tariffs.errors.OctopusProtocolError` naming it. The fields read::

    {"number": "A-1234ABCD",
     "properties": [{"moved_in_at": "…", "moved_out_at": null,
                     "electricity_meter_points": [{"mpan": "…", "is_export": false,
                         "agreements": [{"tariff_code": "E-1R-AGILE-24-10-01-C",
                                         "valid_from": "2024-12-01T00:00:00Z",
                                         "valid_to": null}]}]}]}

Only the current property (``moved_out_at`` null) counts; it must have one import meter point
and at most one export meter point.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tariffs.errors import OctopusAccountError, OctopusProtocolError
from tariffs.model import Agreement, Direction
from tariffs.octopus_parse import parse_time, require_field
from tariffs.regions import REGIONS

_ACCOUNT_NUMBER = re.compile(r"A-[0-9A-Z]{4,16}")
_TARIFF_CODE = re.compile(r"E-(\d)R-([A-Z0-9]+(?:-[A-Z0-9]+)*)-([A-Z])")


def normalise_account_number(text: str) -> str:
    """``" a-1234abcd "`` → ``"A-1234ABCD"``; the text is never echoed (it may be a key)."""
    number = text.strip().upper()
    if not _ACCOUNT_NUMBER.fullmatch(number):
        looks_like_key = text.strip().startswith("sk_")
        raise OctopusAccountError(
            "expected an Octopus account number like A-1234ABCD, got "
            + ("what looks like an API key" if looks_like_key else f"{len(text)} other characters"),
            hint="the account number is on your bill and at the top of the Octopus dashboard",
        )
    return number


@dataclass(frozen=True, slots=True)
class TariffCode:
    """``E-1R-AGILE-24-10-01-C`` split: registers 1, product ``AGILE-24-10-01``, region ``C``."""

    code: str
    registers: int
    product: str
    region: str

    def require_single_register(self) -> TariffCode:
        """This code, when it prices one register; two-register (Economy 7) codes are refused."""
        if self.registers != 1:
            raise OctopusAccountError(
                f"{self.code}: a {self.registers}-register (Economy 7 style) tariff; wattplan "
                "prices single-register tariffs only"
            )
        return self


def parse_tariff_code(code: str, where: str = "tariff code") -> TariffCode:
    """An electricity tariff code ``E-<n>R-<PRODUCT>-<REGION>``."""
    match = _TARIFF_CODE.fullmatch(code)
    if match is None:
        raise OctopusProtocolError(
            f"{where}: expected a tariff code like E-1R-AGILE-24-10-01-C, got {code!r}"
        )
    registers, product, region = match.groups()
    if region not in REGIONS:
        raise OctopusProtocolError(f"{where}: {code!r} ends in {region!r}, not a region letter")
    return TariffCode(code, int(registers), product, region)


@dataclass(frozen=True, slots=True)
class MeterPoint:
    """An electricity meter point and its agreements, oldest first."""

    mpan: str
    direction: Direction
    agreements: tuple[Agreement, ...]


@dataclass(frozen=True, slots=True)
class Account:
    """The current property's electricity meter points (one import, at most one export)."""

    number: str
    meter_points: tuple[MeterPoint, ...]

    def meter_point(self, direction: Direction) -> MeterPoint | None:
        """The meter point of ``direction``, or None (no export meter point)."""
        return next((m for m in self.meter_points if m.direction is direction), None)

    @property
    def agreements(self) -> tuple[Agreement, ...]:
        """Every agreement, import and export, oldest first."""
        return tuple(
            sorted((a for m in self.meter_points for a in m.agreements), key=_agreement_order)
        )

    def region(self, when: datetime) -> str:
        """Region letter of the import agreement in force at ``when`` (else the latest)."""
        imports = [a for a in self.agreements if a.direction is Direction.IMPORT]
        current = next((a for a in imports if a.covers(when)), imports[-1])
        return parse_tariff_code(current.tariff_code).region


def _agreement_order(agreement: Agreement) -> tuple[datetime, str]:
    return agreement.valid_from, agreement.direction.value


def parse_account(payload: Any, endpoint: str = "account") -> Account:
    """The account's current electricity meter points from an account payload."""
    number = require_field(payload, "number", endpoint, str)
    properties = require_field(payload, "properties", endpoint, list)
    current = [
        p
        for p in properties
        if require_field(p, "moved_out_at", endpoint, (str, type(None))) is None
    ]
    if not current:
        raise OctopusAccountError(
            f"account {number}: every property has moved_out_at set; no current property"
        )
    points: list[MeterPoint] = []
    for prop in current:
        for raw in require_field(prop, "electricity_meter_points", endpoint, list):
            points.append(_meter_point(raw, f"{endpoint}: electricity_meter_points"))
    for direction in Direction:
        mine = [p for p in points if p.direction is direction]
        if len(mine) > 1:
            raise OctopusAccountError(
                f"account {number} has {len(mine)} {direction} meter points "
                f"({', '.join(p.mpan for p in mine)}); wattplan plans one house with one of each"
            )
    importer = next((p for p in points if p.direction is Direction.IMPORT), None)
    if importer is None or not importer.agreements:
        raise OctopusAccountError(
            f"account {number}: expected an electricity import meter point with an agreement, "
            f"got {'none' if importer is None else 'one with no agreement'}"
        )
    return Account(number, tuple(points))


def _meter_point(raw: Any, endpoint: str) -> MeterPoint:
    mpan = require_field(raw, "mpan", endpoint, str)
    is_export = require_field(raw, "is_export", endpoint, bool)
    direction = Direction.EXPORT if is_export else Direction.IMPORT
    where = f"{endpoint} {mpan}: agreements"
    agreements = []
    for row in require_field(raw, "agreements", endpoint, list):
        code = require_field(row, "tariff_code", where, str)
        parse_tariff_code(code, where)
        start = parse_time(require_field(row, "valid_from", where, str), where, "valid_from")
        end_text = require_field(row, "valid_to", where, (str, type(None)))
        end = parse_time(end_text, where, "valid_to") if end_text is not None else None
        if end is not None and end <= start:
            raise OctopusProtocolError(
                f"{where}: {code} valid_to {end_text} is not after valid_from"
            )
        utc_end = None if end is None else end.astimezone(UTC)
        agreements.append(Agreement(direction, code, start.astimezone(UTC), utc_end))
    agreements.sort(key=lambda a: a.valid_from)
    return MeterPoint(mpan, direction, tuple(agreements))


def saved_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What of an account payload to keep on disk: numbers, meter points, agreements.

    Call it on a payload :func:`parse_account` accepted; the result parses to the same account.
    """
    return {
        "number": payload["number"],
        "properties": [
            {
                "moved_out_at": prop["moved_out_at"],
                "electricity_meter_points": [
                    {
                        "mpan": point["mpan"],
                        "is_export": point["is_export"],
                        "agreements": [
                            {k: row[k] for k in ("tariff_code", "valid_from", "valid_to")}
                            for row in point["agreements"]
                        ],
                    }
                    for point in prop["electricity_meter_points"]
                ],
            }
            for prop in payload["properties"]
            if prop["moved_out_at"] is None
        ],
    }
