"""The dry-run backend: says what it would send and sends nothing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from optimiser.control.backends.base import ApplyReport, Backend
from optimiser.control.capabilities import Capabilities
from optimiser.control.commands import Command, differences
from optimiser.domain.device import Settings

log = logging.getLogger(__name__)


class DryRunBackend:
    """Says what it would send and sends nothing.

    Parameters
    ----------
    source : Backend, optional
        Read the real device's settings from here (reads only); without it, the dry run keeps
        a notional device that starts at ``initial`` and takes every "sent" change.
    capabilities : Capabilities, optional
        Whose capabilities to pretend (default: the source's, else Fleet's).
    """

    def __init__(
        self,
        source: Backend | None = None,
        *,
        initial: Settings | None = None,
        capabilities: Capabilities | None = None,
    ) -> None:
        self.source = source
        self._state = initial or Settings()
        if capabilities is None:
            capabilities = source.capabilities if source is not None else Capabilities.fleet()
        self._capabilities = replace(capabilities, dry_run=True)
        self.log: list[ApplyReport] = []

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def read(self) -> Settings:
        return self.source.read() if self.source is not None else self._state

    def commands_left(self, now: datetime) -> int | None:
        """A dry run spends nothing: no budget."""
        return None

    def apply(
        self,
        target: Settings,
        *,
        reason: str,
        value_gbp: Mapping[Command, float] | None = None,
        safety: bool = False,
    ) -> ApplyReport:
        before = self.read()
        changes, unsupported = differences(before, target, self.capabilities)
        if self.source is None:
            self._state = target
        report = ApplyReport(
            reason=reason,
            target=target,
            before=before,
            after=before,
            sent=tuple(changes),
            unsupported=tuple(unsupported),
            dry_run=True,
            notes=target.notes,
        )
        self.log.append(report)
        log.info("dry run: %s", report.describe())
        return report
