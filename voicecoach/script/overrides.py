"""A programme's or an exercise's `phrases:`: its own wording for generated phrases."""

from __future__ import annotations

from voicecoach.errors import ScriptError
from voicecoach.phrases import key_problem, wording_problem
from voicecoach.script.values import fail, parse_text
from voicecoach.script.yamlsource import YNode

Overrides = tuple[tuple[str, str], ...]
"""(phrase key, wording) pairs in the order written."""


def parse_phrases(node: YNode, *, in_exercise: bool) -> Overrides:
    """The `phrases:` mapping at NODE, every key and wording checked (located errors).

    IN_EXERCISE: the mapping belongs to one exercise (keys said outside one are refused).
    """
    if not node.is_map:
        raise fail(node, "phrases", "a mapping from phrase keys to wording")
    pairs = []
    for key, value in node.value.items():
        if problem := key_problem(key, in_exercise=in_exercise):
            raise ScriptError(f"phrases: {problem}", node.key_locs[key])
        if value.is_map and value.flow:
            raise ScriptError(
                f"phrases.{key}: a wording that starts with '{{' must be quoted, "
                f'e.g. {key}: "{{n}} ..."',
                value.loc,
            )
        wording = parse_text(value, f"phrases.{key}")
        if problem := wording_problem(key, wording):
            raise ScriptError(f"phrases.{key}: {problem}", value.loc)
        pairs.append((key, wording))
    return tuple(pairs)


def merge_phrases(*layers: Overrides) -> Overrides:
    """LAYERS merged key by key, a later layer's wording winning."""
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer)
    return tuple(merged.items())
