"""Datasets for demos, tests and the replay, made on the fly: a deterministic demo household
(``demo``) and six realistic household-years for judging forecasts (``realistic``)."""

from simulations.datasets.demo import demo_trace, demo_year
from simulations.datasets.realistic import (
    HELD_BACK,
    TUNING,
    household_trace,
    realistic_trace,
    realistic_year,
)
from simulations.datasets.recorded_csv import write_recorded_csv

__all__ = [
    "HELD_BACK",
    "TUNING",
    "demo_trace",
    "demo_year",
    "household_trace",
    "realistic_trace",
    "realistic_year",
    "write_recorded_csv",
]
