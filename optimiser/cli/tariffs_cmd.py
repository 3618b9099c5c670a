"""``wattplan tariffs list|show|fetch|region|tesla``: built-in tariffs, prices per slot, Octopus.

``show`` prices a day as planning would (the config's tariff and rate source by default) and
says where the prices came from (live / cache and its age / snapshot estimates) and, for an
account, which agreement priced each slot.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from optimiser.cli.argtypes import iso_day, region_letter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("tariffs", help="tariff prices, Octopus rates, Tesla export")
    sub = parser.add_subparsers(dest="tariffs_command", required=True, metavar="ACTION")

    listing = sub.add_parser("list", help="name the built-in products and regions")
    listing.set_defaults(func=_list)

    def product_args(p: argparse.ArgumentParser, with_date: bool = True) -> None:
        p.add_argument(
            "product",
            nargs="?",
            default=None,
            help="built-in product (see `tariffs list`), `account` (the Octopus account's "
            "agreements) or a YAML file (default: the config's tariff)",
        )
        p.add_argument(
            "--region", type=region_letter, default=None, help="region letter A…P (default: config)"
        )
        if with_date:
            p.add_argument("--date", type=iso_day, default=None, help="local day (default today)")

    show = sub.add_parser("show", help="import and export price of every slot of a day")
    product_args(show)
    show.add_argument("--slot-minutes", type=int, choices=(5, 15, 30, 60), default=30)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.add_argument(
        "--online", action="store_true", help="rates from Octopus (default: as the config says)"
    )
    show.set_defaults(func=_show)

    fetch = sub.add_parser(
        "fetch", help="fetch a tariff's rates from Octopus now, into the cache (today, tomorrow)"
    )
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


def _access(config, live: bool):
    from tariffs import OctopusAccess

    return OctopusAccess(config.tariff.octopus_base_url, config.state_path(), live=live)


def _tariff(args: argparse.Namespace, *, strict: bool = False, day: date | None = None):
    """The tariff named on the command line (default: the config's), priced around ``day``
    (default: today and tomorrow, as planning does)."""
    from datetime import datetime, time, timedelta

    from optimiser.domain.slots import LONDON
    from tariffs import get_account_tariff, get_tariff, load_custom_tariff

    config = _config(args)
    product = args.product
    if product is None:
        if config.tariff.custom_file is not None:
            return load_custom_tariff(config.tariff.custom_file.expanduser())
        product = "account" if config.tariff.source == "account" else config.tariff.product
    if product.endswith((".yaml", ".yml")):
        return load_custom_tariff(Path(product))
    access = _access(config, strict or getattr(args, "online", False) or config.tariff.live)
    period: dict[str, datetime] = {}
    today = datetime.now(LONDON).date()
    if day is not None and day not in (today, today + timedelta(days=1)):
        start = datetime.combine(day, time(0), LONDON)
        end = datetime.combine(day + timedelta(days=1), time(0), LONDON)
        period = {"period_from": start, "period_to": end}
    if product == "account":
        return get_account_tariff(access, strict=strict, refresh=strict, **period)
    region = args.region or config.tariff.region
    return get_tariff(product, region, access=access, strict=strict, **period)


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
    from tariffs.model import Direction

    day = _day(args)
    tariff = _tariff(args, day=day)
    grid = SlotGrid.local_days(day, 1, args.slot_minutes, tariff.tz)
    prices = tariff.prices(grid)
    standing = tariff.standing_charge_p_per_day(day)
    standing_estimated = tariff.standing.estimated
    rows = []
    for start, imp, exp, est in zip(
        grid.starts, prices.import_price, prices.export_price, prices.estimated_slots, strict=True
    ):
        row = {
            "start_utc": start.isoformat().replace("+00:00", "Z"),
            "start_local": start.astimezone(tariff.tz).isoformat(),
            "import_price": round(float(imp), 4),
            "export_price": round(float(exp), 4),
            "estimated": bool(est),
        }
        if tariff.agreements:
            for direction in Direction:
                agreement = tariff.agreement_at(direction, start)
                row[f"{direction}_agreement"] = agreement.tariff_code if agreement else None
        rows.append(row)
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
    priced_by = None
    for start, row in zip(grid.starts, rows, strict=True):
        if tariff.agreements:
            agreements = (row["import_agreement"], row["export_agreement"])
            if agreements != priced_by:
                priced_by = agreements
                export = agreements[1] or "no export agreement"
                print(f"-- priced by {agreements[0] or 'no import agreement'} + {export}")
        local = start.astimezone(tariff.tz)
        mark = " *" if row["estimated"] else ""
        print(
            f"{local.strftime('%H:%M %Z'):<12}{start.strftime('%H:%MZ'):<8}"
            f"{row['import_price']:>13.3f}{row['export_price']:>13.3f}{mark}"
        )
    return 0


def _fetch(args: argparse.Namespace) -> int:
    tariff = _tariff(args, strict=True)
    until = tariff.known_until
    print(f"{tariff.name}: fetched {', '.join(c for c in tariff.codes or () if c)}")
    print(f"source: {tariff.source}")
    if until is None:
        print("known until: open-ended")
    elif until.timestamp() <= 0:
        print("known until: nothing published for this period")
    else:
        print(f"known until: {until.isoformat()}")
    return 0


def _region(args: argparse.Namespace) -> int:
    from tariffs.regions import REGIONS

    client = _access(_config(args), True).command_client(url_cache=True)
    letter = client.get_region(args.postcode)
    print(f"{args.postcode.upper()}: region {letter} ({REGIONS[letter]})")
    return 0


def _tesla(args: argparse.Namespace) -> int:
    from tariffs.tesla import to_tesla_tariff

    day = _day(args)
    tariff = _tariff(args, day=day)
    result = to_tesla_tariff(tariff, day, doctor_for_export=args.doctor)
    print(json.dumps({"tariff_content_v2": result.content, "report": result.report}, indent=2))
    return 0
