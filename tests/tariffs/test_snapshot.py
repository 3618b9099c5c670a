"""The bundled snapshot: dated, facts from DOMAIN.md intact, estimates flagged."""

from __future__ import annotations

import pytest

from tariffs.products import load_snapshot
from tariffs.regions import REGIONS


def test_snapshot_is_dated_and_covers_every_product_and_region():
    snapshot = load_snapshot()
    assert str(snapshot.snapshot_date) == "2025-03-01"
    for entry in snapshot.products.values():
        assert set(entry["regions"]) == set(REGIONS)


def test_flux_import_bands_keep_the_published_ratios():
    for letter, rates in load_snapshot().products["flux"]["regions"].items():
        for era in rates["import"]:
            p = era["prices"]
            assert p["night"] == pytest.approx(0.6 * p["day"], rel=1e-5), letter
            assert p["peak"] == pytest.approx(1.4 * p["day"], rel=1e-5), letter


def test_published_facts_are_exact_and_everything_else_is_marked_estimated():
    flux = load_snapshot().products["flux"]["regions"]
    k = flux["K"]
    assert k["import"][-1]["prices"] == {"night": 14.91, "day": 24.85, "peak": 34.79}
    assert k["export"][-1]["prices"] == {"night": 4.69, "day": 13.26, "peak": 26.42}
    assert flux["E"]["import"][0]["prices"]["day"] == 33.726735
    for entry in load_snapshot().products.values():
        for rates in entry["regions"].values():
            for era in rates["import"] + rates["export"] + rates["standing"]:
                assert era["estimated"] or era.get("note"), era  # a fact says where it is from
