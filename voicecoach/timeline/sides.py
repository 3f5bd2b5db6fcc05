"""How an exercise's sides are said: which side, and what the side names (side, leg,
arm, the side one lies on, or the programme's own wording)."""

from __future__ import annotations

from voicecoach.phrases import PhraseBook
from voicecoach.script.model import Exercise
from voicecoach.script.wording import SIDES

_NOUNS = ("side", "leg", "arm")
"""Built-in meanings said with the pack's generic sentences and a label."""


def capitalised(text: str) -> str:
    """TEXT with its first letter upper-case (a sentence that starts with a field)."""
    return text[:1].upper() + text[1:]


def other_side(side: str) -> str:
    """The side that is not SIDE."""
    return "right" if side == "left" else "left"


def noun_label(book: PhraseBook, side: str, noun: str = _NOUNS[0]) -> str:
    """'your left leg': SIDE with NOUN (side, leg or arm), as the pack says it."""
    suffix = "" if noun == _NOUNS[0] else f"_{noun}"
    return book.part(f"label_{side}{suffix}")


def label(book: PhraseBook, exercise: Exercise, side: str) -> str:
    """What is worked, as a phrase: 'your left leg', 'lying on your right side'."""
    means = exercise.side_means
    if means in _NOUNS:
        return noun_label(book, side, means)
    if means == "lying_on":
        return book.part("label_lying_on", side=noun_label(book, side))
    words = {s: book.part(f"side_word_{s}") for s in SIDES}
    return means.format(side=words[side], other=words[other_side(side)])


def _sentence(book: PhraseBook, exercise: Exercise, key: str, side: str) -> str:
    if exercise.side_means == "lying_on":
        leg = noun_label(book, other_side(side), _NOUNS[1])
        return book.say(f"{key}_lying_on", side=noun_label(book, side), other=leg)
    return capitalised(book.say(key, label=label(book, exercise, side)))


def first_side(book: PhraseBook, exercise: Exercise, side: str) -> str:
    """Said before the first set: which side starts (or the only side worked)."""
    key = "side_only" if len(exercise.sides) == 1 else "side_first"
    return _sentence(book, exercise, key, side)


def change_to(book: PhraseBook, exercise: Exercise, side: str) -> str:
    """Said at a change of sides."""
    return _sentence(book, exercise, "side_change", side)
