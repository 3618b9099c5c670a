"""A recorder killed with SIGKILL mid-run loses no committed sample and duplicates none."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from optimiser.recorder import RecordingStore

from .conftest import START

ROOT = Path(__file__).resolve().parents[3]
CHILD = Path(__file__).with_name("_recorder_child.py")


def run_and_kill(db: Path, start_epoch: float, speed: float, after: int) -> tuple[set, set]:
    """Start a recorder, SIGKILL it after ``after`` committed samples; what it reported."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(db), str(start_epoch), str(speed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    samples: set[int] = set()
    gaps: set[int] = set()
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        while len(samples) < after:
            line = proc.stdout.readline()
            assert line, f"child ended early: {proc.stderr.read()}"
            kind, epoch = line.split()
            (samples if kind == "sample" else gaps).add(int(epoch))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        # Whatever the child printed before it died was committed first.
        for line in proc.stdout.read().splitlines():
            if line.strip():
                kind, epoch = line.split()
                (samples if kind == "sample" else gaps).add(int(epoch))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return samples, gaps


def test_kill_9_mid_run_keeps_every_committed_sample_exactly_once(tmp_path):
    db = tmp_path / "killed.sqlite"
    rng = random.Random(20260329)
    reported_samples: set[int] = set()
    reported_gaps: set[int] = set()
    start = START.timestamp()
    # A paced recorder (90 s in 0.05 s), then one writing flat out, so kills land both while
    # sleeping and inside writes; each round resumes the file the previous one was killed on.
    for speed in (1800.0, 1_000_000.0, 1800.0):
        samples, gaps = run_and_kill(db, start, speed, after=rng.randint(8, 30))
        reported_samples |= samples
        reported_gaps |= gaps
        with RecordingStore(db) as store:  # the lock is free again; the file opens cleanly
            assert store.integrity_check() == ["ok"]
            epochs = store.epochs()
            stored_gaps = {round(g.start.timestamp()) for g in store.gaps()}
            start = store.last_time().timestamp()
        assert reported_samples <= set(epochs)
        assert reported_gaps <= stored_gaps
        # At most one sample per round can be committed but not yet reported.
        assert len(epochs) - len(reported_samples) <= 3
    conn = sqlite3.connect(db)
    (dupes,) = conn.execute(
        "SELECT count(*) FROM (SELECT epoch_s FROM samples GROUP BY epoch_s HAVING count(*) > 1)"
    ).fetchone()
    conn.close()
    assert dupes == 0
    # Never two samples in one interval, across every restart.
    assert len({e // 90 for e in epochs}) == len(epochs)
    assert len(epochs) >= 3 * 8
