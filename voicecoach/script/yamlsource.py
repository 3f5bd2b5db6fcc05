"""Safe YAML reading that keeps the file, line and column of every value.

Nothing in a document is ever constructed into objects: the YAML is composed into
nodes and only plain scalars, lists and mappings are converted, with bounds on size,
depth and alias expansion.
"""

from __future__ import annotations

import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from voicecoach.errors import (
    LimitError,
    ScriptError,
    ScriptErrors,
    ScriptWarning,
    SourceLocation,
)
from voicecoach.script.yamlerrors import MAX_YAML_ERRORS, split_lines, syntax_errors

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
        """A short description of the value for error messages, as it was written."""
        value = self.value
        if self.source and not isinstance(value, str | dict | list) and value is not None:
            written = _shortened(self.source)
            return f"{written} (a yes/no value)" if isinstance(value, bool) else written
        return describe_value(value)


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
        return repr(_shortened(value))
    return repr(value)


def _shortened(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def read_yaml(
    path: Path, shown_as: str | None = None, warnings: list[ScriptWarning] | None = None
) -> YNode:
    """Read one YAML document from PATH into located nodes, refusing anything unsafe.

    Warnings about what is probably a slip (see parse_yaml) are added to WARNINGS.
    """
    name = shown_as or str(path)
    where = SourceLocation(name)
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ScriptError("is a folder, expected a YAML file", where)
        if not stat.S_ISREG(info.st_mode):
            raise ScriptError("is not a regular file, expected a YAML file", where)
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScriptError("no such file", where) from None
    except OSError as err:
        raise ScriptError(f"cannot read file: {err.strerror or err}", where) from None
    if len(data) > MAX_FILE_BYTES:
        line = data[:MAX_FILE_BYTES].count(b"\n") + 1
        raise LimitError(
            f"file is {max(info.st_size, len(data))} bytes; the limit is {MAX_FILE_BYTES} "
            "bytes (reached on this line)",
            SourceLocation(name, line),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line_start = data.rfind(b"\n", 0, err.start) + 1
        column = len(data[line_start : err.start].decode("utf-8", "replace")) + 1
        line = data[: err.start].count(b"\n") + 1
        raise ScriptError(
            "file is not UTF-8 text (save it as UTF-8)", SourceLocation(name, line, column)
        ) from None
    return parse_yaml(text, name, warnings)


def parse_yaml(text: str, name: str, warnings: list[ScriptWarning] | None = None) -> YNode:
    """Parse YAML text (one document) into located nodes.

    Every syntax error is reported (in plain words, see yamlerrors), and every text is
    checked for characters that could act on a terminal or hide what the text says. A
    plain text continued by an over-indented '- ...' line (YAML joins it into the text
    above) is added to WARNINGS.
    """
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.reader.ReaderError as err:
        raise ScriptError(
            f"character {_shown_character(err.character)} is not allowed in a programme "
            "file; remove it",
            _position_loc(name, text, err.position),
        ) from None
    except yaml.MarkedYAMLError as err:
        if (err.problem_mark or err.context_mark) is None:
            raise ScriptError(f"invalid YAML: {err.problem}", SourceLocation(name)) from None
        errors = syntax_errors(text, name, err)
        if len(errors) == 1:
            raise errors[0] from None
        raise ScriptErrors(tuple(errors), stopped=len(errors) >= MAX_YAML_ERRORS) from None
    except yaml.YAMLError as err:
        raise ScriptError(
            f"invalid YAML: {' '.join(str(err).split())}", SourceLocation(name)
        ) from None
    except RecursionError:
        raise LimitError(
            f"nested more than {MAX_DEPTH} levels deep", _too_deep(name, text)
        ) from None
    if not nodes or nodes[0] is None:
        raise ScriptError("the file is empty, expected a YAML mapping", SourceLocation(name, 1, 1))
    if len(nodes) > 1:
        raise ScriptError(
            "more than one YAML document (---), expected one",
            _mark_loc(name, nodes[1].start_mark),
        )
    converter = _Converter(name, text)
    root = converter.convert(nodes[0], 0)
    if warnings is not None:
        warnings.extend(converter.warnings)
    return root


def _too_deep(name: str, text: str) -> SourceLocation:
    """Where TEXT first nests more than MAX_DEPTH levels (the parser is not recursive)."""
    depth = -1  # the document's own mapping is level 0, as in _Converter
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return _mark_loc(name, event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass
    return SourceLocation(name)


_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BACKSPACE", 0x1B: "ESC", 0x7F: "DEL", 0x9B: "CSI"}


def forbidden_character(text: str) -> tuple[int, str, str] | None:
    """The first character no programme text may hold: (its index, its code, why not).

    Control characters (tab and line breaks aside) can act on a terminal; invisible
    formatting characters (bidi overrides, zero-width spaces, ...) hide or reorder what
    a text says; an unpaired surrogate is no character at all.
    """
    if text.isprintable():
        return None
    for index, ch in enumerate(text):
        if ch in "\t\n\r":
            continue
        category = unicodedata.category(ch)
        code = f"U+{ord(ch):04X}"
        if category == "Cc":
            named = _CONTROL_NAMES.get(ord(ch))
            shown = f"{code} ({named})" if named else code
            return index, shown, "a control character, which could act on a terminal"
        if category == "Cf":
            named = unicodedata.name(ch, "")
            shown = f"{code} ({named})" if named else code
            return index, shown, "an invisible character, which hides or reorders text"
        if category == "Cs":
            return index, code, "half of a surrogate pair, not a character"
    return None


def _shown_character(character: Any) -> str:
    code = character if isinstance(character, int) else ord(character)
    named = _CONTROL_NAMES.get(code)
    return f"U+{code:04X} ({named})" if named else f"U+{code:04X}"


def _position_loc(name: str, text: str, position: int) -> SourceLocation:
    lines = split_lines(text[:position])
    return SourceLocation(name, len(lines), len(lines[-1]) + 1)


def _mark_loc(name: str, mark: Any) -> SourceLocation:
    if mark is None:
        return SourceLocation(name)
    return SourceLocation(name, mark.line + 1, mark.column + 1)


class _Converter:
    """Turn composed YAML nodes into YNodes, counting every value visited."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.count = 0
        self.scalars = SafeConstructor()
        self.warnings: list[ScriptWarning] = []
        self._lines: list[str] | None = None

    def convert(self, node: yaml.Node, depth: int) -> YNode:
        loc = _mark_loc(self.name, node.start_mark)
        self.count += 1
        if self.count > MAX_NODES:
            raise LimitError(
                f"document has more than {MAX_NODES} values once aliases are expanded", loc
            )
        if depth > MAX_DEPTH:
            raise LimitError(f"nested more than {MAX_DEPTH} levels deep", loc)
        if isinstance(node, yaml.ScalarNode):
            self._check_text(node, loc)
            if node.style is None and node.end_mark.line > node.start_mark.line:
                self._check_joined_item(node)
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

    def _check_text(self, node: yaml.ScalarNode, loc: SourceLocation) -> None:
        """Refuse a scalar (any value or key) holding a character no text may hold."""
        found = forbidden_character(node.value)
        if found is None:
            return
        index, shown, why = found
        written = self.text.find(node.value[index], node.start_mark.index, node.end_mark.index)
        if written >= 0:  # written as the character itself, not an escape: point at it
            loc = _position_loc(self.name, self.text, written)
        raise ScriptError(f"text holds {shown} at character {index + 1}: {why}; remove it", loc)

    def _check_joined_item(self, node: yaml.ScalarNode) -> None:
        """Warn of a '- ...' line that YAML joins into the text above it."""
        if self._lines is None:
            self._lines = split_lines(self.text)
        lines = self._lines
        for number in range(node.start_mark.line + 1, node.end_mark.line + 1):
            line = lines[number]
            stripped = line.lstrip(" ")
            if stripped == "-" or stripped.startswith("- "):
                self.warnings.append(
                    ScriptWarning(
                        "this '- ' line is indented more than the line above it, so YAML "
                        "reads it as more of that text, not as an item of its own; indent "
                        "its '-' like the item above",
                        SourceLocation(self.name, number + 1, len(line) - len(stripped) + 1),
                    )
                )

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
