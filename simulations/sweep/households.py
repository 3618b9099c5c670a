"""The households a sweep replays: recordings on disk, or a generated population.

A household is small and picklable (a path, or the parameters of a generated home), so the
scheduler ships it to a worker, which reads or generates the data itself
(:meth:`Recording.load`, :meth:`Generated.load`): nothing large crosses the network.

A population (:func:`population`) draws each home from the realistic generator
(:mod:`simulations.datasets.realistic`): one of its six households' occupancy, habits and
location, with its own seed (weather and behaviour), demand level (0.6–1.6×), heating (a
quarter with an air-source heat pump) and PV array (none in 15 %, else 2–8 kWp facing SE to
SW). Household ``i`` depends only on the population seed and ``i``, so a larger population
with the same seed contains the smaller one (and a resumed sweep finds the same homes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from optimiser.config import Config
from simulations.datasets.realistic import HOUSEHOLDS, Heating, RealisticHousehold, household_trace
from simulations.replay.data import ReplayData, generated_data, load_data
from simulations.replay.errors import ReplayError

HISTORY_DAYS = 42  # generated days before the period, for the forecasts [days]
DEFAULT_START = date(2025, 1, 1)  # a generated population's first day (local)
HEAT_PUMP_SHARE = 0.25
NO_PV_SHARE = 0.15


@dataclass(frozen=True)
class Window:
    """Which part of each household's data to replay.

    Attributes
    ----------
    start : date or None
        First local day (recordings: default their first whole slot; generated: 1 Jan 2025).
    days : int or None
        Days to replay (default: recordings to their end, generated a year).
    step_minutes : float or None
        Resample to this step (default: recordings their own, generated 5). [min]
    """

    start: date | None = None
    days: int | None = None
    step_minutes: float | None = None

    def generated_period(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """A generated home's period: local midnights from ``start`` (default 1 Jan 2025)
        for ``days`` (default 365)."""
        first = self.start or DEFAULT_START
        t0 = datetime.combine(first, time(0), tz)
        return t0, datetime.combine(first + timedelta(days=self.days or 365), time(0), tz)


@dataclass(frozen=True)
class Recording:
    """A recording (the recorder's SQLite file or recorded-data CSV) at a path the workers
    can read."""

    key: str
    path: str

    @property
    def source(self) -> str:
        """Where the data comes from."""
        return self.path

    def attributes(self) -> dict[str, str | float | None]:
        """What is known of the home besides its data (nothing, for a recording)."""
        return {"occupancy": None, "heating": None, "annual_kwh": None, "kwp": None}

    def load(self, window: Window, config: Config) -> tuple[ReplayData, Config]:
        """The data to replay, as ``wattplan simulate --data`` reads it, and the config."""
        tz = ZoneInfo(config.site.timezone)
        data = load_data(Path(self.path), step_minutes=window.step_minutes)
        return data.window(window.start, window.days, tz, config.planner.slot_minutes), config


@dataclass(frozen=True)
class Generated:
    """A home drawn by :func:`population`."""

    key: str
    home: RealisticHousehold

    @property
    def source(self) -> str:
        """Where the data comes from."""
        return f"generated: {self.home.description}"

    def attributes(self) -> dict[str, str | float | None]:
        """Occupancy, heating, non-heating demand [kWh/year] and PV [kWp]."""
        return {
            "occupancy": self.home.occupancy.value,
            "heating": self.home.heating.value,
            "annual_kwh": float(self.home.shape.annual_kwh),
            "kwp": float(self.home.kwp),
        }

    def load(self, window: Window, config: Config) -> tuple[ReplayData, Config]:
        """The generated data and the config with this home's location and PV array."""
        tz = ZoneInfo(config.site.timezone)
        step = window.step_minutes or 5
        if step % 5 or 1440 % step:
            raise ReplayError(
                f"--step-minutes: generated homes need a multiple of 5 dividing a day, got {step:g}"
            )
        t0, t1 = window.generated_period(tz)
        trace = household_trace(self.home, t0, t1, step_minutes=int(step))
        warm = household_trace(
            self.home, t0 - timedelta(days=HISTORY_DAYS), t0, step_minutes=int(step)
        )
        data = generated_data(warm, trace, f"{self.key}: {self.home.description}")
        site = config.site.model_copy(
            update={
                "latitude": self.home.latitude,
                "longitude": self.home.longitude,
                "solar": self.home.site().solar,
            }
        )
        return data, config.model_copy(update={"site": site})


Household = Recording | Generated


def recordings(paths: list[Path], list_file: Path | None = None) -> list[Recording]:
    """Recordings: each path a file or a directory of files (not hidden, sorted), then the
    paths listed in ``list_file`` (one a line, relative to its folder; ``#`` comments).

    Keys are the file names without suffixes, made unique with ``-2``, ``-3``…
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            )
        else:
            files.append(path)
    if list_file is not None:
        try:
            lines = list_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ReplayError(f"--list: cannot read {list_file}: {exc.strerror}") from exc
        for line in lines:
            entry = line.split("#", 1)[0].strip()
            if entry:
                files.append(list_file.parent / entry)
    out: list[Recording] = []
    seen: dict[str, int] = {}
    for file in files:
        stem = file.name.split(".", 1)[0] or file.name
        seen[stem] = seen.get(stem, 0) + 1
        key = stem if seen[stem] == 1 else f"{stem}-{seen[stem]}"
        out.append(Recording(key, str(file.resolve())))
    if not out:
        raise ReplayError(f"expected recordings in {', '.join(map(str, paths))}, found none")
    return out


def population(count: int, seed: int) -> list[Generated]:
    """``count`` homes drawn with ``seed`` (see the module docstring)."""
    if count < 1:
        raise ReplayError(f"--population: expected at least 1 household, got {count}")
    return [_draw(seed, i) for i in range(count)]


def _draw(seed: int, index: int) -> Generated:
    rng = np.random.default_rng([seed, index])
    base = HOUSEHOLDS[int(rng.integers(len(HOUSEHOLDS)))]
    size = float(rng.uniform(0.6, 1.6))
    heat_pump = bool(rng.random() < HEAT_PUMP_SHARE)
    no_pv = bool(rng.random() < NO_PV_SHARE)
    kwp = 0.0 if no_pv else round(float(rng.uniform(2.0, 8.0)), 1)
    tilt = round(float(rng.uniform(20.0, 45.0)))
    azimuth = round(float(rng.uniform(120.0, 240.0)))
    heat_loss = round(float(rng.uniform(0.10, 0.25)), 3) if heat_pump else 0.0
    shape = replace(
        base.shape,
        annual_kwh=round(base.shape.annual_kwh * size),
        base_kw=round(base.shape.base_kw * size**0.5, 3),
    )
    heating = Heating.HEAT_PUMP if heat_pump else Heating.GAS
    pv = "no PV" if no_pv else f"{kwp:g} kWp at {azimuth}°"
    home = replace(
        base,
        key=f"s{seed}-{index:05d}",
        description=f"{base.occupancy.value}, {shape.annual_kwh:g} kWh/year, {heating.value}, {pv}",
        seed=int(rng.integers(1, 2**31 - 1)),
        heating=heating,
        shape=shape,
        kwp=kwp,
        tilt_deg=float(tilt),
        azimuth_deg=float(azimuth),
        heat_loss_kw_per_k=heat_loss,
        shower_per_day=round(base.shower_per_day * float(rng.uniform(0.5, 1.5)), 2),
        dryer_per_week=round(base.dryer_per_week * float(rng.uniform(0.5, 1.5)), 2),
    )
    return Generated(home.key, home)
