"""The replay's exceptions (see the package docstring for the tree)."""

from __future__ import annotations


class ReplayError(Exception):
    """The replay cannot run as asked; stop and tell the user."""


class ReplayDataError(ReplayError):
    """The data, or the period asked of it, cannot be replayed (expected / got / where)."""
