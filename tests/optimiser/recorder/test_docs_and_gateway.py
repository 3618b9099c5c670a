"""The README's CSV example parses; with the gateway client present, record the emulator."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from optimiser.recorder import RecordingStore, clean
from optimiser.recorder.csvformat import parse_recording_csv

ROOT = Path(__file__).resolve().parents[3]


def test_readme_csv_example_parses_as_documented():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Recorded-data CSV", 1)[1]
    example = re.search(r"```\n(.*?)```", section, re.S).group(1)
    rows = parse_recording_csv(example, source="README.md")
    assert len(rows) == 2
    assert rows.utc_offset_s.tolist() == [0, 3600]
    assert rows.mode == ("self_consumption", None)
    assert np.isnan(rows.battery_kw[1])
    rec = clean(rows)
    assert rec.quality.negative_solar == 1 and rec.quality.clock_changes == 1


def test_recording_the_embedded_emulator_through_the_gateway_client(tmp_path, monkeypatch):
    gateway = pytest.importorskip("optimiser.gateway")
    from optimiser.cli.site import open_site
    from optimiser.config import Config
    from optimiser.recorder.service import run_recorder

    monkeypatch.setenv("WATTPLAN_STATE_DIR", str(tmp_path / "state"))
    assert gateway.GatewayUnavailable.next_step.keeps_running  # a gap
    assert not gateway.AuthenticationError.next_step.keeps_running  # stops the recorder
    db = tmp_path / "live.sqlite"
    stats = run_recorder(Config(), opener=open_site, database=db, interval_s=1, max_samples=2)
    assert stats.samples == 2
    with RecordingStore(db, readonly=True) as store:
        samples = store.samples()
    for s in samples:
        assert s.capacity_kwh > 0 and 0 <= s.soe_kwh <= s.capacity_kwh
        assert s.mode in ("self_consumption", "autonomous", "backup")
        assert s.grid_status == "SystemGridConnected"
        # The gateway's balance: load ≈ site + battery + solar.
        assert s.load_kw == pytest.approx(s.site_kw + s.battery_kw + s.solar_kw, abs=0.05)
