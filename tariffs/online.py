"""Built-in products priced from the live Octopus API instead of the bundled snapshot."""

from __future__ import annotations

from datetime import datetime

from tariffs.errors import UnknownProduct
from tariffs.model import Rate, RateSeries, Tariff
from tariffs.octopus import OctopusClient
from tariffs.products import load_snapshot
from tariffs.regions import REGIONS, normalise_region


def fetch_tariff(
    product: str,
    region: str,
    client: OctopusClient,
    period_from: datetime,
    period_to: datetime,
) -> Tariff:
    """A built-in product's import and export rates over ``[period_from, period_to)``.

    Import and export are always fetched both (they are published separately). Products with
    no export agreement (``flexible``) export at 0p.
    """
    products = load_snapshot().products
    key = product.strip().lower()
    if key not in products:
        raise UnknownProduct(
            f"unknown product {product!r}: expected one of {', '.join(products)}",
            hint="`wattplan tariffs list` names the built-in products",
        )
    letter = normalise_region(region)
    entry = products[key]
    import_code = client.get_tariff_code(entry["import_code"], letter)
    imports = client.get_unit_rates(entry["import_code"], import_code, period_from, period_to)
    standing = client.get_standing_charges(
        entry["import_code"], import_code, period_from, period_to
    )
    if entry["export_code"]:
        export_code = client.get_tariff_code(entry["export_code"], letter)
        exports = client.get_unit_rates(entry["export_code"], export_code, period_from, period_to)
    else:
        export_code = ""
        exports = (Rate(period_from, None, 0.0),)
    fetched = client.now().strftime("%Y-%m-%d %H:%M UTC")
    return Tariff(
        name=f"{entry['name']} (region {letter}, {REGIONS[letter]})",
        import_source=RateSeries(imports),
        export_source=RateSeries(exports),
        standing=RateSeries(standing),
        source=f"Octopus API {client.base_url} (fetched {fetched})",
        product=key,
        region=letter,
        codes=(import_code, export_code),
        dispatch_price=min((r.value for r in imports), default=None)
        if entry.get("dispatch_band")
        else None,
    )
