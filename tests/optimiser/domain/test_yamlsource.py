"""Safe YAML: a document cannot make wattplan expand aliases without bound or read a huge
file; the refusal is a YamlError naming the file and where."""

from __future__ import annotations

import pytest

from optimiser.domain.yamlsource import (
    MAX_DOCUMENT_BYTES,
    MAX_VALUES,
    YamlError,
    parse_yaml,
    read_yaml,
)


def alias_bomb(levels: int) -> str:
    """Each level a list of nine aliases of the one before: 9**levels values once expanded."""
    lines = ['a0: &a0 ["lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [7, 8])
def test_an_alias_bomb_is_refused_at_its_alias(levels):
    with pytest.raises(YamlError) as info:
        parse_yaml(alias_bomb(levels), "bomb.yaml")
    message = str(info.value)
    assert message.startswith("bomb.yaml:")
    assert f"more than {MAX_VALUES} values" in message and "alias" in message


def test_a_few_aliases_still_work():
    located = parse_yaml("base: &b {x: 1}\none: *b\ntwo: *b\n")
    assert located.value == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1}}


def test_a_huge_document_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * MAX_DOCUMENT_BYTES + "\n")
    with pytest.raises(YamlError, match=r"big\.yaml: .*larger than"):
        read_yaml(path)


def test_non_utf8_is_a_yaml_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(YamlError, match=r"latin1\.yaml"):
        read_yaml(path)
