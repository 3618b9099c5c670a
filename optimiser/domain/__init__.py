"""The domain core: what every other package may import, and which imports nothing of ours.

- :mod:`~optimiser.domain.slots` — the UTC slot grid, ``require_aware``, ``floor_to_slot``;
  :mod:`~optimiser.domain.localtime` — vectorised local-time fields for tariff bands.
- :mod:`~optimiser.domain.units` — the one app % ↔ raw % ↔ kWh converter.
- :mod:`~optimiser.domain.device` — what a Powerwall accepts: ``OperationMode``,
  ``ExportRule``, a ``TouSchedule`` and the ``UploadedTariff`` it comes from, ``Settings``
  (the one settings type, reserve on the app scale).
- :mod:`~optimiser.domain.actions` — what the battery does in a slot: ``Action`` and the one
  classifier ``classify_slots`` (the plan, control, the replay and ``wattplan plan`` use it).
- :mod:`~optimiser.domain.powerwall` — the Powerwall model (``PowerwallSpec``,
  ``PowerwallState``, ``Flows``, ``step``, and ``step_through`` a series of steps) shared by
  the emulator, every replay strategy and the planner's baselines.
- :mod:`~optimiser.domain.history` — load and solar over time, the one history type
  (recordings, forecasts' input); :mod:`~optimiser.domain.traces` — a ``Trace`` is a regular,
  complete history that drives the emulator and the replay.
- :mod:`~optimiser.domain.clock` — real, accelerated and stepped clocks.
- :mod:`~optimiser.domain.yamlsource` — safe YAML with line numbers into strict pydantic
  models (config, rules, custom tariffs).
- :mod:`~optimiser.domain.errors` — the one error policy: ``WattplanError``, the base of every
  package's error tree, whose classes say what the caller does next (``NextStep``) and what
  kind of failure it is (``ErrorKind``, the CLI's exit code).

Import direction (enforced by import-linter in CI): domain ← tariffs ← rules ← the rest of
``optimiser`` ← ``simulations`` ← ``optimiser.cli``.
"""
