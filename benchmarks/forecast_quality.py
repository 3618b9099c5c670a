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
``nMAE`` is MAE over the mean truth. The same is scored for **provider** forecasts: history load
and the solar of a synthetic weather provider
(:mod:`simulations.datasets.synthetic_forecasts`: issued every 6 hours from the truth with
error growing with lead time and with broken cloud), through the archive the replay reads.
Then the replay (``simulations.replay``'s public API, as ``wattplan simulate`` runs it: Octopus
Flux region C, the default battery, Fleet control within the ``observed`` limits of 20 writes a
day) runs the closed loop with history forecasts, with the synthetic provider's solar, and with
perfect forecasts; capture is the share of the perfect-foresight savings over no battery that
each keeps. ``--forecasts`` picks which. ``--before`` replays the history forecaster as it was
before the recent-level and today's-sky terms, with the history read only at start and nightly
(``solar_today_weight: 0``, ``load_level_weight: 0``, ``history_refresh_minutes: 1440``).
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
from optimiser.domain.slots import SlotGrid
from optimiser.forecast import Forecaster, HistoryForecaster, PerfectForecaster
from optimiser.forecast.weather import ForecastArchive, WeatherForecaster
from simulations.datasets.realistic import HELD_BACK, TUNING, household, realistic_trace
from simulations.datasets.synthetic_forecasts import synthetic_archive
from simulations.replay import (
    ClosedLoopOptions,
    ForecastMode,
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
FORECASTS = ("history", "provider", "perfect")  # replayed; errors are scored for the first two


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


def archive_for(key: str, start: date, days: int) -> ForecastArchive:
    """The synthetic provider's issued forecasts for household ``key`` over the period."""
    h = household(key)
    t0 = datetime(start.year, start.month, start.day, tzinfo=TZ)
    t1 = t0 + timedelta(days=days)
    trace = realistic_trace(key, t0 - timedelta(days=3), t1 + timedelta(days=4))
    seed = 1000 + int(key.removeprefix("h"))
    return synthetic_archive(trace, h.array(), t0 - timedelta(days=1), t1, seed=seed)


BEFORE = ForecastConfig(solar_today_weight=0.0, load_level_weight=0.0, history_refresh_minutes=1440)


def forecaster_for(
    key: str, name: str, archive: ForecastArchive | None, config: ForecastConfig
) -> Forecaster:
    """The history forecaster, or history load with the archive's solar (``provider``)."""
    history = HistoryForecaster(household(key).site(), config)
    if name == "provider":
        assert archive is not None
        return WeatherForecaster(history, archive)
    return history


def forecast_errors(key: str, start: date, days: int, forecaster: Forecaster) -> dict[str, dict]:
    """Day-ahead and intraday errors of ``forecaster`` for household ``key``."""
    t0 = datetime(start.year, start.month, start.day, tzinfo=TZ)
    t1 = t0 + timedelta(days=days)
    trace = realistic_trace(key, t0 - timedelta(days=HISTORY_DAYS), t1)
    history = realistic_trace(key, t0 - timedelta(days=HISTORY_DAYS), t1, step_minutes=15)
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


def capture(
    key: str,
    start: date,
    days: int,
    forecasts: tuple[str, ...],
    archive: ForecastArchive | None,
    config: ForecastConfig,
) -> dict[str, float]:
    """The replay's capture with each of ``forecasts`` (Flux, region C)."""
    h = household(key)
    t0 = datetime(start.year, start.month, start.day, tzinfo=TZ)
    t1 = t0 + timedelta(days=days)
    trace = realistic_trace(key, t0, t1)
    history = realistic_trace(key, t0 - timedelta(days=HISTORY_DAYS), t1, step_minutes=15)
    data = ReplayData(trace, history, f"realistic {key} {start} +{days}d")
    site = SiteModel.from_config(Config(site=h.site(), forecast=config))
    prices = period_prices(get_tariff("flux", "C"), data.start, data.end, 30, 25.0)
    none = run_strategy("no-battery", data, prices, site)
    best = run_strategy("perfect-foresight", data, prices, site)
    possible = none.cost_gbp - best.cost_gbp
    out = {"no_battery_gbp": round(none.cost_gbp, 2), "possible_savings_gbp": round(possible, 2)}
    for name in forecasts:
        options = ClosedLoopOptions(
            forecasts=ForecastMode.PERFECT if name == "perfect" else ForecastMode.HISTORY,
            forecast_archive=archive if name == "provider" else None,
        )
        run = run_closed_loop(data, prices, site, options=options)
        saved = none.cost_gbp - run.cost_gbp
        out[f"{name}_savings_gbp"] = round(saved, 2)
        out[f"{name}_capture"] = round(saved / possible, 3) if possible > 1e-9 else None
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("held-back", "tuning", "all"), default="held-back")
    parser.add_argument("--households", type=int, help="only the first N of the part")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--no-replay", action="store_true", help="forecast errors only")
    parser.add_argument(
        "--before",
        action="store_true",
        help="the history forecaster without the recent-level and today's-sky terms, history "
        "read nightly (the figures before they were added)",
    )
    parser.add_argument(
        "--forecasts",
        nargs="+",
        choices=FORECASTS,
        default=list(FORECASTS),
        help="which forecasts to score and replay (default: all)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures")
    args = parser.parse_args()
    keys = {"held-back": HELD_BACK, "tuning": TUNING, "all": TUNING + HELD_BACK}[args.part]
    keys = tuple(sorted(keys))[: args.households]
    print(f"{args.part} households {', '.join(keys)}: {args.start} +{args.days} days")
    header = f"{'':4} {'':10} {'':6} {'MAE kW':>8} {'RMSE kW':>8} {'bias kW':>8} {'nMAE':>6}"
    results = {}
    forecasts = tuple(f for f in FORECASTS if f in args.forecasts)
    config = BEFORE if args.before else ForecastConfig()
    for key in keys:
        began = time.perf_counter()
        archive = archive_for(key, args.start, args.days) if "provider" in forecasts else None
        results[key] = {"description": household(key).description, "forecast": {}}
        print(f"\n{key}: {household(key).description}")
        print(header)
        for name in forecasts:
            if name == "perfect":
                continue
            forecaster = forecaster_for(key, name, archive, config)
            errors = forecast_errors(key, args.start, args.days, forecaster)
            results[key]["forecast"][name] = errors
            for horizon, parts in errors.items():
                for quantity, e in parts.items():
                    nmae = "—" if e["nmae"] is None else f"{100 * e['nmae']:.0f}%"
                    print(
                        f"{name[:4]:4} {horizon:10} {quantity:6} {e['mae_kw']:8.3f} "
                        f"{e['rmse_kw']:8.3f} {e['bias_kw']:+8.3f} {nmae:>6}"
                    )
        if not args.no_replay:
            c = capture(key, args.start, args.days, forecasts, archive, config)
            results[key]["replay"] = c
            captures = ", ".join(f"{name} {c[f'{name}_capture']:.3f}" for name in forecasts)
            possible = c["possible_savings_gbp"]
            print(f"     replay (Flux C): possible £{possible:.2f}; capture {captures}")
        print(f"     ({time.perf_counter() - began:.0f} s)")
    if not args.no_replay and results:
        means = {
            name: float(np.mean([r["replay"][f"{name}_capture"] for r in results.values()]))
            for name in forecasts
        }
        print("\nmean capture: " + ", ".join(f"{n} {v:.3f}" for n, v in means.items()))
    if args.json:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        payload = {"made": stamp, "args": {k: str(v) for k, v in vars(args).items()}}
        args.json.write_text(json.dumps(payload | {"households": results}, indent=2) + "\n")
        print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
