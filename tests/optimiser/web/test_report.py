"""``wattplan simulate --report``: one self-contained HTML file that opens offline."""

from __future__ import annotations

import re

import pytest

from optimiser.cli import main
from optimiser.web.report import monthly_savings, thin
from tests.optimiser.web.browser import chromium, console_errors, require_browser, screenshot


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    path = folder / "replay.html"
    code = main(
        [
            "simulate",
            "--demo",
            "--days",
            "2",
            "--tariff",
            "flux",
            "--tariff",
            "go",
            "--workers",
            "1",
            "--report",
            str(path),
        ]
    )
    assert code == 0
    return path


def test_the_report_is_one_file_with_nothing_to_fetch(report):
    html = report.read_text(encoding="utf-8")
    assert report.stat().st_size < 5_000_000
    # No script, style sheet, image or font comes from anywhere: every src/href is inline.
    assert re.findall(r"""(?:src|href)\s*=\s*["'](?!#)""", html) == []
    assert "@import" not in html and "url(" not in html
    for section in ("comparison", "monthly", "week", "quality"):
        assert f'id="{section}"' in html
    assert "Capture" in html and "perfect foresight" in html
    assert html.count('class="chart week-soe"') == 2  # one typical week per tariff


def test_the_report_opens_offline_with_its_charts(report):
    require_browser()
    with chromium() as driver:
        driver.get(report.as_uri())
        charts = driver.execute_script("return window.wattplanReport.charts.length")
        assert charts == 5  # monthly bars + (week, prices) × 2 tariffs
        points = driver.execute_script("return window.wattplanReport.charts[0].data[0].length")
        assert 0 < points <= 7 * 48
        screenshot(driver, "simulate-report")
        assert console_errors(driver) == []


def test_monthly_savings_are_against_no_battery_per_tariff():
    rows = [
        {"day": "2025-06-30", "tariff": "flux", "strategy": "no-battery", "cost_gbp": 3.0},
        {"day": "2025-06-30", "tariff": "flux", "strategy": "wattplan", "cost_gbp": 1.0},
        {"day": "2025-07-01", "tariff": "flux", "strategy": "no-battery", "cost_gbp": 2.0},
        {"day": "2025-07-01", "tariff": "flux", "strategy": "wattplan", "cost_gbp": 2.5},
        {"day": "2025-07-02", "tariff": "flux", "strategy": "wattplan", "cost_gbp": 0.5},
        {"day": "2025-07-02", "tariff": "flux", "strategy": "no-battery", "cost_gbp": 1.5},
    ]
    assert monthly_savings(rows) == [
        {
            "month": "2025-06",
            "tariff": "flux",
            "strategy": "wattplan",
            "cost_gbp": 1.0,
            "saving_gbp": 2.0,
        },
        {
            "month": "2025-07",
            "tariff": "flux",
            "strategy": "wattplan",
            "cost_gbp": 3.0,
            "saving_gbp": 0.5,
        },
    ]


def test_a_week_is_thinned_to_half_hours():
    series = {"epoch_s": list(range(2016)), "soe_kwh:wattplan": [1.0] * 2016}
    thinned = thin(series)
    assert len(thinned["epoch_s"]) == 336
    assert thinned["epoch_s"][:2] == [0, 6]
