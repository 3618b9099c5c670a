"""Pure parsers for Octopus Energy REST payloads, shared by live fetches and saved responses.

Payload models tolerate unknown fields (the API adds them) but a missing required field is an
:class:`~tariffs.errors.OctopusProtocolError` naming the endpoint and the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tariffs.errors import OctopusProtocolError, UnknownRegion
from tariffs.model import Rate
from tariffs.regions import REGIONS

# Which row to keep when a period is listed once per payment method.
_PAYMENT_PREFERENCE = {"DIRECT_DEBIT": 0, None: 1, "NON_DIRECT_DEBIT": 2}
#: Largest believable rate either way, a unit rate [p/kWh] or a standing charge [p/day]: ten
#: times the dearest Agile price seen; beyond it an answer is wrong, not expensive.
MAX_RATE = 1000.0


@dataclass(frozen=True, slots=True)
class ProductSummary:
    """One entry of ``/v1/products/``."""

    code: str
    display_name: str
    direction: str
    is_variable: bool


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """``/v1/products/{code}/``: the product and its single-register tariff code per region."""

    code: str
    display_name: str
    tariff_codes: Mapping[str, str]


def require_field(row: Any, key: str, endpoint: str, kinds: type | tuple[type, ...]) -> Any:
    """``row[key]`` when ``row`` is an object holding it with a value of ``kinds``; else an
    :class:`OctopusProtocolError` naming the endpoint and the field."""
    if not isinstance(row, Mapping):
        raise OctopusProtocolError(f"{endpoint}: expected a JSON object, got {type(row).__name__}")
    if key not in row:
        raise OctopusProtocolError(
            f"{endpoint}: expected field {key!r}, got fields {sorted(row)[:12]}"
        )
    value = row[key]
    wrong_bool = isinstance(value, bool) and bool not in _tuple(kinds)
    if wrong_bool or not isinstance(value, kinds):
        raise OctopusProtocolError(
            f"{endpoint}: field {key!r} should be {_names(kinds)}, got {value!r}"
        )
    return value


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _names(kinds: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _tuple(kinds))


def parse_time(text: str, endpoint: str, key: str) -> datetime:
    """An Octopus timestamp (``2023-03-27T18:00:00Z``) as an aware datetime."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise OctopusProtocolError(
            f"{endpoint}: field {key!r} should be an ISO 8601 time, got {text!r}"
        ) from exc
    if value.tzinfo is None:
        raise OctopusProtocolError(f"{endpoint}: field {key!r} has no time zone: {text!r}")
    return value


def page_results(page: Any, endpoint: str) -> list[Any]:
    """The ``results`` list of one page of a paginated endpoint."""
    require_field(page, "count", endpoint, int)
    return list(require_field(page, "results", endpoint, list))


def parse_rates(pages: Sequence[Any], endpoint: str = "standard-unit-rates") -> tuple[Rate, ...]:
    """Rates from every page of a unit-rates or standing-charges response.

    Handles newest-first ordering (output is oldest first), open-ended ``valid_to: null``, rows
    duplicated per payment method (DIRECT_DEBIT kept), and ``count: 0`` (no rates).
    """
    chosen: dict[tuple[datetime, datetime | None], tuple[int, Rate]] = {}
    for page in pages:
        for row in page_results(page, endpoint):
            value = require_field(row, "value_inc_vat", endpoint, (int, float))
            if not -MAX_RATE <= value <= MAX_RATE:  # also refuses NaN
                raise OctopusProtocolError(
                    f"{endpoint}: field 'value_inc_vat' should be a price within ±{MAX_RATE:g} "
                    f"(p/kWh or p/day), got {value!r}"
                )
            start = parse_time(
                require_field(row, "valid_from", endpoint, str), endpoint, "valid_from"
            )
            end_text = row.get("valid_to") if isinstance(row, Mapping) else None
            if end_text is not None and not isinstance(end_text, str):
                raise OctopusProtocolError(
                    f"{endpoint}: field 'valid_to' should be a time or null, got {end_text!r}"
                )
            end = parse_time(end_text, endpoint, "valid_to") if end_text else None
            rank = _PAYMENT_PREFERENCE.get(row.get("payment_method"), 1)
            try:
                rate = Rate(start, end, float(value))
            except ValueError as exc:
                raise OctopusProtocolError(f"{endpoint}: {exc}") from exc
            key = (rate.valid_from, rate.valid_to)
            if key not in chosen or rank < chosen[key][0]:
                chosen[key] = (rank, rate)
    # Rows duplicated per payment method need not share their ends: keep one method's rows
    # (the preferred one present), so the result never depends on the payload's row order.
    best = min((rank for rank, _ in chosen.values()), default=1)
    kept = (r for rank, r in chosen.values() if rank == best or rank == _PAYMENT_PREFERENCE[None])
    return tuple(sorted(kept, key=lambda r: r.valid_from))


def parse_products(pages: Sequence[Any], endpoint: str = "products") -> tuple[ProductSummary, ...]:
    """Entries of ``/v1/products/`` across pages."""
    out = []
    for page in pages:
        for row in page_results(page, endpoint):
            out.append(
                ProductSummary(
                    code=require_field(row, "code", endpoint, str),
                    display_name=str(row.get("display_name", "")),
                    direction=str(row.get("direction", "")),
                    is_variable=bool(row.get("is_variable", False)),
                )
            )
    return tuple(out)


def parse_product(payload: Any, endpoint: str = "product") -> ProductInfo:
    """``/v1/products/{code}/``: single-register electricity tariff codes by region letter."""
    code = require_field(payload, "code", endpoint, str)
    tariffs = require_field(payload, "single_register_electricity_tariffs", endpoint, dict)
    codes: dict[str, str] = {}
    for group, methods in tariffs.items():
        letter = str(group).removeprefix("_")
        if letter not in REGIONS or not isinstance(methods, Mapping):
            continue
        for method in ("direct_debit_monthly", "varying", *methods):
            entry = methods.get(method)
            if isinstance(entry, Mapping) and isinstance(entry.get("code"), str):
                codes[letter] = entry["code"]
                break
    return ProductInfo(code, str(payload.get("display_name", code)), codes)


def parse_grid_supply_point(payload: Any, postcode: str, endpoint: str = "gsp") -> str:
    """Region letter from ``/v1/industry/grid-supply-points/?postcode=``."""
    results = page_results(payload, endpoint)
    if not results:
        raise UnknownRegion(
            f"postcode {postcode!r}: Octopus knows no grid supply point for it",
            hint="check the postcode, or pass --region with your region letter",
        )
    group = require_field(results[0], "group_id", endpoint, str)
    letter = group.removeprefix("_")
    if letter not in REGIONS:
        raise OctopusProtocolError(
            f"{endpoint}: expected group_id like '_C', got {group!r} for {postcode!r}"
        )
    return letter


def read_saved_rates(path: Path) -> tuple[Rate, ...]:
    """Rates from a saved response: one page, a list of pages, or a cache file with ``pages``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OctopusProtocolError(f"{path}: cannot read saved Octopus response: {exc}") from exc
    if isinstance(data, Mapping) and "pages" in data:
        data = data["pages"]
    pages = data if isinstance(data, list) else [data]
    return parse_rates(pages, str(path))
