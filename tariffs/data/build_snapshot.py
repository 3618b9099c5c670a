"""Rebuild ``octopus-snapshot-2025-03-01.json`` (run: ``python tariffs/data/build_snapshot.py``).

Built offline from the facts in DOMAIN.md §3; everything else is an estimate and says so:

- Flux import: off-peak = 0.6 × day, peak = 1.4 × day (every dataset seen).
- South Wales (K), March 2025 Flux: import 14.91/24.85/34.79p, export 4.69/13.26/26.42p (real).
- West Midlands (E), 2023-03-27 Flux import 20.23602/33.726735/47.21745p (real); 2023 export
  = import − 11p in every band (real rule).
- Outgoing fixed 15p (real), later 12p (real value, change date estimated).
- Other regions: region K scaled by a plausible regional factor (estimated).
- Other products: plausible ratios to the regional day rate (estimated).
"""

from __future__ import annotations

import json
from pathlib import Path

SNAPSHOT_DATE = "2025-03-01"
START = "2023-01-01T00:00:00Z"
FACTOR = {
    "A": 1.000, "B": 0.975, "C": 1.010, "D": 1.040, "E": 0.980, "F": 0.960, "G": 0.990,
    "H": 1.010, "J": 1.015, "K": 1.030, "L": 1.040, "M": 0.965, "N": 0.985, "P": 1.015,
}  # fmt: skip
STANDING = {
    "A": 52.0, "B": 47.5, "C": 47.0, "D": 63.5, "E": 50.5, "F": 56.5, "G": 51.5,
    "H": 52.5, "J": 50.0, "K": 58.5, "L": 54.5, "M": 51.0, "N": 58.0, "P": 57.0,
}  # fmt: skip
K_DAY = 24.85
K_FLUX_EXPORT = {"night": 4.69, "day": 13.26, "peak": 26.42}


def era(prices, estimated, valid_from=START, valid_to=None, note=None):
    out = {"valid_from": valid_from, "valid_to": valid_to, "estimated": estimated}
    out["prices"] = {k: round(v, 6) for k, v in prices.items()}
    if note:
        out["note"] = note
    return out


def main() -> None:
    products: dict[str, dict] = {}

    def add(key, name, import_code, export_code, region_fn, **extra):
        regions = {letter: region_fn(letter) for letter in FACTOR}
        products[key] = {
            "name": name,
            "import_code": import_code,
            "export_code": export_code,
            **extra,
            "regions": regions,
        }

    def day(letter):
        return K_DAY / FACTOR["K"] * FACTOR[letter]

    def standing(letter):
        return [era({"standing": STANDING[letter]}, True)]

    def flux(letter):
        d = day(letter)
        exact = letter == "K"
        imp = era({"night": 0.6 * d, "day": d, "peak": 1.4 * d}, not exact, "2023-03-31T23:00:00Z")
        scale = FACTOR[letter] / FACTOR["K"]
        exp = era(
            {k: v * scale for k, v in K_FLUX_EXPORT.items()}, not exact, "2023-03-31T23:00:00Z"
        )
        if exact:
            imp["note"] = exp["note"] = "real South Wales rates, March 2025"
        imports, exports = [imp], [exp]
        if letter == "E":
            real = {"night": 20.23602, "day": 33.726735, "peak": 47.21745}
            note = "real West Midlands rates observed 2023-03-27; export = import - 11p"
            imports.insert(0, era(real, False, START, "2023-03-31T23:00:00Z", note))
            exports.insert(
                0,
                era(
                    {k: v - 11 for k, v in real.items()}, False, START, "2023-03-31T23:00:00Z", note
                ),
            )
        else:
            imports[0]["valid_from"] = exports[0]["valid_from"] = START
        return {"import": imports, "export": exports, "standing": standing(letter)}

    def flat_export(value=15.0):
        return [
            era(
                {"all": value},
                False,
                "2023-01-01T00:00:00Z",
                "2025-05-31T23:00:00Z",
                "15p is real; the date it became 12p is estimated",
            ),
            era({"all": 12.0}, True, "2025-05-31T23:00:00Z", None, "12p is real; start estimated"),
        ]

    def simple(import_prices, export=None):
        def build(letter):
            d = day(letter)
            prices = {k: (v(d) if callable(v) else v) for k, v in import_prices.items()}
            return {
                "import": [era(prices, True)],
                "export": export(letter) if export else flat_export(),
                "standing": standing(letter),
            }

        return build

    add("flux", "Octopus Flux", "FLUX-IMPORT-23-02-14", "FLUX-EXPORT-23-02-14", flux, bands="flux")

    def iflux(letter):
        d = day(letter)
        prices = {"night": 0.65 * d, "day": d, "peak": 1.35 * d}
        return {
            "import": [era(prices, True)],
            "export": [era(prices, True, note="export matches import in every band")],
            "standing": standing(letter),
        }

    add(
        "intelligent-flux",
        "Intelligent Octopus Flux",
        "INTELLI-FLUX-IMPORT-23-07-14",
        "INTELLI-FLUX-EXPORT-23-07-14",
        iflux,
        bands="intelligent-flux",
    )
    outgoing = "OUTGOING-VAR-24-10-26"
    add(
        "go",
        "Octopus Go",
        "GO-VAR-22-10-14",
        outgoing,
        simple({"night": 8.5, "day": lambda d: 1.04 * d}),
        bands="go",
    )
    add(
        "intelligent-go",
        "Intelligent Octopus Go",
        "INTELLI-VAR-24-10-29",
        outgoing,
        simple({"night": 7.0, "day": lambda d: 1.03 * d}),
        bands="intelligent-go",
        dispatch_band="night",
    )
    add(
        "cosy",
        "Cosy Octopus",
        "COSY-22-12-08",
        outgoing,
        simple({"cosy": lambda d: 0.54 * d, "day": lambda d: 1.05 * d, "peak": lambda d: 1.58 * d}),
        bands="cosy",
    )
    add(
        "flexible",
        "Flexible Octopus (no export agreement)",
        "VAR-22-11-01",
        None,
        simple(
            {"all": lambda d: d},
            export=lambda _: [era({"all": 0.0}, False, note="no export agreement: 0p")],
        ),
        bands="flat",
    )
    add(
        "outgoing",
        "Flexible Octopus with Outgoing Octopus fixed",
        "VAR-22-11-01",
        outgoing,
        simple({"all": lambda d: d}),
        bands="flat",
    )
    add(
        "tracker",
        "Octopus Tracker",
        "SILVER-24-10-01",
        outgoing,
        simple({"all": lambda d: 0.9 * d}),
        bands="synthetic-tracker",
    )
    add(
        "agile",
        "Agile Octopus with Agile Outgoing",
        "AGILE-24-10-01",
        "AGILE-OUTGOING-19-05-13",
        simple({"all": lambda d: d}),
        bands="synthetic-agile",
    )

    snapshot = {
        "snapshot_date": SNAPSHOT_DATE,
        "description": "Octopus Energy rates for offline use, p/kWh and p/day inc VAT.",
        "estimated_note": (
            "Built without internet from a few published facts (entries with estimated=false "
            "and a note); every other value is a plausible estimate. Agile and Tracker are "
            "synthetic day shapes derived from the region's rate. Refresh with "
            "`wattplan tariffs fetch`."
        ),
        "products": products,
    }
    path = Path(__file__).with_name(f"octopus-snapshot-{SNAPSHOT_DATE}.json")
    path.write_text(json.dumps(snapshot, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
