"""wattplan's application: plan and drive a Powerwall on a time-of-use tariff.

- :mod:`optimiser.domain` — the core every package imports (slots, units, device vocabulary,
  actions, the Powerwall model, history, clocks, the error policy); imports nothing of ours.
- :mod:`optimiser.gateway` — the gateway's local API and v1r client; :mod:`optimiser.recorder`
  — the SQLite recording; :mod:`optimiser.forecast` — load and solar forecasts.
- :mod:`optimiser.planning` — the one request builder and planning cycle used by ``plan``,
  ``run`` and ``simulate``; :mod:`optimiser.planner` — the LP (build, hook, solve, extract).
- :mod:`optimiser.control` — a plan's action → Powerwall settings, budgets, safety, backends.
- :mod:`optimiser.service` — ``wattplan run``: poll → record → decide → apply, observed.
- :mod:`optimiser.cli` — the commands; the only place that wires the embedded emulator.
"""
