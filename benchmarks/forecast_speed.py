"""How long the demo year takes to generate, and one forecast to make.

Run: ``python benchmarks/forecast_speed.py`` from the repository root.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimiser.config import ForecastConfig, SiteConfig
from optimiser.domain.slots import SlotGrid
from optimiser.forecast import HistoryForecaster
from simulations.datasets import demo_year


def _timed(func, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    first, _ = _timed(demo_year, 1)
    median, year = _timed(demo_year, 5)
    print(
        f"demo year at 5 min ({len(year.epoch_s)} samples): first {first:.3f} s, "
        f"median of 5 {median:.3f} s"
    )
    history = year
    forecaster = HistoryForecaster(SiteConfig(), ForecastConfig())
    now = datetime(2025, 6, 15, 13, 7, tzinfo=UTC)
    for minutes, hours in ((30, 36), (30, 48), (5, 48)):
        grid = SlotGrid.covering(now, now + timedelta(hours=hours), minutes)
        with_history, _ = _timed(lambda g=grid: forecaster.forecast(g, history, now), 20)
        default, _ = _timed(lambda g=grid: forecaster.forecast(g, None, now), 20)
        print(
            f"forecast {grid.count} x {minutes}-min slots: with a year of history "
            f"{with_history * 1000:.1f} ms, no history {default * 1000:.1f} ms (median of 20)"
        )


if __name__ == "__main__":
    main()
