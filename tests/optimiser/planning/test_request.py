"""The one request builder: horizon, prices, forecasts and control limits from what was read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from optimiser.config import Config
from optimiser.control.capabilities import Capabilities
from optimiser.domain.slots import LONDON
from optimiser.forecast import PerfectForecaster
from optimiser.forecast.weather import forecaster_for
from optimiser.planning import (
    Forecasting,
    Horizon,
    Refit,
    build_request,
    control_limits,
    horizon,
    plan_cycle,
)
from rules.context import Context, ContextEntry
from simulations.datasets import demo_trace
from tariffs import get_tariff


class Reading:
    """A site as a gateway reads it (the attributes planning uses)."""

    soe_kwh = 6.0
    capacity_kwh = 13.5
    max_charge_kw = 5.0
    max_discharge_kw = 5.0
    round_trip_efficiency = None
    app_percent = 41.5
    grid_up = True


NOW = datetime(2025, 1, 15, 13, 7, tzinfo=UTC)


def test_production_plans_to_local_midnight_at_the_end_of_tomorrow():
    grid = horizon(NOW, 30, LONDON)
    assert grid.start == datetime(2025, 1, 15, 13, 0, tzinfo=UTC)  # the slot under way
    assert grid.end == datetime(2025, 1, 17, 0, 0, tzinfo=UTC)
    # Summer: local midnight is 23:00 UTC; the autumn change makes tomorrow 25 hours long.
    summer = horizon(datetime(2025, 7, 1, 22, 30, tzinfo=UTC), 30, LONDON)
    assert summer.end == datetime(2025, 7, 2, 23, 0, tzinfo=UTC)
    autumn = horizon(datetime(2025, 10, 24, 23, 0, tzinfo=UTC), 30, LONDON)
    assert autumn.end - autumn.start == timedelta(hours=49)
    assert autumn.end - autumn.start <= timedelta(hours=Horizon().longest_hours)


def test_a_fixed_length_or_end():
    assert Horizon(hours=4).grid(NOW, 30, LONDON).count == 8
    end = datetime(2025, 1, 16, 6, 0, tzinfo=UTC)
    assert Horizon(until=end).grid(NOW, 30, LONDON).end == end
    assert Horizon(until=NOW).grid(NOW, 30, LONDON).count == 1  # never empty
    assert Horizon(until=end).longest_hours is None
    with pytest.raises(ValueError, match="not both"):
        Horizon(hours=4, until=end)
    with pytest.raises(ValueError, match="> 0"):
        Horizon(hours=0)


def test_the_request_carries_prices_forecasts_limits_and_context():
    config = Config()
    flux = get_tariff("flux", "C")
    trace = demo_trace(NOW - timedelta(days=1), NOW + timedelta(days=3))
    context = Context(
        {
            "storm_warning": ContextEntry(True, expires=NOW + timedelta(hours=5)),
            "holiday": ContextEntry(True, expires=NOW - timedelta(hours=1)),
        }
    )
    request = build_request(
        config,
        Reading(),
        now=NOW,
        tariff=flux,
        history=None,
        context=context,
        capabilities=Capabilities.fleet(),
        forecasting=Forecasting(PerfectForecaster(trace)),
    )
    grid = request.grid
    assert grid == horizon(NOW, 30, LONDON)
    prices = flux.prices(grid)
    assert np.array_equal(request.import_price, prices.import_price)
    truth = PerfectForecaster(trace).forecast(grid, None, NOW)
    assert np.array_equal(request.load_kw, truth.load_kw)
    assert request.context == {"storm_warning": True}  # the holiday is over
    assert request.context_expires == {"storm_warning": NOW + timedelta(hours=5)}
    fast = request.limits.max_grid_charge_kw == 5.0
    night = [s.hour in (2, 3, 4) for s in grid.starts]  # Flux's cheap window (GMT)
    assert list(fast) == night
    assert request.limits.battery_export_allowed.all()


def test_no_capabilities_no_limits_and_a_backend_without_uploads_charges_slowly():
    config = Config()
    grid = horizon(NOW, 30, LONDON)
    flux = get_tariff("flux", "C")
    none = control_limits(config, Reading(), grid, flux, None)
    assert none.max_grid_charge_kw is None and none.battery_export_allowed is None
    local = control_limits(config, Reading(), grid, flux, Capabilities.local())
    assert np.all(local.max_grid_charge_kw == 1.8)
    assert not local.battery_export_allowed.any()


def test_a_plan_needs_prices():
    with pytest.raises(ValueError, match="expected a tariff or a price source"):
        build_request(Config(), Reading(), now=NOW, tariff=None, history=None)


def test_the_uploaded_tariff_cache_is_asked_per_local_day():
    asked: list[date] = []

    def uploaded_for(day):
        asked.append(day)
        return None, "not today"

    limits = control_limits(
        Config(),
        Reading(),
        horizon(NOW, 30, LONDON),
        get_tariff("flux", "C"),
        Capabilities.fleet(),
        uploaded_for,
    )
    assert not (limits.max_grid_charge_kw > 1.8).any()  # nothing uploaded: the reserve rate
    assert set(asked) == {date(2025, 1, 15), date(2025, 1, 16)}


def test_a_weather_provider_that_is_down_is_said_in_the_request_and_the_plan(httpserver, tmp_path):
    """``plan`` and ``run`` forecast with the config's forecaster; when its provider fails
    the history forecast stands in and the plan's JSON says so."""
    httpserver.expect_request("/v1/forecast").respond_with_data("", status=503)
    weather = {"provider": "open-meteo", "open_meteo_url": httpserver.url_for("/v1/forecast")}
    config = Config(gateway={"host": "127.0.0.1"}, forecast={"weather": weather})
    request = build_request(
        config,
        Reading(),
        now=NOW,
        tariff=get_tariff("flux", "C"),
        history=None,
        forecasting=Forecasting(forecaster_for(config, tmp_path), Refit(60.0)),
    )
    host = f"{httpserver.host}:{httpserver.port}"
    expected = f"solar from history: open-meteo: {host} answered HTTP 503"
    assert request.forecast_notes == (expected,)
    assert plan_cycle(request, config).to_json_dict()["forecast_notes"] == [expected]
