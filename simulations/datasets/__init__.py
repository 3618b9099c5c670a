"""Datasets for demos, tests and the replay: a deterministic UK household, made on the fly."""

from simulations.datasets.demo import demo_trace, demo_year
from simulations.datasets.recorded_csv import write_recorded_csv

__all__ = ["demo_trace", "demo_year", "write_recorded_csv"]
