"""How good the forecasts are on realistic households, and what their errors cost.

Run from the repository root::

    python benchmarks/forecast_quality.py                          # held-back part, a year
    python benchmarks/forecast_quality.py --households 2 --days 60 # a few minutes
    python benchmarks/forecast_quality.py --part tuning            # while tuning forecasters

Data: :mod:`simulations.datasets.realistic` (tune on ``--part tuning``; report final figures
on ``--part held-back``, the default). For each household the production
:class:`~optimiser.forecast.HistoryForecaster` (public ``forecast(grid, history, now)``, the
household's array in the config, 42 days of history before the first day) is scored on 30-min
slot means against the truth:

- **day-ahead**: issued at 21:00 local for the next local day's 48 slots;
- **intraday**: issued every 3 hours for the next 6 hours (12 slots).

MAE, RMSE and bias (forecast − truth) are in kW over all slots (night included for solar);
``nMAE`` is MAE over the mean truth. Then the replay (``simulations.replay``'s public API, as
``wattplan simulate`` runs it: Octopus Flux region C, the default battery and Fleet control)
runs the closed loop with history forecasts and with perfect ones; capture is the share of the
perfect-foresight savings over no battery that each keeps.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser.config import Config, ForecastConfig
from optimiser.domain.history import History
from optimiser.domain.slots import SlotGrid
from optimiser.forecast import HistoryForecaster, PerfectForecaster
from simulations.datasets.realistic import HELD_BACK, TUNING, household, realistic_trace
from simulations.replay import (
    ClosedLoopOptions,
    ReplayData,
    SiteModel,
    period_prices,
    run_closed_loop,
    run_strategy,
)
from tariffs import get_tariff

TZ = ZoneInfo("Europe/London")
HISTORY_DAYS = 42
DAY_AHEAD_ISSUE_H = 21
INTRADAY_EVERY_H = 3
INTRADAY_HOURS = 6


def _errors(forecast: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    error = forecast - truth
    mean = float(np.mean(truth))
    mae = float(np.mean(np.abs(error)))
    return {
        "mae_kw": round(mae, 4),
        "rmse_kw": round(float(np.sqrt(np.mean(error**2))), 4),
        "bias_kw": round(float(np.mean(error)), 4),
        "nmae": round(mae / mean, 4) if mean > 0 else None,
        "mean_kw": round(mean, 4),
    }


def forecast_errors(key: str, start: date, days: int) -> dict[str, dict]:
    """Day-ahead and intraday errors of the history forecaster for household ``key``."""
    h = household(key)
    t0 = datetime(start.year, start.month, start.day, tzinfo=TZ)
    t1 = t0 + timedelta(days=days)
    trace = realistic_trace(key, t0 - timedelta(days=HISTORY_DAYS), t1)
    history = History.from_trace(
        realistic_trace(key, t0 - timedelta(days=HISTORY_DAYS), t1, step_minutes=15)
    )
    forecaster = HistoryForecaster(h.site(), ForecastConfig())
    truth = PerfectForecaster(trace)
    pairs: dict[str, tuple[list, list, list, list]] = {
        name: ([], [], [], []) for name in ("day_ahead", "intraday")
    }
    for d in range(days):
        day = (t0 + timedelta(days=d)).date()
        midnight = datetime(day.year, day.month, day.day, tzinfo=TZ)
        next_midnight = datetime.combine(day + timedelta(days=1), midnight.timetz())
        issues = [
            (
                "day_ahead",
                midnight - timedelta(hours=24 - DAY_AHEAD_ISSUE_H),
                midnight,
                next_midnight,
            )
        ]
        for hour in range(0, 24, INTRADAY_EVERY_H):
            now = datetime(day.year, day.month, day.day, hour, tzinfo=TZ)
            issues.append(("intraday", now, now, now + timedelta(hours=INTRADAY_HOURS)))
        for name, now, a, b in issues:
            grid = SlotGrid.covering(a, b, 30)
            made = forecaster.forecast(grid, history, now)
            real = truth.forecast(grid, None, now)
            load_f, load_t, solar_f, solar_t = pairs[name]
            load_f.append(made.load_kw)
            load_t.append(real.load_kw)
            solar_f.append(made.solar_kw)
            solar_t.append(real.solar_kw)
    out = {}
    for name, (load_f, load_t, solar_f, solar_t) in pairs.items():
        out[name] = {
            "load": _errors(np.concatenate(load_f), np.concatenate(load_t)),
            "solar": _errors(np.concatenate(solar_f), np.concatenate(solar_t)),
        }
    return out


def capture(key: str, start: date, days: int) -> dict[str, float]:
    """The replay's capture with history and with perfect forecasts (Flux, region C)."""
    h = household(key)
    t0 = datetime(start.year, start.month, start.day, tzinfo=TZ)
    t1 = t0 + timedelta(days=days)
    trace = realistic_trace(key, t0, t1)
    history = History.from_trace(
        realistic_trace(key, t0 - timedelta(days=HISTORY_DAYS), t1, step_minutes=15)
    )
    data = ReplayData(trace, history, f"realistic {key} {start} +{days}d")
    site = SiteModel.from_config(Config(site=h.site()))
    prices = period_prices(get_tariff("flux", "C"), data.start, data.end, 30, 25.0)
    none = run_strategy("no-battery", data, prices, site)
    best = run_strategy("perfect-foresight", data, prices, site)
    possible = none.cost_gbp - best.cost_gbp
    out = {"no_battery_gbp": round(none.cost_gbp, 2), "possible_savings_gbp": round(possible, 2)}
    for forecasts in ("history", "perfect"):
        run = run_closed_loop(data, prices, site, options=ClosedLoopOptions(forecasts=forecasts))
        saved = none.cost_gbp - run.cost_gbp
        out[f"{forecasts}_savings_gbp"] = round(saved, 2)
        out[f"{forecasts}_capture"] = round(saved / possible, 3) if possible > 1e-9 else None
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("held-back", "tuning", "all"), default="held-back")
    parser.add_argument("--households", type=int, help="only the first N of the part")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--no-replay", action="store_true", help="forecast errors only")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures")
    args = parser.parse_args()
    keys = {"held-back": HELD_BACK, "tuning": TUNING, "all": TUNING + HELD_BACK}[args.part]
    keys = tuple(sorted(keys))[: args.households]
    print(f"{args.part} households {', '.join(keys)}: {args.start} +{args.days} days")
    header = f"{'':4} {'':10} {'':6} {'MAE kW':>8} {'RMSE kW':>8} {'bias kW':>8} {'nMAE':>6}"
    results = {}
    for key in keys:
        began = time.perf_counter()
        errors = forecast_errors(key, args.start, args.days)
        results[key] = {"description": household(key).description, "forecast": errors}
        print(f"\n{key}: {household(key).description}")
        print(header)
        for horizon, parts in errors.items():
            for quantity, e in parts.items():
                nmae = "—" if e["nmae"] is None else f"{100 * e['nmae']:.0f}%"
                print(
                    f"{'':4} {horizon:10} {quantity:6} {e['mae_kw']:8.3f} {e['rmse_kw']:8.3f} "
                    f"{e['bias_kw']:+8.3f} {nmae:>6}"
                )
        if not args.no_replay:
            c = capture(key, args.start, args.days)
            results[key]["replay"] = c
            print(
                f"     replay (Flux C): possible £{c['possible_savings_gbp']:.2f}; capture "
                f"history {c['history_capture']:.3f}, perfect forecasts {c['perfect_capture']:.3f}"
            )
        print(f"     ({time.perf_counter() - began:.0f} s)")
    if not args.no_replay and results:
        history = [r["replay"]["history_capture"] for r in results.values()]
        perfect = [r["replay"]["perfect_capture"] for r in results.values()]
        print(
            f"\nmean capture: history {np.mean(history):.3f}, perfect forecasts "
            f"{np.mean(perfect):.3f} (gap {np.mean(perfect) - np.mean(history):.3f})"
        )
    if args.json:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        payload = {"made": stamp, "args": {k: str(v) for k, v in vars(args).items()}}
        args.json.write_text(json.dumps(payload | {"households": results}, indent=2) + "\n")
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
