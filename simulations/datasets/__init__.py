"""Datasets for demos, tests and the replay: a deterministic UK household, on the fly."""

from simulations.datasets.demo import demo_trace, demo_year

__all__ = ["demo_trace", "demo_year"]
