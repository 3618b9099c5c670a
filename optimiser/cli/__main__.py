"""``python -m optimiser.cli``: the same as the ``wattplan`` console script."""

from optimiser.cli import main

raise SystemExit(main())
