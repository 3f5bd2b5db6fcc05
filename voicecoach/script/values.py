"""Parsers for the script language's value types: durations, tempos, counts, text."""

from __future__ import annotations

import math
import re
from typing import Any

from voicecoach.errors import LimitError, ScriptError
from voicecoach.script import limits
from voicecoach.script.model import Tempo
from voicecoach.script.yamlsource import YNode

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_DURATION = re.compile(
    rf"(?:(?P<h>{_NUMBER})\s*(?:hours?|hrs?|h)\s*)?"
    rf"(?:(?P<m>{_NUMBER})\s*(?:minutes?|mins?|m)\s*)?"
    rf"(?:(?P<s>{_NUMBER})\s*(?:seconds?|secs?|s))?",
    re.ASCII | re.IGNORECASE,
)
_CLOCK = re.compile(
    r"(?:(?P<h>[0-9]+):(?=[0-9]{2}:))?(?P<m>[0-9]+):(?P<s>[0-5]?[0-9](?:\.[0-9]+)?)", re.ASCII
)
_PLAIN_NUMBER = re.compile(_NUMBER, re.ASCII)
_WHOLE_NUMBER = re.compile(r"[0-9]+(?:\.0+)?", re.ASCII)
_TEMPO_SEPARATORS = re.compile(r"\s*[-/:]\s*")
_MAX_VALUE_CHARS = 40
"""Longest duration or tempo string parsed."""

DURATION_FORMS = (
    "a duration such as 30, '45s', '2m', '1m30s' or '1:30' "
    "(also '30 sec', '30 seconds', '1.5m', '1 min')"
)
"""The duration grammar in words, for messages."""
TEMPO_FORMS = "a tempo such as '2-1-3' (up-hold-down seconds, optional -pause)"
"""The tempo grammar in words, for messages."""


def fail(node: YNode, field: str, expected: str) -> ScriptError:
    """An error at NODE saying what FIELD expected and what it got."""
    return ScriptError(f"{field}: expected {expected}, got {node.describe()}", node.loc)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def written(node: YNode) -> str | None:
    """A plain value as the text written in the file (a number as its digits, before
    YAML read `010` as 8 or `1:30` as 90); None for lists, mappings, yes/no and null."""
    value = node.value
    if isinstance(value, str):
        return value
    if _is_number(value):
        return node.source if node.source is not None else str(value)
    return None


def seconds_written(text: str) -> float | None:
    """Seconds from a duration written as TEXT (see DURATION_FORMS), else None."""
    text = text.strip()
    if not text or len(text) > _MAX_VALUE_CHARS:
        return None
    if _PLAIN_NUMBER.fullmatch(text):
        return float(text)
    if match := _CLOCK.fullmatch(text):
        hours, minutes, seconds = (float(match.group(g) or 0) for g in "hms")
        if hours and minutes >= 60:
            return None
        return hours * 3600 + minutes * 60 + seconds
    match = _DURATION.fullmatch(text)
    if match is None or not any(match.group(g) for g in "hms"):
        return None
    hours, minutes, seconds = (float(match.group(g) or 0) for g in "hms")
    return hours * 3600 + minutes * 60 + seconds


def parse_duration(node: YNode, field: str, *, maximum: float, allow_zero: bool = True) -> float:
    """Seconds from a duration in any of the forms of DURATION_FORMS."""
    text = written(node)
    seconds = seconds_written(text) if text is not None else None
    if seconds is None or not math.isfinite(seconds):
        raise fail(node, field, DURATION_FORMS)
    if seconds == 0 and not allow_zero:
        raise fail(node, field, "a duration above zero")
    if seconds > maximum:
        raise LimitError(
            f"{field}: {format_seconds(seconds)} is longer than the limit of "
            f"{format_seconds(maximum)}",
            node.loc,
        )
    return round(seconds, 3)


def parse_count(node: YNode, field: str, *, minimum: int, maximum: int) -> int:
    """A whole number between MINIMUM and MAXIMUM, written in ASCII digits."""
    text = written(node)
    if text is None or not _WHOLE_NUMBER.fullmatch(text.strip()):
        raise fail(node, field, f"a whole number of at least {minimum}")
    value = int(text.strip().split(".")[0])
    if value < minimum:
        raise fail(node, field, f"a whole number of at least {minimum}")
    if value > maximum:
        raise LimitError(f"{field}: {value} is over the limit of {maximum}", node.loc)
    return value


def parse_tempo(node: YNode, field: str = "tempo") -> Tempo:
    """A tempo 'up-hold-down[-pause]' in seconds, e.g. '2-1-3', '2:1:3' or [2, 1, 3]."""
    if node.is_list:
        parts = [written(item) for item in node.value]
    else:
        text = written(node)
        if text is None or len(text) > _MAX_VALUE_CHARS:
            raise fail(node, field, TEMPO_FORMS)
        parts = list(_TEMPO_SEPARATORS.split(text.strip()))
    if len(parts) not in (3, 4):
        raise fail(node, field, TEMPO_FORMS)
    phases: list[float] = []
    for part in parts:
        if part is None or not _PLAIN_NUMBER.fullmatch(part.strip()):
            raise fail(node, field, TEMPO_FORMS)
        seconds = float(part)
        if not math.isfinite(seconds):
            raise fail(node, field, TEMPO_FORMS)
        if seconds > limits.MAX_TEMPO_PHASE_SECONDS:
            raise LimitError(
                f"{field}: a phase of {seconds:g}s is over the limit of "
                f"{limits.MAX_TEMPO_PHASE_SECONDS:g}s",
                node.loc,
            )
        if 0 < seconds < limits.MIN_TEMPO_PHASE_SECONDS:
            raise LimitError(
                f"{field}: a phase of {seconds:g}s is shorter than the shortest of "
                f"{limits.MIN_TEMPO_PHASE_SECONDS:g}s (0 for no hold or pause)",
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
    elif isinstance(value, bool) and node.source:
        value = node.source  # `caution: No` is the word as written
    elif _is_number(value):
        value = written(node)  # as written: `title: .nan` is ".nan", `name: 0x10` "0x10"
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


def parse_option(node: YNode, field: str) -> str | int | float | bool:
    """An engine option: text, a number or true/false (the engine checks the rest)."""
    value = node.value
    if isinstance(value, bool) or _is_number(value):
        return value
    if isinstance(value, str) and value.strip():
        if len(value) > limits.MAX_TEXT_CHARS:
            raise LimitError(
                f"{field}: text is {len(value)} characters; the limit is {limits.MAX_TEXT_CHARS}",
                node.loc,
            )
        return value
    raise fail(node, field, "text, a number or true/false")


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
