"""Datasets for demos, tests and the replay, made on the fly: a deterministic demo household
(``demo``) and six realistic household-years for judging forecasts
(:mod:`simulations.datasets.realistic`, imported on its own: it needs pvlib, pandas and
scipy, which the demo behind ``wattplan plan`` does not load)."""

from simulations.datasets.demo import demo_trace, demo_year
from simulations.datasets.recorded_csv import write_recorded_csv

__all__ = ["demo_trace", "demo_year", "write_recorded_csv"]
