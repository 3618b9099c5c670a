"""Custom YAML tariffs: strict validation with file:line:col, weekday bands, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from optimiser.domain.slots import SlotGrid
from tariffs import TariffFileError, load_custom_tariff
from tariffs.tesla import to_tesla_tariff, tou_schedule_from_content

GOOD = """\
name: My tariff
standing_charge: 50.0
import:
  bands:
    - {name: night, from: "02:00", to: "05:00", price: 15.0}
    - {name: peak, from: 16:00, to: 19:00, price: 35.0, days: weekdays}
    - {name: wkend, from: 16:00, to: 19:00, price: 25.0, days: [sat, sun]}
    - {name: day, from: "05:00", to: 16:00, price: 25.0}
    - {name: day, from: 19:00, to: "02:00", price: 25.0}
export:
  flat: 15.0
"""


def write(tmp_path, text):
    path = tmp_path / "tariff.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_tariff_prices_weekdays_weekends_and_summer_time(tmp_path):
    tariff = load_custom_tariff(write(tmp_path, GOOD))
    assert tariff.standing_charge_p_per_day(date(2025, 1, 1)) == 50.0
    monday = tariff.prices(SlotGrid(datetime(2025, 7, 7, 15, tzinfo=UTC), 60, 3))  # 16:00 BST
    assert list(monday.import_price) == [35.0, 35.0, 35.0]
    saturday = tariff.prices(SlotGrid(datetime(2025, 7, 5, 15, tzinfo=UTC), 60, 4))
    assert list(saturday.import_price) == [25.0, 25.0, 25.0, 25.0]
    winter = tariff.prices(SlotGrid(datetime(2025, 1, 6, 1, tzinfo=UTC), 60, 5)).import_price
    assert list(winter) == [25.0, 15.0, 15.0, 15.0, 25.0]
    assert not monday.estimated and "custom tariff file" in monday.source
    assert list(monday.export_price) == [15.0] * 3
    tou_schedule_from_content(to_tesla_tariff(tariff, date(2025, 7, 7)).content)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            GOOD.replace("standing_charge", "standing_charg"),
            "tariff.yaml:2:1: standing_charg: unknown key",
        ),
        (
            GOOD.replace('to: "05:00", price: 15.0', 'to: "05:07", price: 15.0'),
            "tariff.yaml:5:36: import.bands[0].to: expected a time from 00:00 to 24:00",
        ),
        (
            GOOD.replace("days: [sat, sun]", "days: [sat, sunday]"),
            "tariff.yaml:7:58: import.bands[2].days: expected day names mon…sun, got 'sunday'",
        ),
        (
            GOOD.replace("days: weekdays", "days: [mon]"),
            "tariff.yaml:3:1: import: bands must cover every local time exactly once; "
            "Tue 16:00 in month 1 is covered by 0 bands (got 5 bands)",
        ),
        (
            GOOD.replace("  flat: 15.0", "  flat: 15.0\n  bands: []"),
            "tariff.yaml:10:1: export: expected exactly one of 'flat' or 'bands'",
        ),
        (GOOD.replace("price: 15.0}", "price: cheap}"), "tariff.yaml:5:49: import.bands[0].price"),
        ("name: [", "tariff.yaml:1:8: malformed YAML"),
    ],
)
def test_mistakes_are_reported_with_file_line_and_column(tmp_path, text, message):
    with pytest.raises(TariffFileError) as info:
        load_custom_tariff(write(tmp_path, text))
    assert message in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(TariffFileError, match="file not found"):
        load_custom_tariff(tmp_path / "nope.yaml")


def test_readme_example_loads(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Tariffs", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    tariff = load_custom_tariff(write(tmp_path, example))
    assert (
        tariff.prices(SlotGrid(datetime(2025, 7, 7, 15, tzinfo=UTC), 60, 1)).import_price[0] == 35
    )
