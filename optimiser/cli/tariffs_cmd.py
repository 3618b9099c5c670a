"""``wattplan tariffs list|show|fetch|region|tesla``: built-in tariffs, prices per slot, Octopus."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tariffs", help="tariff prices, Octopus rates, Tesla export")
    sub = parser.add_subparsers(dest="tariffs_command", required=True, metavar="ACTION")

    listing = sub.add_parser("list", help="name the built-in products and regions")
    listing.set_defaults(func=_list)

    def product_args(p: argparse.ArgumentParser, with_date: bool = True) -> None:
        p.add_argument("product", help="built-in product (see `tariffs list`) or a YAML file")
        p.add_argument("--region", default=None, help="region letter A…P (default: config)")
        if with_date:
            p.add_argument(
                "--date", type=date.fromisoformat, default=None, help="local day (default today)"
            )

    show = sub.add_parser("show", help="import and export price of every slot of a day")
    product_args(show)
    show.add_argument("--slot-minutes", type=int, choices=(5, 15, 30, 60), default=30)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument("--online", action="store_true", help="fetch from Octopus (default: config)")
    show.set_defaults(func=_show)

    fetch = sub.add_parser("fetch", help="refresh a product's rates from Octopus into the cache")
    product_args(fetch, with_date=False)
    fetch.set_defaults(func=_fetch)

    region = sub.add_parser("region", help="the region letter of a UK postcode (asks Octopus)")
    region.add_argument("postcode")
    region.set_defaults(func=_region)

    tesla = sub.add_parser("tesla", help="the day's tariff as Tesla tariff_content_v2 JSON")
    product_args(tesla)
    tesla.add_argument(
        "--doctor", action="store_true", help="raise the peak sell price to the peak buy price"
    )
    tesla.add_argument("--online", action="store_true", help="fetch from Octopus")
    tesla.set_defaults(func=_tesla)


def _config(args: argparse.Namespace):
    from optimiser.config import load_config

    return load_config(args.config)


def _cache_dir(config) -> Path:
    return config.state_path() / "octopus-cache"


def _tariff(args: argparse.Namespace, online: bool = False):
    from tariffs import get_tariff, load_custom_tariff

    config = _config(args)
    if args.product.endswith((".yaml", ".yml")):
        return load_custom_tariff(Path(args.product))
    return get_tariff(
        args.product,
        args.region or config.tariff.region,
        cache_dir=_cache_dir(config),
        offline=not (online or getattr(args, "online", False)) and config.tariff.offline,
        base_url=config.tariff.octopus_base_url,
    )


def _day(args: argparse.Namespace) -> date:
    from datetime import datetime

    from optimiser.domain.slots import LONDON

    return args.date or datetime.now(LONDON).date()


def _list(args: argparse.Namespace) -> int:
    from tariffs.products import load_snapshot
    from tariffs.regions import REGIONS

    snapshot = load_snapshot()
    print(
        f"built-in products (bundled snapshot {snapshot.name}, rates as of "
        f"{snapshot.snapshot_date}):"
    )
    for key, entry in snapshot.products.items():
        export = entry["export_code"] or "no export"
        print(f"  {key:<17} {entry['name']}  [{entry['import_code']} + {export}]")
    print("regions: " + ", ".join(f"{k} {v}" for k, v in REGIONS.items()))
    print(f"note: {snapshot.data['estimated_note']}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from optimiser.domain.slots import SlotGrid

    tariff = _tariff(args)
    day = _day(args)
    grid = SlotGrid.local_days(day, 1, args.slot_minutes, tariff.tz)
    prices = tariff.prices(grid)
    standing = tariff.standing_charge_p_per_day(day)
    standing_estimated = bool(getattr(tariff.standing, "estimated", False))
    rows = [
        {
            "start_utc": start.isoformat().replace("+00:00", "Z"),
            "start_local": start.astimezone(tariff.tz).isoformat(),
            "import_price": round(float(imp), 4),
            "export_price": round(float(exp), 4),
            "estimated": bool(est),
        }
        for start, imp, exp, est in zip(
            grid.starts,
            prices.import_price,
            prices.export_price,
            prices.estimated_slots,
            strict=True,
        )
    ]
    if args.json:
        doc = {
            "tariff": tariff.name,
            "product": tariff.product,
            "region": tariff.region,
            "codes": list(tariff.codes) if tariff.codes else None,
            "date": day.isoformat(),
            "slot_minutes": grid.minutes,
            "source": prices.source,
            "estimated": prices.estimated,
            "standing_charge_p_per_day": standing,
            "standing_charge_estimated": standing_estimated,
            "slots": rows,
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(f"{tariff.name} on {day.isoformat()} ({len(grid)} slots of {grid.minutes} min)")
    print(f"source: {prices.source}")
    if prices.estimated:
        print("ESTIMATED: prices marked * are estimates, not published rates")
    print(f"standing charge: {standing:.2f} p/day{' (estimated)' if standing_estimated else ''}")
    print(f"{'local':<12}{'UTC':<8}{'import p/kWh':>13}{'export p/kWh':>13}")
    for start, row in zip(grid.starts, rows, strict=True):
        local = start.astimezone(tariff.tz)
        mark = " *" if row["estimated"] else ""
        print(
            f"{local.strftime('%H:%M %Z'):<12}{start.strftime('%H:%MZ'):<8}"
            f"{row['import_price']:>13.3f}{row['export_price']:>13.3f}{mark}"
        )
    return 0


def _fetch(args: argparse.Namespace) -> int:
    tariff = _tariff(args, online=True)
    until = tariff.known_until
    print(f"{tariff.name}: fetched {', '.join(c for c in tariff.codes or () if c)}")
    print(f"source: {tariff.source}")
    print(f"known until: {until.isoformat() if until else 'open-ended'}")
    return 0


def _region(args: argparse.Namespace) -> int:
    from tariffs.octopus import OctopusClient
    from tariffs.regions import REGIONS

    config = _config(args)
    client = OctopusClient(config.tariff.octopus_base_url, cache_dir=_cache_dir(config))
    letter = client.get_region(args.postcode)
    print(f"{args.postcode.upper()}: region {letter} ({REGIONS[letter]})")
    return 0


def _tesla(args: argparse.Namespace) -> int:
    from tariffs.tesla import to_tesla_tariff

    tariff = _tariff(args)
    result = to_tesla_tariff(tariff, _day(args), doctor_for_export=args.doctor)
    print(json.dumps({"tariff_content_v2": result.content, "report": result.report}, indent=2))
    return 0
