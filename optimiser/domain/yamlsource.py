"""Strict YAML: safe loading, pydantic validation, and errors that point at file:line:column.

Used for every YAML file a user writes (config, rules, context, custom tariffs). A document is
composed with PyYAML's safe loader into plain Python values while remembering where each value
came from, so a pydantic error on ``("rules", 2, "when", "days")`` becomes
``rules.yaml:14:11: rules[2].when.days: expected …, got …``.

Exceptions::

    YamlError             the file cannot be used: a user mistake, stop and tell
                          (:mod:`optimiser.domain.errors`); the message names
                          file:line:column, what was expected and what was found
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from optimiser.domain.errors import ErrorKind, NextStep, WattplanError

Model = TypeVar("Model", bound=pydantic.BaseModel)
Loc = tuple[str | int, ...]

#: Largest YAML file read [bytes]; config, rules and tariff files are a few kB.
MAX_DOCUMENT_BYTES = 1_000_000
#: Most values (scalars, lists, mappings) a document may expand to, aliases counted each time
#: they are used: a "billion laughs" alias bomb stops here instead of filling the memory.
MAX_VALUES = 100_000


class YamlError(WattplanError):
    """A YAML file is unreadable, malformed, or does not match its schema."""

    next_step = NextStep.STOP_AND_TELL
    kind = ErrorKind.USER_MISTAKE

    def __init__(
        self, message: str, *, path: str, line: int | None = None, column: int | None = None
    ):
        self.path = path
        self.line = line
        self.column = column
        where = path if line is None else f"{path}:{line}:{column}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Located:
    """A parsed document plus where each value sits in the source."""

    value: Any
    marks: dict[Loc, tuple[int, int]]
    path: str

    def position(self, loc: Loc) -> tuple[int, int] | None:
        """(line, column), 1-based, of the deepest known prefix of ``loc``."""
        for cut in range(len(loc), -1, -1):
            mark = self.marks.get(tuple(loc[:cut]))
            if mark is not None:
                return mark
        return None


def parse_yaml(text: str, path: str = "<string>") -> Located:
    """Parse YAML text with the safe loader, keeping positions; raises :class:`YamlError`
    (also for a document over :data:`MAX_DOCUMENT_BYTES` or expanding to more than
    :data:`MAX_VALUES` values)."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise YamlError(
            f"the document is larger than {MAX_DOCUMENT_BYTES} characters ({len(text)}); "
            "expected a hand-written file",
            path=path,
        )
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        problem = exc.problem or "malformed YAML"
        raise YamlError(
            f"malformed YAML: {problem}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise YamlError(f"malformed YAML: {exc}", path=path) from exc
    marks: dict[Loc, tuple[int, int]] = {}
    if node is None:
        return Located({}, marks, path)
    value = _construct(node, (), marks, path, [MAX_VALUES])
    return Located(value, marks, path)


def read_yaml(path: Path) -> Located:
    """Read and parse a YAML file; raises :class:`YamlError` naming the file."""
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise YamlError(
                f"the file is larger than {MAX_DOCUMENT_BYTES} bytes "
                f"({path.stat().st_size}); expected a hand-written file",
                path=str(path),
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise YamlError("file not found", path=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(f"cannot read file: {exc}", path=str(path)) from exc
    return parse_yaml(text, str(path))


def validate(located: Located, model: type[Model], context: dict[str, Any] | None = None) -> Model:
    """Validate a parsed document against ``model``; the first error carries its position."""
    try:
        return model.model_validate(located.value, context=context)
    except pydantic.ValidationError as exc:
        raise _first_error(exc, located) from None


def load(path: Path, model: type[Model]) -> Model:
    """Read, parse and validate a YAML file in one call."""
    return validate(read_yaml(path), model)


def loads(text: str, model: type[Model], path: str = "<string>") -> Model:
    """Parse and validate YAML text in one call."""
    return validate(parse_yaml(text, path), model)


def format_loc(loc: Loc) -> str:
    """``("rules", 2, "when")`` → ``rules[2].when``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"


def _first_error(exc: pydantic.ValidationError, located: Located) -> YamlError:
    errors = exc.errors(include_url=False)
    # A misspelt key usually also shows up as a missing one: name the misspelling.
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = _data_path(error["loc"], located.value)
    where = format_loc(loc)
    kind = error["type"]
    got = error.get("input")
    if kind == "extra_forbidden":
        message = f"{where}: unknown key {loc[-1]!r} (check the spelling; see the documented keys)"
    elif kind == "missing":
        message = f"{where}: required key is missing"
    else:
        text = str(error["msg"]).removeprefix("Value error, ")
        message = f"{where}: {text}" if "got " in text else f"{where}: {text}; got {_show(got)}"
    position = located.position(loc)
    line, column = position if position else (None, None)
    return YamlError(message, path=located.path, line=line, column=column)


def _data_path(loc: tuple[Any, ...], value: Any) -> Loc:
    """The part of a pydantic error location that indexes the document.

    Pydantic adds union members and validator names (``_Entry``, ``function-after[…]``) to
    locations; users only know the keys they wrote.
    """
    path: list[str | int] = []
    parts = list(loc)
    for i, part in enumerate(parts):
        in_dict = isinstance(value, dict) and part in value
        in_list = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        if in_dict or in_list:
            value = value[part]
            path.append(part)
        elif i == len(parts) - 1 and isinstance(part, str) and isinstance(value, dict):
            path.append(part)  # a missing or unknown key: name it
    return tuple(path)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _construct(
    node: yaml.Node, loc: Loc, marks: dict[Loc, tuple[int, int]], path: str, left: list[int]
) -> Any:
    """Plain Python values of ``node``; ``left`` holds how many more values may be made."""
    left[0] -= 1
    if left[0] < 0:
        raise YamlError(
            f"the document expands to more than {MAX_VALUES} values (aliases *name repeat "
            "what they point at); expected a hand-written file",
            path=path,
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
        )
    marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError(
                    "merge keys (<<) are not supported",
                    path=path,
                    line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1,
                )
            key = _scalar(key_node, path)
            if not isinstance(key, str | int | float | bool) or isinstance(key, Mapping):
                raise YamlError(
                    "mapping keys must be plain scalars",
                    path=path,
                    line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1,
                )
            if key in out:
                raise YamlError(
                    f"duplicate key {key!r}",
                    path=path,
                    line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1,
                )
            out[key] = _construct(value_node, (*loc, str(key)), marks, path, left)
            # Errors about an entry point at its key, where a reader looks for it.
            marks[(*loc, str(key))] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, i), marks, path, left) for i, item in enumerate(node.value)]
    return _scalar(node, path)


_SCALAR_LOADER = yaml.SafeLoader("")


def _scalar(node: yaml.Node, path: str) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlError(
            "expected a plain value here",
            path=path,
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
        )
    try:
        return _SCALAR_LOADER.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError) as exc:
        raise YamlError(
            f"cannot read value {node.value!r}: {exc}",
            path=path,
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
        ) from exc
