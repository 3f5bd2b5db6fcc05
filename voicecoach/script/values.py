"""Parsers for the script language's value types: durations, tempos, counts, text."""

from __future__ import annotations

import math
import re
from typing import Any

from voicecoach.errors import LimitError, ScriptError
from voicecoach.script import limits
from voicecoach.script.model import Tempo
from voicecoach.script.yamlsource import YNode

_DURATION = re.compile(
    r"^\s*(?:(?P<h>\d+(?:\.\d+)?)\s*h)?\s*(?:(?P<m>\d+(?:\.\d+)?)\s*m(?:in)?)?"
    r"\s*(?:(?P<s>\d+(?:\.\d+)?)\s*s(?:ec)?)?\s*$"
)
_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")
_TEMPO_SEPARATORS = re.compile(r"\s*[-/:]\s*")
_MAX_VALUE_CHARS = 40
"""Longest duration or tempo string parsed (the patterns backtrack badly on long input)."""


def fail(node: YNode, field: str, expected: str) -> ScriptError:
    """An error at NODE saying what FIELD expected and what it got."""
    return ScriptError(f"{field}: expected {expected}, got {node.describe()}", node.loc)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _to_float(value: int | float) -> float:
    """VALUE as a float; an integer too large for a float becomes infinite."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def parse_duration(node: YNode, field: str, *, maximum: float, allow_zero: bool = True) -> float:
    """Seconds from a number or a string like '45s', '2m', '1m30s'."""
    expected = "a duration such as 30, '45s', '2m' or '1m30s'"
    value = node.value
    seconds: float | None = None
    if _is_number(value):
        seconds = _to_float(value)
    elif isinstance(value, str) and value.strip() and len(value) <= _MAX_VALUE_CHARS:
        if _NUMBER.match(value):
            seconds = float(value)
        else:
            match = _DURATION.match(value.lower())
            if match and any(match.group(g) for g in "hms"):
                h, m, s = (float(match.group(g) or 0) for g in "hms")
                seconds = h * 3600 + m * 60 + s
    if seconds is None or not math.isfinite(seconds):
        raise fail(node, field, expected)
    if seconds < 0 or (seconds == 0 and not allow_zero):
        raise fail(node, field, "a duration above zero" if not allow_zero else expected)
    if seconds > maximum:
        raise LimitError(
            f"{field}: {format_seconds(seconds)} is longer than the limit of "
            f"{format_seconds(maximum)}",
            node.loc,
        )
    return round(seconds, 3)


def parse_count(node: YNode, field: str, *, minimum: int, maximum: int) -> int:
    """A whole number between MINIMUM and MAXIMUM."""
    value = node.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise fail(node, field, f"a whole number of at least {minimum}")
    if value < minimum:
        raise fail(node, field, f"a whole number of at least {minimum}")
    if value > maximum:
        raise LimitError(f"{field}: {value} is over the limit of {maximum}", node.loc)
    return value


def parse_tempo(node: YNode, field: str = "tempo") -> Tempo:
    """A tempo 'up-hold-down[-pause]' in seconds, e.g. '2-1-3' or [2, 1, 3]."""
    expected = "a tempo such as '2-1-3' (up-hold-down seconds, optional -pause)"
    value = node.value
    if isinstance(value, list):
        parts: list[Any] = [item.value for item in value]
    elif isinstance(value, str) and len(value) <= _MAX_VALUE_CHARS:
        parts = _TEMPO_SEPARATORS.split(value.strip())
    else:
        raise fail(node, field, expected)
    if len(parts) not in (3, 4):
        raise fail(node, field, expected)
    phases: list[float] = []
    for part in parts:
        if isinstance(part, str) and _NUMBER.match(part):
            part = float(part)
        if not _is_number(part):
            raise fail(node, field, expected)
        seconds = _to_float(part)
        if not math.isfinite(seconds) or seconds < 0:
            raise fail(node, field, expected)
        if seconds > limits.MAX_TEMPO_PHASE_SECONDS:
            raise LimitError(
                f"{field}: a phase of {seconds:g}s is over the limit of "
                f"{limits.MAX_TEMPO_PHASE_SECONDS:g}s",
                node.loc,
            )
        phases.append(round(seconds, 3))
    if phases[0] <= 0 or phases[2] <= 0:
        raise fail(node, field, "a tempo whose up and down phases last more than 0 seconds")
    return Tempo(*phases)


def parse_text(node: YNode, field: str) -> str:
    """A line of text to be spoken (with at least one letter or digit).

    `No swinging: slow.` unquoted is YAML for a one-key mapping; it is read back as
    the line it was meant to be.
    """
    value = node.value
    if node.is_map and len(value) == 1 and not node.flow:
        ((key, inner),) = value.items()
        if isinstance(inner, YNode) and inner.source is not None and not inner.is_map:
            value = f"{key}: {inner.source}"
    if _is_number(value):
        value = str(value)
    if node.is_map and isinstance(value, dict):
        raise fail(node, field, "a line of text (quote a line that contains ': ')")
    if not isinstance(value, str) or not value.strip():
        raise fail(node, field, "a line of text")
    if not any(ch.isalnum() for ch in value):
        raise fail(node, field, "text with at least one letter or digit")
    text = " ".join(value.split())
    if len(text) > limits.MAX_TEXT_CHARS:
        raise LimitError(
            f"{field}: text is {len(text)} characters; the limit is {limits.MAX_TEXT_CHARS}",
            node.loc,
        )
    return text


def parse_lines(node: YNode, field: str) -> tuple[str, ...]:
    """A list of lines of text (a single string is one line)."""
    if node.value is None:
        return ()
    items = node.value if node.is_list else [node]
    if len(items) > limits.MAX_LINES:
        raise LimitError(
            f"{field}: {len(items)} lines is over the limit of {limits.MAX_LINES}", node.loc
        )
    return tuple(parse_text(item, f"{field}[{i + 1}]") for i, item in enumerate(items))


def parse_bool(node: YNode, field: str) -> bool:
    """true or false."""
    if not isinstance(node.value, bool):
        raise fail(node, field, "true or false")
    return node.value


def format_seconds(seconds: float) -> str:
    """'45s', '2m', '1m30s', '1h5m' for messages."""
    if seconds < 60:
        return f"{seconds:g}s"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    out = f"{hours}h" if hours else ""
    if minutes:
        out += f"{minutes}m"
    if secs:
        out += f"{secs}s"
    return out
