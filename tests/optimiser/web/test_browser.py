"""The dashboard in a real browser (headless Chromium) over a running service.

The pages load with no console errors, the Now page's flows are the API's, the plan chart has
one point per slot, and a power cut in the emulator shows within one refresh. Screenshots of
every page go to ``tests/artefacts/web/``.
"""

from __future__ import annotations

import time

import pytest

from optimiser.web.pages import PAGES
from tests.optimiser.web.browser import chromium, console_errors, require_browser, screenshot

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _browser():
    require_browser()


def _wait(predicate, timeout_s: float, step_s: float = 0.1):
    """Poll ``predicate`` (a page's state, in real time) until true or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    return predicate()


def test_every_page_loads_without_console_errors(served):
    served.run(5 * 60)  # 12:00 → 17:00 UTC: through the Flux peak
    with chromium() as driver:
        for name, href, title in PAGES:
            driver.get(served.url + href.removeprefix("./"))
            assert driver.title == f"wattplan · {title}"
            assert driver.find_element("id", "main").text
            if name == "plan":
                _wait(lambda: driver.execute_script("return !!window.wattplan.charts"), 5)
            screenshot(driver, name)
            assert console_errors(driver) == [], name


def test_now_shows_the_apis_flows(served):
    served.run(90)
    state = served.get("api/state").json()["state"]
    with chromium() as driver:
        driver.get(served.url)
        for tile, key in (
            ("flow-solar", "solar_kw"),
            ("flow-house", "load_kw"),
            ("flow-battery", "battery_kw"),
            ("flow-grid", "grid_kw"),
        ):
            element = driver.find_element("id", tile)
            assert float(element.get_attribute("data-kw")) == state[key], tile
            shown = element.find_element("class name", "value").text
            assert shown.startswith(f"{abs(state[key]):.2f}"), (tile, shown)
        soc = driver.find_element("id", "soc")
        assert float(soc.get_attribute("data-percent")) == state["soc_percent"]
        assert f"{state['soc_percent']:.0f}%" in soc.text
        assert console_errors(driver) == []


def test_the_plan_chart_has_one_point_per_slot(served):
    served.run(60)
    doc = served.get("api/plan-vs-actual").json()
    with chromium() as driver:
        driver.get(served.url + "plan")
        points = _wait(
            lambda: driver.execute_script(
                "var c = window.wattplan && window.wattplan.charts;"
                "return c && c['chart-battery'] ? c['chart-battery'].data[0].length : 0"
            ),
            5,
        )
        # Today and tomorrow (a winter day in London: 2 × 48 half hours).
        assert points == len(doc["slots"]) == 96
        planned = driver.execute_script(
            "return window.wattplan.charts['chart-soe'].data[1].filter(v => v !== null).length"
        )
        assert planned > 48  # the rest of today and all of tomorrow are planned
        assert console_errors(driver) == []


def test_a_power_cut_shows_within_one_refresh(served):
    served.run(30)
    with chromium() as driver:
        driver.get(served.url)
        assert driver.find_elements("id", "power-cut") == []
        assert driver.find_element("id", "grid-status").get_attribute("data-grid-up") == "true"
        served.house.site.cut_power()
        served.run(10)  # the next poll sees the outage
        cut_at = time.monotonic()
        banner = _wait(lambda: driver.find_elements("id", "power-cut"), 3.0)
        shown_after = time.monotonic() - cut_at
        assert banner, "no power-cut banner after one refresh"
        assert shown_after <= served.dashboard.source.config.web.refresh_s + 1.0
        assert "POWER CUT" in banner[0].text
        assert driver.find_element("id", "grid-status").get_attribute("data-grid-up") == "false"
        screenshot(driver, "now-power-cut")
        served.house.site.restore_power()
        served.run(10)
        assert _wait(lambda: not driver.find_elements("id", "power-cut"), 3.0)
        assert console_errors(driver) == []
