"""The sweep's axes: battery and budget values, defaults, and the cells per household."""

from __future__ import annotations

import pytest

from simulations.replay import ReplayError, Strategy
from simulations.sweep import CONFIG_BUDGET, Axes, Battery, Budget


def test_battery_reads_capacity_and_power():
    assert Battery.parse("13.5/5") == Battery(13.5, 5.0)
    assert Battery.parse("27/10").label == "27/10"


@pytest.mark.parametrize("text", ["13.5", "13.5/", "a/5", "0/5", "13.5/-1", "1/2/3"])
def test_a_bad_battery_says_what_was_expected(text):
    with pytest.raises(ReplayError, match=r"CAPACITY_KWH/POWER_KW.*" + repr(text)[1:-1]):
        Battery.parse(text)


def test_budgets_are_profiles_numbers_or_unlimited():
    assert Budget.parse("documented") == Budget("documented", 5)
    assert Budget.parse("observed") == Budget("observed", 20)
    assert Budget.parse("8") == Budget("8", 8)
    assert Budget.parse("unlimited") == Budget("unlimited", None)
    with pytest.raises(ReplayError, match="--budget: expected documented, observed"):
        Budget.parse("0")


def test_defaults_and_references():
    axes = Axes.parse(tariffs=["flux"], regions=["c"], strategies=[], batteries=[], budgets=[])
    assert axes.strategies == (Strategy.WATTPLAN, Strategy.NO_BATTERY, Strategy.PERFECT_FORESIGHT)
    assert axes.batteries == (Battery(13.5, 5.0),)
    assert axes.budgets == (CONFIG_BUDGET,)
    assert axes.regions == ("C",)


def test_cells_per_household_counts_what_each_strategy_depends_on():
    axes = Axes.parse(
        tariffs=["flux", "agile", "mine.yaml"],
        regions=["A", "C"],
        strategies=["wattplan", "time-based"],
        batteries=["13.5/5", "27/10"],
        budgets=["documented", "unlimited"],
    )
    # flux and agile in two regions, the file once: 5 priced; per priced: no-battery once,
    # per battery wattplan × 2 budgets + time-based + perfect-foresight.
    assert axes.priced()[-1] == ("mine.yaml", None)
    assert axes.cells_per_household == 5 * (1 + 2 * (2 + 1 + 1))


def test_an_unknown_strategy_is_refused():
    with pytest.raises(ReplayError, match="--strategy: expected some of"):
        Axes.parse(tariffs=["flux"], regions=["C"], strategies=["yolo"], batteries=[], budgets=[])
