"""Households for a sweep: a seeded, varied population, and recordings found on disk."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from optimiser.config import Config
from simulations.replay import ReplayError
from simulations.sweep import Window, population, recordings


def test_a_population_is_seeded_and_a_larger_one_contains_a_smaller():
    small, large = population(5, seed=7), population(12, seed=7)
    assert large[:5] == small
    assert population(5, seed=8) != small
    assert len({h.key for h in large}) == 12


def test_a_population_varies_size_heating_pv_and_occupancy():
    homes = [h.attributes() for h in population(60, seed=1)]
    assert len({h["occupancy"] for h in homes}) >= 4
    assert {h["heating"] for h in homes} == {"gas", "heat-pump"}
    assert any(h["kwp"] == 0 for h in homes) and max(h["kwp"] for h in homes) > 6
    kwh = [h["annual_kwh"] for h in homes]
    assert max(kwh) > 1.8 * min(kwh)


def test_a_generated_home_brings_its_site_and_history():
    home = population(1, seed=3)[0]
    data, config = home.load(Window(date(2025, 6, 1), 2, 30), Config())
    assert len(data.trace.epoch_s) == 2 * 48
    assert data.history.epoch_s[0] < data.trace.epoch_s[0] - 40 * 86400  # weeks of history
    assert config.site.solar.kwp == home.home.kwp
    assert config.site.latitude == home.home.latitude
    assert np.all(np.isfinite(data.trace.load_kw))


def test_recordings_from_folders_and_a_list_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "house.csv").write_text("x")
    (tmp_path / "a" / "other.sqlite").write_text("x")
    (tmp_path / "a" / ".hidden").write_text("x")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "house.csv.gz").write_text("x")
    listing = tmp_path / "list.txt"
    listing.write_text("# homes\nb/house.csv.gz  # again\n\n")
    found = recordings([tmp_path / "a", tmp_path / "b"], listing)
    assert [r.key for r in found] == ["house", "other", "house-2", "house-3"]
    assert found[2].path == str((tmp_path / "b" / "house.csv.gz").resolve())


def test_no_recordings_is_a_user_mistake(tmp_path):
    with pytest.raises(ReplayError, match="expected recordings in"):
        recordings([tmp_path])
