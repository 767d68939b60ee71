"""Reading JSON and YAML documents strictly, remembering where each value came from.

Two YAML traps are closed here: a key written twice (PyYAML silently keeps the last one, so
half of a policy would vanish without a word) and syntax errors, which become one line with
the line number instead of PyYAML's multi-line message. For YAML the composed node tree is
kept, so validation errors can point at the line of the offending field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from rules.errors import DocumentError

Format = Literal["yaml", "json", "auto"]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` merges are meant to be overridden
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable key: the base constructor reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """Plain data (dicts, lists, scalars) plus, for YAML, the node tree it was built from."""

    data: object
    root: yaml.Node | None = None

    def line_of(self, loc: Sequence[int | str]) -> int | None:
        """1-based line of the value at ``loc``, or of its deepest existing ancestor."""
        node = self.root
        if node is None:
            return None
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1


def _child(node: yaml.Node, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return value_node  # type: ignore[no-any-return]
        return None
    is_index = isinstance(node, yaml.SequenceNode) and isinstance(part, int)
    if is_index and 0 <= int(part) < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def parse_document(text: str | bytes, *, source: str, fmt: Format = "auto") -> ParsedDocument:
    """Parse JSON or YAML text; ``auto`` reads JSON if the text starts with ``{``, else YAML."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DocumentError(source, f"not UTF-8 text (byte {exc.start})") from None
    if fmt == "json" or (fmt == "auto" and text.lstrip().startswith("{")):
        return ParsedDocument(_parse_json(text, source), _yaml_nodes(text))
    return _parse_yaml(text, source)


def _parse_json(text: str, source: str) -> object:
    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        result: dict[str, object] = {}
        for key, value in pairs:
            if key in result:
                raise DocumentError(source, f"invalid JSON: duplicate key {key!r}")
            result[key] = value
        return result

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise DocumentError(source, message, exc.lineno) from None


def _parse_yaml(text: str, source: str) -> ParsedDocument:
    try:
        loader = _StrictLoader(text)  # the reader refuses control characters right here
    except yaml.reader.ReaderError as exc:
        message = f"invalid YAML: character {exc.character!r} at offset {exc.position}"
        raise DocumentError(source, f"{message} is not allowed") from None
    try:
        root = loader.get_single_node()
        data = None if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(source, exc) from None
    except yaml.YAMLError as exc:
        raise DocumentError(source, "invalid YAML: " + " ".join(str(exc).split())) from None
    finally:
        loader.dispose()
    return ParsedDocument(data, root)


def _yaml_nodes(text: str) -> yaml.Node | None:
    """Best effort: JSON is (nearly always) YAML too, which gives field line numbers."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _yaml_error(source: str, exc: yaml.MarkedYAMLError) -> DocumentError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "syntax error"
    if mark is None:
        return DocumentError(source, f"invalid YAML: {problem}")
    line = int(mark.line) + 1
    return DocumentError(
        source, f"invalid YAML at line {line}, column {mark.column + 1}: {problem}", line
    )


def read_text(path: str | Path) -> str:
    """The file's text, or one DocumentError line saying why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError(str(path), "file not found") from None
    except IsADirectoryError:
        raise DocumentError(str(path), "is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise DocumentError(str(path), f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise DocumentError(str(path), f"cannot read file: {exc.strerror or exc}") from None


def format_for(path: str | Path) -> Format:
    """``json`` for ``*.json``, otherwise ``yaml`` (which reads JSON as well)."""
    return "json" if Path(path).suffix.lower() == ".json" else "yaml"


def load_document(path: str | Path) -> object:
    """Read a JSON or YAML file (by extension) into plain data; DocumentError if it cannot."""
    source = str(path)
    return parse_document(read_text(path), source=source, fmt=format_for(path)).data
