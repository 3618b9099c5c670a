"""Rule conditions per slot, targets, and predictable conflict resolution."""

from __future__ import annotations

from datetime import UTC, date

from optimiser.domain.slots import SlotGrid
from rules import RuleEnvironment, evaluate, loads_rules

# Sunday 2026-03-29 is the spring clock change: 46 half-hours in London.
DAY = SlotGrid.local_days(date(2026, 3, 28), days=2)  # Sat + Sun (DST)
NOW = DAY.start


def env(**overrides) -> RuleEnvironment:
    n = DAY.count
    values = {
        "grid": DAY,
        "import_price": [20.0 if t % 48 < 10 else 35.0 for t in range(n)],
        "export_price": [15.0] * n,
        "load_kw": [0.5] * n,
        "solar_kw": [1.0 if 16 <= t % 48 < 32 else 0.0 for t in range(n)],
        "now": NOW,
    }
    values.update(overrides)
    return RuleEnvironment(**values)


def fired(text: str, **overrides) -> tuple[int, ...]:
    rules = loads_rules(text)
    return evaluate(rules, env(**overrides)).fired[rules.rules[0].name]


def local_hours(slots):
    return sorted({DAY.slot_start(t).astimezone(DAY_TZ).strftime("%a %H:%M") for t in slots})


DAY_TZ = __import__("zoneinfo").ZoneInfo("Europe/London")


def test_time_window_crossing_midnight_in_local_time_across_dst():
    slots = fired("rules: [{name: night, when: {time: '23:00-01:00'}, do: {hold: true}}]")
    assert local_hours(slots) == [
        "Sat 00:00",
        "Sat 00:30",
        "Sat 23:00",
        "Sat 23:30",
        "Sun 00:00",
        "Sun 00:30",
        "Sun 23:00",
        "Sun 23:30",
    ]


def test_days_dates_and_ranges():
    assert len(fired("rules: [{name: s, when: {days: [sun]}, do: {hold: true}}]")) == 46
    assert len(fired("rules: [{name: s, when: {dates: [2026-03-28]}, do: {hold: true}}]")) == 48
    text = (
        "rules: [{name: s, when: {between: {from: 2026-03-29, to: 2026-04-02}}, do: {hold: true}}]"
    )
    assert len(fired(text)) == 46


def test_price_forecast_soc_grid_and_context_conditions():
    assert (
        len(fired("rules: [{name: p, when: {price: {import: {below: 25}}}, do: {hold: true}}]"))
        == 20
    )
    text = "rules: [{name: f, when: {forecast: {solar_today_kwh: {above: 7}}}, do: {hold: true}}]"
    assert len(fired(text)) == 94  # 16 slots x 0.5 h x 1 kW = 8 kWh each day
    text = (
        "rules: [{name: f, when: {forecast: {solar_tomorrow_kwh: {above: 7}}}, do: {hold: true}}]"
    )
    assert len(fired(text)) == 48  # Sunday has no tomorrow in the horizon
    soc = "rules: [{name: s, when: {soc_percent: {below: 30}}, do: {hold: true}}]"
    assert fired(soc, soc_app_percent=20) and not fired(soc, soc_app_percent=50)
    assert not fired(soc)  # unknown state of charge: the condition is false
    grid = "rules: [{name: g, when: {grid: down}, do: {hold: true}}]"
    assert fired(grid, grid_up=False) and not fired(grid)
    ctx = "rules: [{name: c, when: {context: storm}, do: {hold: true}}]"
    assert fired(ctx, context={"storm": True}) and not fired(ctx, context={"storm": False})
    assert not fired(ctx)


def test_reach_targets_land_on_the_slot_ending_at_the_local_time():
    rules = loads_rules("rules: [{name: r, do: {reach: {percent: 90, by: '07:00'}}}]")
    targets = evaluate(rules, env()).targets
    ends = [DAY.slot_start(t.slot + 1).isoformat() for t in targets]
    assert ends == ["2026-03-28T07:00:00+00:00", "2026-03-29T06:00:00+00:00"]


def test_higher_priority_wins_and_the_loser_is_reported():
    rules = loads_rules(
        """
rules:
  - {name: low, do: {max_soc_percent: 80}}
  - {name: high, priority: 5, when: {time: '00:00-06:00'}, do: {max_soc_percent: 95}}
"""
    )
    effects = evaluate(rules, env())
    assert effects.max_soc_percent[0].value == 95 and effects.max_soc_percent[0].rule == "high"
    assert effects.max_soc_percent[20].value == 80
    [conflict] = effects.conflicts
    assert (conflict.winner, conflict.loser, conflict.action) == ("high", "low", "max_soc_percent")
    assert len(conflict.slots) == 22  # 12 on Saturday, 10 on Sunday (01:00-02:00 never happens)


def test_floor_above_ceiling_is_clipped_to_the_higher_ranked_rule():
    rules = loads_rules(
        """
rules:
  - {name: storm, do: {min_reserve: {percent: 80}}}
  - {name: headroom, do: {max_soc_percent: 60}}
"""
    )
    effects = evaluate(rules, env())
    assert effects.min_reserve[0].value.percent == 80
    assert effects.max_soc_percent[0].value == 80
    [conflict] = effects.conflicts
    assert conflict.detail == (
        "reserve floor above maximum state of charge: 'headroom' wanted at most 60%, "
        "clipped to 80% for 'storm' (kept 'storm')"
    )


def test_extra_loads_add_up_and_expired_rules_are_skipped():
    rules = loads_rules(
        """
rules:
  - {name: car1, do: {extra_load: {kw: 7}}}
  - {name: car2, do: {extra_load: {kw: 3}}}
  - {name: old, expires: 2020-01-01T00:00:00Z, do: {hold: true}}
"""
    )
    effects = evaluate(rules, env())
    assert effects.extra_load_kw[0] == 10
    assert all(h is None for h in effects.hold)
    assert any("expired" in note for note in effects.notes)


def test_disabled_rules_do_not_fire():
    assert (
        "off"
        not in evaluate(
            loads_rules("rules: [{name: 'off', enabled: false, do: {hold: true}}]"), env()
        ).fired
    )


def test_now_is_aware():
    assert NOW.tzinfo is UTC
