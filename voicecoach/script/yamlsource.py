"""Safe YAML reading that keeps the file, line and column of every value.

Nothing in a document is ever constructed into objects: the YAML is composed into
nodes and only plain scalars, lists and mappings are converted, with bounds on size,
depth and alias expansion.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from voicecoach.errors import LimitError, ScriptError, SourceLocation

MAX_FILE_BYTES = 256 * 1024
"""Largest programme or exercise file accepted."""
MAX_NODES = 20_000
"""Most values a document may hold once aliases are expanded."""
MAX_DEPTH = 32
"""Deepest nesting of lists and mappings accepted."""
MAX_INT = 10**15
"""Larger integers are kept as the text written (no value needs more)."""

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_AS_TEXT_TAGS = {
    "tag:yaml.org,2002:timestamp",
    _MERGE_TAG,  # a plain "<<" that is not a key
    "tag:yaml.org,2002:value",  # a plain "="
}
"""Tags the resolver gives some plain scalars; such values are kept as the text written."""


@dataclass(frozen=True)
class YNode:
    """A YAML value with where it was written."""

    value: Any
    """dict[str, YNode] for mappings, list[YNode] for sequences, else a plain scalar."""
    loc: SourceLocation
    """Where the value starts."""
    key_locs: dict[str, SourceLocation] = field(default_factory=dict)
    """For mappings: where each key is written."""
    source: str | None = None
    """For scalars: the text as written (before YAML turned it into a number)."""
    flow: bool = False
    """For mappings: written inline as {...}."""

    @property
    def is_map(self) -> bool:
        """True for a mapping."""
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        """True for a sequence."""
        return isinstance(self.value, list)

    def describe(self) -> str:
        """A short description of the value for error messages."""
        return describe_value(self.value)


def describe_value(value: Any) -> str:
    """Say what kind of value this is, the way a user wrote it."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a yes/no value)"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return repr(shown)
    return repr(value)


def read_yaml(path: Path, shown_as: str | None = None) -> YNode:
    """Read one YAML document from PATH into located nodes, refusing anything unsafe."""
    name = shown_as or str(path)
    where = SourceLocation(name)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ScriptError("is a folder, expected a YAML file", where)
        if not stat.S_ISREG(info.st_mode):
            raise ScriptError("is not a regular file, expected a YAML file", where)
        if info.st_size > MAX_FILE_BYTES:
            raise LimitError(
                f"file is {info.st_size} bytes; the limit is {MAX_FILE_BYTES} bytes", where
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScriptError("no such file", where) from None
    except OSError as err:
        raise ScriptError(f"cannot read file: {err.strerror or err}", where) from None
    if len(data) > MAX_FILE_BYTES:
        raise LimitError(f"file is over the limit of {MAX_FILE_BYTES} bytes", where)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ScriptError("file is not UTF-8 text", SourceLocation(name, line)) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> YNode:
    """Parse YAML text (one document) into located nodes."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.reader.ReaderError as err:
        raise ScriptError(
            f"invalid YAML: character {_shown_character(err.character)} is not allowed",
            _position_loc(name, text, err.position),
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        raise ScriptError(f"invalid YAML: {problem}", _mark_loc(name, mark)) from None
    except yaml.YAMLError as err:
        raise ScriptError(
            f"invalid YAML: {' '.join(str(err).split())}", SourceLocation(name)
        ) from None
    except RecursionError:
        raise LimitError(
            f"YAML is nested too deeply (the limit is {MAX_DEPTH} levels)", SourceLocation(name)
        ) from None
    if not nodes or nodes[0] is None:
        raise ScriptError("the file is empty, expected a YAML mapping", SourceLocation(name, 1, 1))
    if len(nodes) > 1:
        raise ScriptError(
            "more than one YAML document (---), expected one",
            _mark_loc(name, nodes[1].start_mark),
        )
    return _Converter(name).convert(nodes[0], 0)


def _shown_character(character: Any) -> str:
    if isinstance(character, int):
        return f"U+{character:04X}"
    return repr(character)


def _position_loc(name: str, text: str, position: int) -> SourceLocation:
    line_start = text.rfind("\n", 0, position) + 1
    return SourceLocation(name, text.count("\n", 0, position) + 1, position - line_start + 1)


def _mark_loc(name: str, mark: Any) -> SourceLocation:
    if mark is None:
        return SourceLocation(name)
    return SourceLocation(name, mark.line + 1, mark.column + 1)


class _Converter:
    """Turn composed YAML nodes into YNodes, counting every value visited."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.scalars = SafeConstructor()

    def convert(self, node: yaml.Node, depth: int) -> YNode:
        loc = _mark_loc(self.name, node.start_mark)
        self.count += 1
        if self.count > MAX_NODES:
            raise LimitError(
                f"document has more than {MAX_NODES} values once aliases are expanded",
                SourceLocation(self.name),
            )
        if depth > MAX_DEPTH:
            raise LimitError(f"nested more than {MAX_DEPTH} levels deep", loc)
        if isinstance(node, yaml.ScalarNode):
            return YNode(self._scalar(node, loc), loc, source=node.value)
        self._check_tag(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return YNode([self.convert(item, depth + 1) for item in node.value], loc)
        assert isinstance(node, yaml.MappingNode)
        values: dict[str, YNode] = {}
        key_locs: dict[str, SourceLocation] = {}
        merged_keys: set[str] = set()
        for key_node, value_node in node.value:
            key_loc = _mark_loc(self.name, key_node.start_mark)
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _MERGE_TAG:
                merged_keys |= self._merge(value_node, depth, values, key_locs, key_loc)
                continue
            key = self.convert(key_node, depth + 1).value
            if not isinstance(key, str):
                raise ScriptError(f"keys must be names, got {describe_value(key)}", key_loc)
            if key in key_locs and key not in merged_keys:
                raise ScriptError(
                    f"duplicate key {describe_value(key)} "
                    f"(first written at line {key_locs[key].line})",
                    key_loc,
                )
            merged_keys.discard(key)
            values[key] = self.convert(value_node, depth + 1)
            key_locs[key] = key_loc
        return YNode(values, loc, key_locs, flow=bool(node.flow_style))

    def _merge(
        self,
        node: yaml.Node,
        depth: int,
        values: dict[str, YNode],
        key_locs: dict[str, SourceLocation],
        key_loc: SourceLocation,
    ) -> set[str]:
        """Apply a YAML merge key (<<: *anchor); explicit keys win. Returns the keys added."""
        added: set[str] = set()
        merged = self.convert(node, depth + 1)
        sources = merged.value if merged.is_list else [merged]
        for source in sources:
            if not source.is_map:
                raise ScriptError("<< must merge a mapping", key_loc)
            for key, value in source.value.items():
                if key not in values:
                    values[key] = value
                    key_locs[key] = source.key_locs.get(key, key_loc)
                    added.add(key)
        return added

    def _check_tag(self, node: yaml.Node, loc: SourceLocation) -> None:
        allowed = ("tag:yaml.org,2002:seq", "tag:yaml.org,2002:map")
        if node.tag not in allowed:
            raise ScriptError(f"YAML tag {node.tag!r} is not allowed here", loc)

    def _scalar(self, node: yaml.ScalarNode, loc: SourceLocation) -> Any:
        if node.tag not in _SCALAR_TAGS:
            if node.tag in _AS_TEXT_TAGS:
                return node.value
            raise ScriptError(
                f"YAML tag {node.tag!r} is not allowed; only plain values, lists and mappings are",
                loc,
            )
        try:
            value = self.scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            return node.value
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            return node.value  # kept as written: "expected a whole number", never a huge int
        return value
