"""A recorder process for the kill -9 test: prints ``sample <epoch>`` after each commit.

Usage: python _recorder_child.py DB START_EPOCH SPEED
Every 7th poll fails (a gap, printed as ``gap <epoch>`` after it is committed).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from optimiser.domain.clock import AcceleratedClock
from optimiser.recorder import RecordingStore, Sample, record


def main() -> None:
    db, start, speed = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    clock = AcceleratedClock(datetime.fromtimestamp(start, UTC), speed=speed)
    calls = 0

    def poll() -> Sample:
        nonlocal calls
        calls += 1
        if calls % 7 == 0:
            raise TimeoutError("emulated timeout")
        now = clock.now()
        return Sample(
            time=now,
            load_kw=0.5,
            solar_kw=0.1 * (calls % 5),
            soe_kwh=6.0,
            capacity_kwh=13.5,
            mode="self_consumption",
            grid_status="SystemGridConnected",
        )

    with RecordingStore(db) as store:
        print("ready", flush=True)
        record(
            poll,
            store,
            clock=clock,
            interval_s=90,
            on_sample=lambda s: print(f"sample {s.epoch_s}", flush=True),
            on_gap=lambda when, exc: print(f"gap {round(when.timestamp())}", flush=True),
            log_every=0,
        )


if __name__ == "__main__":
    main()
