"""Write a trace as the recorded-data CSV a gateway logger would produce (for fixtures).

Columns: ``timestamp`` (ISO 8601 with the local UTC offset), ``load_w``, ``solar_w``,
``site_w`` (load − solar − battery: > 0 importing), ``grid_status``, then any optional columns
given (``battery_w``, ``soe_percent``, ``mode``, ``reserve_percent``). Real readings are not
clean: solar reads about −10 W at night and every meter has a little noise, so the writer adds
both (seeded), while the trace itself stays clean.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.domain.slots import LONDON
from optimiser.domain.traces import Trace

OPTIONAL_COLUMNS = ("battery_w", "soe_percent", "mode", "reserve_percent")


def write_recorded_csv(
    trace: Trace,
    path: Path | str,
    *,
    noise: float = 0.0,
    night_solar_w: float = -10.0,
    seed: int = 0,
    tz: ZoneInfo = LONDON,
    grid_status: str = "SystemGridConnected",
    columns: Mapping[str, Sequence[object] | np.ndarray] | None = None,
) -> Path:
    """Write ``trace`` as a recorded-data CSV and return the path.

    Parameters
    ----------
    noise : float
        Standard deviation of multiplicative meter noise, as a fraction of each reading. [-]
    night_solar_w : float
        What the solar meter reads when the trace has no sun (real meters: about −10 W). [W]
    seed : int
        Seed for the noise.
    tz : ZoneInfo
        Zone whose offset the timestamps carry.
    columns : mapping, optional
        Extra columns from ``OPTIONAL_COLUMNS``, one value per sample; ``battery_w`` (> 0
        discharging) enters ``site_w``.
    """
    extra = dict(columns or {})
    unknown = sorted(set(extra) - set(OPTIONAL_COLUMNS))
    if unknown:
        raise ValueError(f"unknown CSV columns {unknown}; expected some of {OPTIONAL_COLUMNS}")
    n = len(trace.epoch_s)
    for name, values in extra.items():
        if len(values) != n:
            raise ValueError(f"column {name} has {len(values)} values for {n} samples")
    rng = np.random.default_rng(seed)
    load_w = trace.load_kw * 1000.0 * (1.0 + noise * rng.standard_normal(n))
    solar_w = trace.solar_kw * 1000.0 * (1.0 + noise * rng.standard_normal(n))
    solar_w = np.where(trace.solar_kw > 0, np.maximum(solar_w, 0.0), night_solar_w)
    load_w = np.maximum(load_w, 0.0)
    battery_w = np.asarray(extra.get("battery_w", np.zeros(n)), dtype=float)
    site_w = load_w - solar_w - battery_w
    names = ["timestamp", "load_w", "solar_w", "site_w", "grid_status", *extra]
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for i in range(n):
            stamp = datetime.fromtimestamp(float(trace.epoch_s[i]), UTC).astimezone(tz)
            row: list[object] = [
                stamp.isoformat(),
                f"{load_w[i]:.1f}",
                f"{solar_w[i]:.1f}",
                f"{site_w[i]:.1f}",
                grid_status,
            ]
            row.extend(extra[name][i] for name in extra)
            writer.writerow(row)
    return path
