"""Built-in Octopus products, import and export together, from the bundled rate snapshot.

Band geometry (which local times are night, day, peak…) is a fact of each product and lives
here; prices per band, region and era are data and live in ``tariffs/data/*.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from tariffs.errors import UnknownProduct
from tariffs.model import Band, BandTable, Rate, RateSeries, Tariff, TouEra, TouSource
from tariffs.regions import REGIONS, normalise_region
from tariffs.synthetic import SyntheticAgile, SyntheticTracker

SNAPSHOT_FILE = "octopus-snapshot-2025-03-01.json"

# name, start, end (local time; end may wrap past midnight)
LAYOUTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "flux": (
        ("night", "02:00", "05:00"),
        ("day", "05:00", "16:00"),
        ("peak", "16:00", "19:00"),
        ("day", "19:00", "02:00"),
    ),
    "intelligent-flux": (
        ("night", "23:30", "05:30"),
        ("day", "05:30", "16:00"),
        ("peak", "16:00", "19:00"),
        ("day", "19:00", "23:30"),
    ),
    "go": (("night", "00:30", "05:30"), ("day", "05:30", "00:30")),
    "intelligent-go": (("night", "23:30", "05:30"), ("day", "05:30", "23:30")),
    "cosy": (
        ("day", "00:00", "04:00"),
        ("cosy", "04:00", "07:00"),
        ("day", "07:00", "13:00"),
        ("cosy", "13:00", "16:00"),
        ("peak", "16:00", "19:00"),
        ("day", "19:00", "22:00"),
        ("cosy", "22:00", "24:00"),
    ),
    "flat": (("all", "00:00", "24:00"),),
}


@dataclass(frozen=True)
class Snapshot:
    """The bundled (or a saved) rate snapshot."""

    snapshot_date: date
    name: str
    data: dict[str, Any]

    @property
    def products(self) -> dict[str, Any]:
        return self.data["products"]


@lru_cache(maxsize=4)
def load_snapshot(path: Path | None = None) -> Snapshot:
    """Read a snapshot JSON file; the bundled one by default."""
    if path is None:
        text = resources.files("tariffs.data").joinpath(SNAPSHOT_FILE).read_text("utf-8")
        name = SNAPSHOT_FILE
    else:
        text = path.read_text("utf-8")
        name = path.name
    data = json.loads(text)
    return Snapshot(date.fromisoformat(data["snapshot_date"]), name, data)


def product_names() -> tuple[str, ...]:
    """Keys of the built-in products."""
    return tuple(load_snapshot().products)


def minutes(hhmm: str) -> int:
    """``"02:30"`` → 150; ``"24:00"`` → 1440."""
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def band_table(layout: str, prices: dict[str, float]) -> BandTable:
    """The layout's bands priced from ``prices`` (keyed by band name)."""
    return BandTable(
        tuple(
            Band(name, minutes(start), minutes(end), float(prices[name]))
            for name, start, end in LAYOUTS[layout]
        )
    )


def _when(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _tou(layout: str, eras: list[dict[str, Any]]) -> TouSource:
    return TouSource(
        tuple(
            TouEra(
                _when(e["valid_from"]),  # type: ignore[arg-type]
                _when(e["valid_to"]),
                band_table(layout, e["prices"]),
                bool(e["estimated"]),
            )
            for e in eras
        )
    )


def _latest_flat(eras: list[dict[str, Any]]) -> float:
    return float(eras[-1]["prices"]["all"])


def builtin_tariff(product: str, region: str, snapshot: Snapshot | None = None) -> Tariff:
    """A built-in product for a region from the snapshot; raises :class:`UnknownProduct`."""
    snapshot = snapshot or load_snapshot()
    key = product.strip().lower()
    if key not in snapshot.products:
        raise UnknownProduct(
            f"unknown product {product!r}: expected one of {', '.join(snapshot.products)}",
            hint="`wattplan tariffs list` names the built-in products",
        )
    letter = normalise_region(region)
    entry = snapshot.products[key]
    rates = entry["regions"][letter]
    layout = entry["bands"]
    if layout == "synthetic-agile":
        day_rate = _latest_flat(rates["import"])
        import_source: Any = SyntheticAgile(day_rate, "import")
        export_source: Any = SyntheticAgile(day_rate, "export")
    elif layout == "synthetic-tracker":
        import_source = SyntheticTracker(_latest_flat(rates["import"]))
        export_source = _tou("flat", rates["export"])
    else:
        import_source = _tou(layout, rates["import"])
        export_source = _tou(
            "flat" if len(rates["export"][0]["prices"]) == 1 else layout, rates["export"]
        )
    standing = RateSeries(
        tuple(
            Rate(_when(e["valid_from"]), _when(e["valid_to"]), float(e["prices"]["standing"]))  # type: ignore[arg-type]
            for e in rates["standing"]
        ),
        estimated=any(e["estimated"] for e in rates["standing"]),
    )
    dispatch = entry.get("dispatch_band")
    return Tariff(
        name=f"{entry['name']} (region {letter}, {REGIONS[letter]})",
        import_source=import_source,
        export_source=export_source,
        standing=standing,
        source=f"bundled snapshot {snapshot.name} (rates as of {snapshot.snapshot_date})",
        product=key,
        region=letter,
        codes=(
            f"E-1R-{entry['import_code']}-{letter}",
            f"E-1R-{entry['export_code']}-{letter}" if entry["export_code"] else "",
        ),
        dispatch_price=float(rates["import"][-1]["prices"][dispatch]) if dispatch else None,
    )


# Octopus product-code prefixes → the built-in product whose snapshot rates stand in for them
# (first match wins, so longer prefixes come first).
FAMILIES: tuple[tuple[str, str], ...] = (
    ("AGILE-OUTGOING-", "agile"),
    ("AGILE-", "agile"),
    ("INTELLI-FLUX-", "intelligent-flux"),
    ("FLUX-", "flux"),
    ("INTELLI-", "intelligent-go"),
    ("IOG-", "intelligent-go"),
    ("GO-", "go"),
    ("COSY-", "cosy"),
    ("SILVER-", "tracker"),
    ("OUTGOING-", "outgoing"),
    ("VAR-", "flexible"),
)


def family_of(product_code: str) -> str | None:
    """The built-in product an Octopus product code belongs to (``AGILE-24-10-01`` → ``agile``)."""
    return next((key for prefix, key in FAMILIES if product_code.startswith(prefix)), None)


def stand_in(product_code: str, region: str) -> Tariff | None:
    """The snapshot tariff whose rates estimate ``product_code``'s, or None when none fits."""
    key = family_of(product_code)
    return None if key is None else builtin_tariff(key, region)
