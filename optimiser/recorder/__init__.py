"""The recorder: poll the gateway every 90 s into a crash-safe SQLite file, export it as the
recorded-data CSV, and read either back, cleaned, for forecasts and the replay.

Modules: ``sample`` (:class:`Sample`), ``store`` (:class:`RecordingStore`), ``loop``
(:func:`record`), ``service`` (:func:`run_recorder`), ``csvformat`` (the CSV writer and its one
parser), ``recording`` (:func:`read_recording`, cleaning, :class:`Quality`). Errors: see
``optimiser.recorder.errors`` (``RecorderError`` → ``StoreError`` → ``StoreLocked``,
``StoreCorrupt``, ``StoreMissing``; ``RecordingFileError``).
"""

from optimiser.recorder.errors import (
    RecorderError,
    RecordingFileError,
    StoreCorrupt,
    StoreError,
    StoreLocked,
    StoreMissing,
)
from optimiser.recorder.loop import RecordStats, record
from optimiser.recorder.recording import (
    Quality,
    Recording,
    Span,
    clean,
    read_recording,
)
from optimiser.recorder.sample import Sample, sample_from_site_state
from optimiser.recorder.store import Gap, RecordingStore

__all__ = [
    "Gap",
    "Quality",
    "RecordStats",
    "RecorderError",
    "Recording",
    "RecordingFileError",
    "RecordingStore",
    "Sample",
    "Span",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "StoreMissing",
    "clean",
    "read_recording",
    "record",
    "sample_from_site_state",
]
