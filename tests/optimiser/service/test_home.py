"""What the home tells the service, folded into context and rules (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from optimiser.config import Config
from optimiser.domain.slots import SlotGrid
from optimiser.service import (
    ContextFact,
    ControlSwitch,
    HomeInputs,
    ManualMode,
    ModeOverride,
    ReplanNow,
    ReserveFloor,
)
from optimiser.service.home import FLOOR_RULE, HOME_PRIORITY, OVERRIDE_KEY, override_rule
from rules.context import Context, ContextEntry
from rules.evaluate import RuleEnvironment, evaluate
from rules.schema import ForceMode, RulesFile

NOW = datetime(2025, 1, 15, 17, 10, tzinfo=UTC)
USER_RULES = RulesFile.model_validate({"rules": [{"name": "evening", "do": {"hold": True}}]})


def test_messages_change_the_inputs_and_say_so():
    home, changes = HomeInputs().taking(
        [
            ContextFact("storm_warning", True, timedelta(hours=6)),
            ModeOverride(ManualMode.HOLD, timedelta(minutes=2)),
            ReserveFloor(40.0),
            ControlSwitch(False),
            ReplanNow(),
        ],
        NOW,
    )
    assert home.facts["storm_warning"] == ContextEntry(True, NOW + timedelta(hours=6), "home")
    assert home.override.mode is ManualMode.HOLD and home.override.until == NOW + timedelta(
        minutes=2
    )
    assert home.reserve_floor_percent == 40.0 and home.control_on is False
    assert changes == [
        "context storm_warning=True until 2025-01-15 23:10 UTC",
        "manual hold until 2025-01-15 17:12 UTC",
        "reserve floor 40%",
        "control off (dry run)",
        "re-plan now",
    ]
    assert home.next_lapse() == NOW + timedelta(minutes=2)
    assert home.held()


def test_what_changes_nothing_is_not_a_change():
    home = HomeInputs()
    same, changes = home.taking(
        [ModeOverride(ManualMode.AUTO), ControlSwitch(True), ContextFact("away", None)], NOW
    )
    assert same == home and changes == []


def test_the_override_and_facts_lapse_by_themselves():
    home, _ = HomeInputs().taking(
        [
            ModeOverride(ManualMode.CHARGE, timedelta(minutes=2)),
            ContextFact("away", True, NOW + timedelta(minutes=1)),
        ],
        NOW,
    )
    later, changes = home.lapsed(NOW + timedelta(minutes=2))
    assert later.override is None and "away" not in later.facts
    assert changes == ["context away expired", "manual charge lapsed: back to the plan"]
    assert later.next_lapse() is None


def test_context_merges_the_home_over_the_user():
    user = Context({"away": ContextEntry(False, None, "--context"), "guests": ContextEntry(2)})
    home, _ = HomeInputs().taking(
        [ContextFact("away", True), ModeOverride(ManualMode.EXPORT, timedelta(minutes=30))], NOW
    )
    merged = home.context(user).active(NOW)
    assert merged == {"away": True, "guests": 2, OVERRIDE_KEY: "export"}
    assert home.context(user).expiries(NOW) == {OVERRIDE_KEY: NOW + timedelta(minutes=30)}


def test_rules_put_the_home_first_and_leave_the_user_alone():
    home, _ = HomeInputs().taking(
        [ReserveFloor(50.0), ModeOverride(ManualMode.SELF_POWERED, timedelta(minutes=30))], NOW
    )
    rules = home.rules(USER_RULES, floor_percent=20.0)
    assert [r.name for r in rules.ordered()] == [FLOOR_RULE, "home: manual self_powered", "evening"]
    assert rules.rules[0].priority == HOME_PRIORITY
    assert rules.rules[1].do.force_mode is ForceMode.SELF_CONSUMPTION
    assert HomeInputs().rules(USER_RULES, floor_percent=20.0) is USER_RULES
    assert HomeInputs().rules(None, floor_percent=20.0) is None


@pytest.mark.parametrize(
    ("mode", "check"),
    [
        (ManualMode.HOLD, lambda do: do.hold and do.no_export == "battery"),
        (ManualMode.CHARGE, lambda do: do.min_reserve.percent == 100 and do.min_reserve.hard),
        (ManualMode.EXPORT, lambda do: do.max_soc_percent == 20.0),
        (ManualMode.SELF_POWERED, lambda do: do.force_mode is ForceMode.SELF_CONSUMPTION),
    ],
)
def test_each_manual_mode_is_a_rule(mode, check):
    assert check(override_rule(mode, floor_percent=20.0).do)


def test_auto_is_no_rule():
    with pytest.raises(ValueError, match="other than auto"):
        override_rule(ManualMode.AUTO, floor_percent=20.0)


def test_the_override_fires_only_in_slots_that_start_before_it_lapses():
    home, _ = HomeInputs().taking([ModeOverride(ManualMode.HOLD, timedelta(minutes=30))], NOW)
    grid = SlotGrid.covering(NOW, NOW + timedelta(hours=2))  # 17:00 … 19:00
    context = home.context(None)
    env = RuleEnvironment(
        grid=grid,
        import_price=[30.0] * grid.count,
        export_price=[15.0] * grid.count,
        load_kw=[1.0] * grid.count,
        solar_kw=[0.0] * grid.count,
        now=NOW,
        context=context.active(NOW),
        context_expires=context.expiries(NOW),
    )
    effects = evaluate(home.rules(None, floor_percent=20.0), env)
    assert effects.fired["home: manual hold"] == (0, 1)  # 17:00 and 17:30; it lapses at 17:40


def test_no_flip_hysteresis_while_an_override_is_in_force():
    config = Config()
    assert HomeInputs().control_config(config) is config
    home, _ = HomeInputs().taking([ModeOverride(ManualMode.HOLD, timedelta(minutes=30))], NOW)
    assert home.control_config(config).control.flip_value_gbp == 0
    assert home.control_config(config).planner == config.planner
