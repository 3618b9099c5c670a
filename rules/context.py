"""Household context: facts with expiry times that rules can test (storm warning, holiday…).

Context comes from a YAML file and from ``--context key=value[@expiry]`` on the command line
(later from the smart home); the command line wins. A file looks like::

    storm_warning: {value: true, expires: 2026-11-25T06:00:00Z}
    holiday: true          # no expiry
    guests: 2

An expiry is an aware ISO time, a date (expires at the end of that local day), or a duration
from now such as ``6h`` or ``2d``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, RootModel, field_validator

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError
from optimiser.domain.yamlsource import YamlError, load
from rules.schema import ContextValue, RulesFile

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")


class ContextError(WattplanError, ValueError):
    """A context value or expiry cannot be understood; stop and tell the user."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE


@dataclass(frozen=True)
class ContextEntry:
    """One fact: its value, when it stops applying, and where it came from."""

    value: ContextValue
    expires: datetime | None = None
    source: str = "cli"


@dataclass(frozen=True)
class Context:
    """All known facts. ``active(now)`` drops expired ones."""

    entries: Mapping[str, ContextEntry] = field(default_factory=dict)

    def active(self, now: datetime) -> dict[str, ContextValue]:
        """Facts still in force at ``now``."""
        return {
            key: entry.value
            for key, entry in self.entries.items()
            if entry.expires is None or entry.expires > now
        }

    def expiries(self, now: datetime) -> dict[str, datetime]:
        """When each fact still in force at ``now`` stops applying (facts with an expiry)."""
        return {
            key: entry.expires
            for key, entry in self.entries.items()
            if entry.expires is not None and entry.expires > now
        }

    def expired(self, now: datetime) -> list[str]:
        """Keys whose expiry has passed, for reporting."""
        return sorted(
            key
            for key, entry in self.entries.items()
            if entry.expires is not None and entry.expires <= now
        )

    def merged(self, other: Context) -> Context:
        """This context with ``other``'s entries taking precedence."""
        return Context({**self.entries, **other.entries})


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: ContextValue
    expires: datetime | date | str | None = None


class _File(RootModel[dict[str, _Entry | ContextValue]]):
    @field_validator("root")
    @classmethod
    def _keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            _check_key(key)
        return value


def load_context_file(path: Path, now: datetime, tz: ZoneInfo) -> Context:
    """Read a context YAML file; raises :class:`~optimiser.domain.yamlsource.YamlError`
    with positions."""
    parsed = load(path, _File)
    entries: dict[str, ContextEntry] = {}
    for key, raw in parsed.root.items():
        if isinstance(raw, _Entry):
            try:
                expires = parse_expiry(raw.expires, now, tz)
            except ContextError as exc:
                raise YamlError(f"{key}.expires: {exc}", path=str(path)) from None
            entries[key] = ContextEntry(raw.value, expires, str(path))
        else:
            entries[key] = ContextEntry(raw, None, str(path))
    return Context(entries)


def parse_cli_context(items: Iterable[str], now: datetime, tz: ZoneInfo) -> Context:
    """Parse ``key=value[@expiry]`` items from the command line."""
    entries: dict[str, ContextEntry] = {}
    for item in items:
        key, sep, rest = item.partition("=")
        if not sep:
            raise ContextError(f"--context {item!r}: expected key=value[@expiry]")
        key = key.strip()
        _check_key(key, where=f"--context {item!r}: ")
        text, _, expiry = rest.partition("@")
        try:
            expires = parse_expiry(expiry or None, now, tz)
        except ContextError as exc:
            raise ContextError(f"--context {item!r}: {exc}") from None
        entries[key] = ContextEntry(parse_value(text.strip()), expires, "--context")
    return Context(entries)


def parse_value(text: str) -> ContextValue:
    """``true``/``yes``/``on`` → True, numbers → int/float, anything else stays text."""
    lowered = text.lower()
    if lowered in {"true", "yes", "on"}:
        return True
    if lowered in {"false", "no", "off"}:
        return False
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_expiry(value: object, now: datetime, tz: ZoneInfo) -> datetime | None:
    """An aware datetime from an ISO time, a local date (end of day) or a duration."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ContextError(f"expiry {value.isoformat()} needs a time zone (e.g. …Z)")
        return value
    if isinstance(value, date):
        return datetime.combine(value + timedelta(days=1), time(0), tz)
    text = str(value).strip()
    match = _DURATION.match(text)
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match[2]]
        try:
            return now + timedelta(**{unit: float(match[1])})
        except OverflowError:
            raise ContextError(
                f"expected a duration that ends before the year 9999, got {text!r}"
            ) from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ContextError(
            f"expected an expiry like 2026-11-25T06:00Z, 2026-11-25 or 12h, got {text!r}"
        ) from None
    if parsed.tzinfo is None:
        if len(text) == 10:  # a bare date
            return datetime.combine(parsed.date() + timedelta(days=1), time(0), tz)
        raise ContextError(f"expiry {text!r} needs a time zone (e.g. …Z or +00:00)")
    return parsed


def check_context(context: Context, rules: RulesFile) -> None:
    """Raise :class:`ContextError` for a fact whose kind can never equal what a rule tests it
    against (``storm_warning=maybe`` where a rule wants ``true``): a condition that would be
    false without a word."""
    for rule in rules.rules:
        for key, wanted in (rule.when.context or {}).items():
            entry = context.entries.get(key)
            if entry is None or _kind(entry.value) == _kind(wanted):
                continue
            raise ContextError(
                f"context {key}={entry.value!r} (from {entry.source}): rule {rule.name!r} "
                f"tests {key} against {wanted!r}; expected {_kind(wanted)}, got {entry.value!r}"
            )


def _kind(value: ContextValue) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return "text"


def _check_key(key: str, where: str = "") -> None:
    if not _KEY.match(key):
        raise ContextError(
            f"{where}context key must be lower_snake_case (a-z, 0-9, _), got {key!r}"
        )
