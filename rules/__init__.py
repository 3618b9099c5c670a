"""wattplan rules: YAML overrides and household context that steer the plan.

Exceptions::

    optimiser.domain.yamlsource.YamlError   a rules/context file is malformed or breaks the
                                            schema
    rules.context.ContextError              a --context value or expiry cannot be understood

Both are user mistakes that stop and tell (:mod:`optimiser.domain.errors`); messages carry
file:line:column where there is a file.
"""

from __future__ import annotations

from pathlib import Path

from optimiser.domain.yamlsource import YamlError, load, loads
from rules.context import Context, ContextError, load_context_file, parse_cli_context
from rules.evaluate import RuleEffects, RuleEnvironment, evaluate
from rules.schema import Rule, RulesFile

__all__ = [
    "Context",
    "ContextError",
    "Rule",
    "RuleEffects",
    "RuleEnvironment",
    "RulesFile",
    "YamlError",
    "evaluate",
    "load_context_file",
    "load_rules",
    "loads_rules",
    "parse_cli_context",
]


def load_rules(path: Path) -> RulesFile:
    """Read and validate a rules file; raises :class:`YamlError` with file:line:column."""
    return load(path, RulesFile)


def loads_rules(text: str, path: str = "<string>") -> RulesFile:
    """Validate rules given as YAML text."""
    return loads(text, RulesFile, path)
