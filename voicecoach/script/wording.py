"""Fields that shape how an exercise is guided: sides, side meaning, alternation,
tempo words, when reps are counted, and reminders tied to a phase of the rep."""

from __future__ import annotations

import difflib
import string

from voicecoach.errors import LimitError, ScriptError
from voicecoach.script import limits
from voicecoach.script.model import Dose, HoldDose, RepsDose, TimedDose
from voicecoach.script.values import fail, parse_bool, parse_lines, parse_text
from voicecoach.script.yamlsource import YNode, describe_value

SIDES = ("left", "right")
"""The sides an exercise can work."""
SIDE_MEANINGS = ("side", "leg", "arm", "lying_on")
"""What a side can name (besides a wording of one's own)."""
COUNT_MOMENTS = ("start", "top", "end")
"""When a rep's number can be said."""
ALTERNATIONS = ("sets", "reps")
"""What `alternate_sides` can alternate besides true/false (true: sets)."""
_WORDING_FIELDS = ("side", "other")


def parse_sides(node: YNode) -> tuple[str, ...]:
    """`left`, `right`, `both`, or a list of left/right (each once, in the order worked)."""
    expected = "left, right, both, or a list such as [left, right]"
    if isinstance(node.value, str):
        word = node.value.strip().lower()
        if word == "both":
            return SIDES
        if word in SIDES:
            return (word,)
        words = set(word.replace(",", " ").split())
        if {"left", "right"} <= words:
            raise fail(node, "sides", f"{expected} (did you mean [left, right]?)")
        raise fail(node, "sides", expected + _hint(word, (*SIDES, "both")))
    if not node.is_list or not node.value:
        raise fail(node, "sides", expected)
    sides = []
    for item in node.value:
        word = item.value.strip().lower() if isinstance(item.value, str) else ""
        if word not in SIDES:
            if any(part in SIDES for part in word.split()):
                hint = " (name only the side; side_means: leg, arm or lying_on says what it is)"
            else:
                hint = _hint(word, SIDES)
            raise fail(item, "sides", f"left or right{hint}")
        sides.append(word)
    if len(set(sides)) != len(sides):
        raise fail(node, "sides", "each side once")
    return tuple(sides)


def parse_side_means(node: YNode) -> str:
    """One of SIDE_MEANINGS, or a wording of one's own with {side} (and {other})."""
    text = parse_text(node, "side_means")
    if "{" not in text and "}" not in text:
        word = text.strip().lower().replace(" ", "_")
        if word in SIDE_MEANINGS:
            return word
        expected = "side, leg, arm, lying_on, or a wording with {side} such as 'your {side} foot'"
        raise fail(node, "side_means", expected + _hint(word, SIDE_MEANINGS))
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        names = ["?"]
    if not names or any(name not in _WORDING_FIELDS for name in names):
        raise fail(node, "side_means", "a wording whose only fields are {side} and {other}")
    if "side" not in names and "other" not in names:
        raise fail(node, "side_means", "a wording with {side} or {other}")
    return text


def parse_alternation(node: YNode, sides: tuple[str, ...], dose: Dose) -> tuple[bool, bool]:
    """(by sets, by reps) from true/false, `sets` or `reps`."""
    if isinstance(node.value, str) and node.value.strip().lower() in ALTERNATIONS:
        by_reps = node.value.strip().lower() == "reps"
    else:
        if not isinstance(node.value, bool):
            raise fail(node, "alternate_sides", "true, false, sets or reps")
        if not parse_bool(node, "alternate_sides"):
            return False, False
        by_reps = False
    if len(sides) < 2:
        raise ScriptError("alternate_sides: needs two sides, e.g. sides: [left, right]", node.loc)
    if by_reps and not isinstance(dose, RepsDose):
        raise ScriptError("alternate_sides: reps needs a dose of reps (with a tempo)", node.loc)
    return not by_reps, by_reps


def parse_tempo_words(node: YNode) -> tuple[str, str]:
    """Two words for the movement's phases, e.g. [lift, lower] or [out, in]."""
    if not node.is_list or len(node.value) != 2:
        raise fail(node, "tempo_words", "two words for the two movements, such as [lift, lower]")
    first, second = (parse_text(item, "tempo_words") for item in node.value)
    return first, second


def parse_count_moment(node: YNode) -> str:
    """When the rep's number is said: start, top or end."""
    word = node.value.strip().lower() if isinstance(node.value, str) else ""
    if word not in COUNT_MOMENTS:
        raise fail(node, "count", "start, top or end" + _hint(word, COUNT_MOMENTS))
    return word


def parse_reminders(node: YNode) -> tuple[tuple[str, ...], tuple[tuple[str, YNode], ...]]:
    """Reminder texts, and (text, `during` node) for those tied to a phase.

    An item is a line, or `{say: LINE, during: PHASE}`.
    """
    if node.value is None or not node.is_list:
        return parse_lines(node, "reminders"), ()
    if len(node.value) > limits.MAX_LINES:
        raise LimitError(
            f"reminders: {len(node.value)} lines is over the limit of {limits.MAX_LINES}",
            node.loc,
        )
    texts: list[str] = []
    phased: list[tuple[str, YNode]] = []
    for i, item in enumerate(node.value):
        field = f"reminders[{i + 1}]"
        if not (item.is_map and "say" in item.value):
            texts.append(parse_text(item, field))
            continue
        for key in item.value:
            if key not in ("say", "during"):
                raise ScriptError(
                    f"unknown key {describe_value(key)} in {field}; a reminder has 'say' "
                    "and an optional 'during'",
                    item.key_locs[key],
                )
        texts.append(parse_text(item.value["say"], field))
        if "during" in item.value:
            phased.append((texts[-1], item.value["during"]))
    return tuple(texts), tuple(phased)


def check_phases(phased: tuple[tuple[str, YNode], ...], dose: Dose) -> tuple[tuple[str, str], ...]:
    """The phase of each tied reminder, checked against the dose's phases."""
    if isinstance(dose, RepsDose):
        tempo = dose.tempo
        phases = ["up", *(["hold"] if tempo.hold else []), "down"]
        phases += ["pause"] if tempo.pause else []
    elif isinstance(dose, HoldDose):
        phases = ["hold", "relax"] if dose.relax else ["hold"]
    else:
        assert isinstance(dose, TimedDose)
        phases = []
    out = []
    for text, node in phased:
        word = node.value.strip().lower() if isinstance(node.value, str) else ""
        if not phases:
            raise ScriptError(
                "during: only goes with reps or holds (a timed set has no phases)", node.loc
            )
        if word not in phases:
            raise fail(node, "during", "a phase of this exercise's reps: " + ", ".join(phases))
        out.append((text, word))
    return tuple(out)


def _hint(word: str, choices: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
