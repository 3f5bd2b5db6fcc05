"""The programme's sound settings: `tones:`, `tone_level:`, `music:`, `music_level:`,
`music_duck:`, `author:` (the track's artist)."""

from __future__ import annotations

import math
from pathlib import Path

from voicecoach.errors import ScriptError
from voicecoach.script.model import (
    DEFAULT_MUSIC_DUCK,
    DEFAULT_MUSIC_LEVEL,
    DEFAULT_TONE_LEVEL,
    TONE_CHOICES,
    Sound,
)
from voicecoach.script.values import fail, parse_text
from voicecoach.script.yamlsource import YNode

SOUND_KEYS = ("author", "tones", "tone_level", "music", "music_level", "music_duck")
"""Programme keys this module reads."""
TONE_LEVEL_RANGE = (-30.0, 0.0)
"""Allowed `tone_level` (dB relative to the voice)."""
MUSIC_LEVEL_RANGE = (-40.0, -6.0)
"""Allowed `music_level` (dB relative to the voice)."""
MUSIC_DUCK_RANGE = (12.0, 60.0)
"""Allowed `music_duck` (dB): never under 12, so every line stays clear of the music."""


def parse_sound(fields: dict[str, YNode], programme: Path) -> Sound:
    """The sound settings of a programme file's top-level FIELDS (paths relative to it)."""
    sound: dict = {}
    if (node := fields.get("tones")) is not None:
        sound.update(_parse_tones(node, programme), tones_source=node.loc)
    if (node := fields.get("music")) is not None:
        sound["music"] = _relative_path(node, "music", programme, "the path of a music file")
        sound["music_source"] = node.loc
        if not sound["music"].is_file():
            what = "is a folder" if sound["music"].is_dir() else "does not exist"
            raise ScriptError(f"music: {sound['music']} {what}; expected a music file", node.loc)
    levels = (
        ("tone_level", TONE_LEVEL_RANGE, DEFAULT_TONE_LEVEL),
        ("music_level", MUSIC_LEVEL_RANGE, DEFAULT_MUSIC_LEVEL),
        ("music_duck", MUSIC_DUCK_RANGE, DEFAULT_MUSIC_DUCK),
    )
    for key, bounds, _default in levels:
        if (node := fields.get(key)) is not None:
            sound[key] = parse_decibels(node, key, bounds)
    return Sound(**sound)


def parse_author(fields: dict[str, YNode]) -> str | None:
    """`author:`, the name players show as the track's artist (None if absent)."""
    node = fields.get("author")
    return None if node is None else parse_text(node, "author")


def parse_decibels(node: YNode, field: str, bounds: tuple[float, float]) -> float:
    """A level in dB: a number (or '-12 dB') within BOUNDS."""
    low, high = bounds
    expected = f"a level in dB from {low:g} to {high:g}"
    value = node.value
    if isinstance(value, str):
        text = value.strip().lower().removesuffix("db").strip()
        try:
            value = float(text)
        except ValueError:
            raise fail(node, field, expected) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(node, field, expected)
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise fail(node, field, expected)
    return number


def _parse_tones(node: YNode, programme: Path) -> dict:
    """`tones:` as a choice (`none`: the voice calls each phase, no tones), or a folder
    of tone files relative to the programme."""
    choices = f"{', '.join(TONE_CHOICES[:-1])} or {TONE_CHOICES[-1]}"
    expected = f"one of {choices}, or a folder of tone files"
    if not isinstance(node.value, str) or not node.value.strip():
        raise fail(node, "tones", expected)
    choice = node.value.strip()
    if choice.lower() in TONE_CHOICES:
        return {"tones": choice.lower()}
    folder = _relative_path(node, "tones", programme, expected)
    if not folder.is_dir():
        raise ScriptError(
            f"tones: {node.describe()} is not one of {choices}, and {folder} is not a folder",
            node.loc,
        )
    return {"tones": "folder", "tone_folder": folder}


def _relative_path(node: YNode, field: str, programme: Path, expected: str) -> Path:
    """NODE's text as a path relative to the programme file's folder (resolved)."""
    if not isinstance(node.value, str) or not node.value.strip():
        raise fail(node, field, expected)
    try:
        return (programme.parent / node.value.strip()).expanduser().resolve(strict=False)
    except (OSError, ValueError, RuntimeError):
        raise fail(node, field, expected) from None
