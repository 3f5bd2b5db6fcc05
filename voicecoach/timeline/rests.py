"""Rests between sets, at a change of sides and between exercises.

Each is said at its real length: a rest that must grow to fit its words is announced
at the grown length. Long rests say the time left on the way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from voicecoach.phrases import PhraseBook
from voicecoach.script.model import Exercise
from voicecoach.timeline.builder import SPEECH_GAP, Context, TimelineBuilder
from voicecoach.timeline.sets import ReminderRotation, remind_in_gap, time_left_marks
from voicecoach.timeline.sides import capitalised, change_to, label

TONE_LEAD = 0.5
"""Seconds between a set's end tone and the first word after it."""
COUNT_IN_LEAD = 0.5
"""Seconds between the last announcement and the first count-in tick."""
TEN_SECONDS_MIN = 25.0
"""Rests at least this long get a "10 seconds" reminder."""
REST_REMINDER_PAUSE = 1.5
"""Silence after a rest's announcements before a reminder."""


@dataclass(frozen=True)
class Block:
    """One set of an exercise in running order."""

    side: str | None
    """The side worked (None without sides, or when sides change every rep)."""
    number: int
    """1-based set number on that side."""


def sayable(seconds: float) -> float:
    """SECONDS rounded up to what is said exactly (halves under 10 s, else whole)."""
    step = 0.5 if seconds < 10 else 1.0
    return math.ceil(seconds / step - 1e-9) * step


def set_name(book: PhraseBook, exercise: Exercise, block: Block) -> str:
    """'Set 2 of 3.' or 'Last set.'."""
    if block.number == exercise.sets:
        return book.say("set_last")
    return book.say("set_of", n=block.number, total=exercise.sets)


def set_rest(
    b: TimelineBuilder,
    book: PhraseBook,
    exercise: Exercise,
    index: int,
    pair: tuple[Block, Block],
    set_end: float,
    warnings: list[str],
    reminders: ReminderRotation,
) -> float:
    """The rest (or side change) between two sets. Returns the next set's start.

    A rest also gets a reminder where one fits (a side change is busy enough).
    """
    previous, block = pair
    ctx = Context(index, block.side, block.number)
    side_change = block.side != previous.side
    wraps = exercise.alternate_sides and block.side == exercise.sides[0]
    use_side_rest = side_change and not wraps
    nominal = exercise.side_rest if use_side_rest else exercise.rest

    def lines_for(rest: float) -> list[str]:
        if use_side_rest:
            lines = [change_to(book, exercise, block.side or "")]
            return lines + ([set_name(book, exercise, block)] if exercise.sets > 1 else [])
        return [book.say("rest", duration=book.duration(rest)), _next_line(book, exercise, block)]

    get_ready = book.say("get_ready")
    chime_at = max(set_end + TONE_LEAD / 2, b.speech_free_at)  # not over "And stop."
    speak_from = max(set_end + TONE_LEAD, b.speech_free_at)
    if use_side_rest and not b.voiced:  # voiced: the words alone say it
        speak_from = max(speak_from, chime_at + b.tone_lengths["side"] + 0.1)
    tail = COUNT_IN_LEAD + exercise.countdown

    def needed(lines: list[str]) -> float:
        return speak_from + b.sequence_length([*lines, get_ready]) + tail - set_end

    rest = _fitted(nominal, lines_for, needed)
    if rest > nominal + 1e-9:
        warnings.append(
            f"{exercise.name}: the {'side change' if use_side_rest else 'rest'} before "
            f"{_where(block)} grows from {nominal:g}s to {rest:g}s to fit what is said"
        )
    next_start = set_end + rest
    if use_side_rest:
        b.tone("side", chime_at, ctx)
    b.say_all(lines_for(rest), speak_from, ctx)
    ready_at = next_start - tail - b.length(get_ready)
    _fill(b, book, ctx, (ready_at, next_start), None if use_side_rest else reminders, rest)
    b.say(get_ready, max(b.speech_free_at, ready_at), ctx)
    return next_start


def exercise_transition(
    b: TimelineBuilder,
    book: PhraseBook,
    exercise: Exercise,
    index: int,
    coming: str,
    set_end: float,
    warnings: list[str],
) -> float:
    """The rest after an exercise, naming what comes next. Returns when it ends."""
    ctx = Context(exercise=index)
    speak_from = max(set_end + TONE_LEAD, b.speech_free_at)

    def lines_for(rest: float) -> list[str]:
        said = book.say("rest", duration=book.duration(rest))
        return [said, book.say("next_exercise", name=coming.rstrip("."))]

    def needed(lines: list[str]) -> float:
        return speak_from + b.sequence_length(lines) + SPEECH_GAP - set_end

    rest = _fitted(exercise.transition, lines_for, needed)
    if rest > exercise.transition + 1e-9:
        warnings.append(
            f"{exercise.name}: the transition to {coming} grows from "
            f"{exercise.transition:g}s to {rest:g}s to fit what is said"
        )
    b.say_all(lines_for(rest), speak_from, ctx)
    end = set_end + rest
    _fill(b, book, ctx, (end, end), None, rest)
    return end


def _fitted(nominal: float, lines_for, needed) -> float:
    """The rest's length: NOMINAL, or what its own words need, said exactly."""
    rest = nominal
    for _ in range(8):
        need = needed(lines_for(rest))
        if need <= rest + 1e-9:
            return rest
        rest = sayable(need)
    return max(rest, needed(lines_for(rest)))


def _fill(
    b: TimelineBuilder,
    book: PhraseBook,
    ctx: Context,
    span: tuple[float, float],
    reminders: ReminderRotation | None,
    rest: float,
) -> None:
    """After a rest's announcements, until SPAN's first time: a reminder (if REMINDERS),
    the time left at each 30 s mark, and "10 seconds" in a long rest; SPAN's second
    time is when the rest ends."""
    until, end = span
    anchors = [
        (end - left, capitalised(book.say("rest_time_left", duration=book.duration(left))))
        for left in time_left_marks(b.speech_free_at, end)
    ]
    if rest >= TEN_SECONDS_MIN:
        anchors.append((end - 10, book.say("rest_left", seconds=10)))
    anchors = sorted(a for a in anchors if a[0] < until)
    cursor = b.speech_free_at + REST_REMINDER_PAUSE
    pending = reminders is not None and bool(reminders.candidates())
    for i, (when, text) in enumerate([*anchors, (until, "")]):
        if pending and reminders is not None:
            pending = not remind_in_gap(b, cursor, when - SPEECH_GAP, ctx, reminders)
        if text:
            following = anchors[i + 1][0] if i + 1 < len(anchors) else until
            b.try_say([text], when, following - SPEECH_GAP, ctx)
            cursor = max(when, b.speech_free_at)


def _next_line(book: PhraseBook, exercise: Exercise, block: Block) -> str:
    last = block.number == exercise.sets
    if exercise.alternate_sides and block.side is not None:
        side = label(book, exercise, block.side)
        if last:
            return book.say("next_side_last_set", label=side)
        return book.say("next_side_set", label=side, n=block.number, total=exercise.sets)
    if last:
        return book.say("next_last_set")
    return book.say("next_set", n=block.number, total=exercise.sets)


def _where(block: Block) -> str:
    return f"{block.side} set {block.number}" if block.side else f"set {block.number}"
