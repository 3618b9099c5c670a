"""wattplan's simulators: the gateway and Fleet API emulators, the replay, and datasets.

They may import any of ``optimiser`` (but its CLI), ``tariffs`` and ``rules``; production code
never imports them (import-linter enforces it).
"""
