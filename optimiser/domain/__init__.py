"""The domain core: what every other package may import, and which imports nothing of ours.

- :mod:`~optimiser.domain.slots` — the UTC slot grid, ``require_aware``, ``floor_to_slot``;
  :mod:`~optimiser.domain.localtime` — vectorised local-time fields for tariff bands.
- :mod:`~optimiser.domain.units` — the one app % ↔ raw % ↔ kWh converter.
- :mod:`~optimiser.domain.device` — what a Powerwall accepts: ``OperationMode``,
  ``ExportRule``, an uploaded ``TouSchedule``, ``Settings``.
- :mod:`~optimiser.domain.powerwall` — the Powerwall model (``PowerwallSpec``,
  ``PowerwallState``, ``Flows``, ``step``, and ``step_through`` a series of steps) shared by
  the emulator, every replay strategy and the planner's baselines.
- :mod:`~optimiser.domain.history` — load and solar over time, the one history type
  (recordings, forecasts' input); :mod:`~optimiser.domain.traces` — a ``Trace`` is a regular,
  complete history that drives the emulator and the replay.
- :mod:`~optimiser.domain.clock` — real, accelerated and stepped clocks.
- :mod:`~optimiser.domain.yamlsource` — safe YAML with line numbers into strict pydantic
  models (config, rules, custom tariffs).

Import direction (enforced by import-linter in CI): domain ← tariffs ← rules ← the rest of
``optimiser`` ← ``simulations`` ← ``optimiser.cli``.
"""
