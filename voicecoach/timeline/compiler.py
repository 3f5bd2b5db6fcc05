"""Compile a Programme into a Timeline: pure, deterministic, no audio and no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from voicecoach.errors import LimitError
from voicecoach.phrases import PhraseBook
from voicecoach.script import limits
from voicecoach.script.model import Exercise, HoldDose, Programme, RepsDose, TimedDose
from voicecoach.script.values import format_seconds
from voicecoach.timeline.builder import SPEECH_GAP, Context, Measure, TimelineBuilder
from voicecoach.timeline.checks import check_timeline
from voicecoach.timeline.estimate import check_session_length
from voicecoach.timeline.model import Chapter, Timeline
from voicecoach.timeline.sets import ReminderRotation, lay_out_set, remind_in_gap
from voicecoach.timeline.tone_lengths import TONE_LENGTHS

TONE_LEAD = 0.5
"""Seconds between a set's end tone and the first word after it."""
COUNT_IN_LEAD = 0.5
"""Seconds between the last announcement and the first count-in tick."""
EXERCISE_GAP = 2.0
"""Silence between one exercise's last word and the next exercise."""
TAIL = 1.5
"""Silence at the very end of the track."""
REST_REMINDER_MIN = 25.0
"""Rests at least this long get a "10 seconds" reminder."""
REST_REMINDER_PAUSE = 1.5
"""Silence after a rest's announcements before a reminder."""


@dataclass(frozen=True)
class Block:
    """One set of an exercise in running order."""

    side: str | None
    """The side worked, if the exercise has sides."""
    number: int
    """1-based set number on that side."""


def compile_programme(
    programme: Programme,
    measure: Measure,
    tone_lengths: Mapping[str, float] = TONE_LENGTHS,
) -> Timeline:
    """Lay out every event of PROGRAMME; MEASURE gives each phrase's spoken length.

    LimitError when the session would pass the length limit: first from the quick
    lower bound (before anything is measured), then from the real length.
    """
    check_session_length(programme.exercises)
    book = PhraseBook.for_language(programme.language).with_overrides(dict(programme.phrases))
    timeline = _compile_with_length(programme, measure, tone_lengths, book)
    if timeline.duration > limits.MAX_SESSION_SECONDS:
        last = programme.exercises[-1]  # only the closing words are left to tip it over
        raise LimitError(
            f"the session would last {format_seconds(timeline.duration)} with the closing "
            f"words after '{last.name}'; the limit is "
            f"{format_seconds(limits.MAX_SESSION_SECONDS)}",
            last.source,
        )
    check_timeline(timeline)
    return timeline


def _compile_with_length(
    programme: Programme,
    measure: Measure,
    tone_lengths: Mapping[str, float],
    book: PhraseBook,
) -> Timeline:
    """Compile so that the intro's "about N minutes" is the track's length rounded.

    Saying the length changes the length; this settles in a pass or two. If it swings
    between two values, the larger is said and the end is padded with silence to match.
    """
    minutes: int | None = None
    seen: set[int] = set()
    for _ in range(6):
        timeline, total = _compile_once(programme, measure, tone_lengths, book, minutes)
        said = max(1, round(total / 60))
        if not programme.intro or said == minutes:
            return timeline
        if said in seen and minutes is not None:
            minutes = max(minutes, said)
            break
        seen.add(said)
        minutes = said
    timeline, total = _compile_once(programme, measure, tone_lengths, book, minutes)
    assert minutes is not None
    shortfall = (minutes - 0.5) * 60 + 0.1 - total
    if round(total / 60) < minutes and shortfall > 0:
        timeline, total = _compile_once(
            programme, measure, tone_lengths, book, minutes, tail=TAIL + shortfall
        )
    return timeline


def _compile_once(
    programme: Programme,
    measure: Measure,
    tone_lengths: Mapping[str, float],
    book: PhraseBook,
    minutes: int | None,
    tail: float = TAIL,
) -> tuple[Timeline, float]:
    b = TimelineBuilder(measure, tone_lengths)
    warnings: list[str] = []
    starts: list[tuple[str, float]] = []
    t = 0.0
    if programme.intro:
        starts.append((book.say("chapter_intro"), 0.0))
        t = _intro(b, book, programme, minutes or 1) + EXERCISE_GAP
    total = len(programme.exercises)
    first_reps = next(
        (i for i, ex in enumerate(programme.exercises) if isinstance(ex.dose, RepsDose)), None
    )
    for index, exercise in enumerate(programme.exercises):
        starts.append((exercise.name, t))
        explain = index == first_reps
        t = _exercise(b, book, exercise, (index, total, explain), t, warnings) + EXERCISE_GAP
        _check_size(b, exercise, t)
    starts.append((book.say("chapter_outro"), t))
    end = b.say(book.say("outro"), t)
    duration = end + tail
    chapters = tuple(
        Chapter(title, start, starts[i + 1][1] if i + 1 < len(starts) else duration)
        for i, (title, start) in enumerate(starts)
    )
    timeline = Timeline(
        title=programme.title,
        duration=duration,
        chapters=chapters,
        events=b.sorted_events(),
        warnings=_capped(warnings),
    )
    return timeline, duration


def _check_size(b: TimelineBuilder, exercise: Exercise, end: float) -> None:
    """Stop at the exercise that takes the session past a limit (so a refusal is quick)."""
    if end > limits.MAX_SESSION_SECONDS:
        raise LimitError(
            f"the session would last {format_seconds(end)} by the end of '{exercise.name}'; "
            f"the limit is {format_seconds(limits.MAX_SESSION_SECONDS)}",
            exercise.source,
        )
    if len(b.events) > limits.MAX_EVENTS:
        raise LimitError(
            f"the session would hold more than {limits.MAX_EVENTS} sounds by the end of "
            f"'{exercise.name}'",
            exercise.source,
        )


def _capped(warnings: list[str]) -> tuple[str, ...]:
    """The first MAX_WARNINGS warnings, and how many more there were."""
    if len(warnings) <= limits.MAX_WARNINGS:
        return tuple(warnings)
    more = len(warnings) - limits.MAX_WARNINGS
    return (*warnings[: limits.MAX_WARNINGS], f"... and {more} more warnings like these")


def _intro(b: TimelineBuilder, book: PhraseBook, programme: Programme, minutes: int) -> float:
    count = len(programme.exercises)
    lines = [
        book.say("intro_title", title=programme.title.rstrip(".")),
        book.say("intro_length", count=minutes, minutes=minutes),
        book.say("intro_exercises", count=count, n=count),
    ]
    if programme.equipment:
        lines.append(book.say("intro_equipment", items=book.items(programme.equipment)))
    lines.append(book.say("intro_begin"))
    return b.say_all(lines, 0.5)


def _blocks(exercise: Exercise) -> list[Block]:
    sides: tuple[str | None, ...] = exercise.sides or (None,)
    sets = range(1, exercise.sets + 1)
    if exercise.alternate_sides:
        return [Block(side, n) for n in sets for side in sides]
    return [Block(side, n) for side in sides for n in sets]


def _exercise(
    b: TimelineBuilder,
    book: PhraseBook,
    exercise: Exercise,
    position: tuple[int, int, bool],
    start: float,
    warnings: list[str],
) -> float:
    """Announce and lay out one exercise from START. Returns its last word's end.

    POSITION: its index, the number of exercises, and whether to explain the tones.
    """
    index, total, explain_tones = position
    book = book.with_overrides(dict(exercise.phrases))
    ctx = Context(exercise=index)
    name = exercise.name.rstrip(".")
    heading = (
        book.say("exercise_of", number=index + 1, total=total, name=name)
        if total > 1
        else book.say("exercise_only", name=name)
    )
    lines = [heading]
    if exercise.setup:
        lines += [book.say("setup_heading"), *exercise.setup]
    if exercise.caution:
        lines.append(book.say("caution", text=exercise.caution))
    if exercise.cues:
        lines += [book.say("cues_heading"), *exercise.cues]
    lines += dose_lines(book, exercise, explain_tones)
    b.say_all(lines, start + 0.5, ctx)

    reminders = ReminderRotation(exercise.reminders)
    blocks = _blocks(exercise)
    end = 0.0
    for i, block in enumerate(blocks):
        bctx = Context(index, block.side, block.number)
        if i == 0:
            first = []
            if block.side is not None:
                first.append(book.say("side_first", side=book.side(block.side)))
            if exercise.sets > 1:
                first.append(_set_name(book, exercise, block))
            first.append(book.say("get_ready"))
            said_end = b.say_all(first, b.speech_free_at, bctx)
            set_start = said_end + COUNT_IN_LEAD + exercise.countdown
        else:
            pair = (blocks[i - 1], block)
            set_start = _transition(b, book, exercise, index, pair, end, warnings, reminders)
        _count_in(b, book, exercise.countdown, set_start, bctx)
        end = lay_out_set(b, book, exercise, set_start, bctx, reminders)
    return b.say(book.say("exercise_done"), end + TONE_LEAD, ctx)


def _set_name(book: PhraseBook, exercise: Exercise, block: Block) -> str:
    if block.number == exercise.sets:
        return book.say("set_last")
    return book.say("set_of", n=block.number, total=exercise.sets)


def dose_lines(book: PhraseBook, exercise: Exercise, explain_tones: bool = False) -> list[str]:
    """What the track says of an exercise's dose: sets and reps, sides, tempo (and the
    tones explained when EXPLAIN_TONES); the handout prints the same sentences."""
    dose, sets = exercise.dose, exercise.sets
    if isinstance(dose, RepsDose):
        lines = [book.say("dose_reps", count=sets, sets=sets, reps=book.count("reps", dose.reps))]
    elif isinstance(dose, HoldDose):
        hold = book.duration(dose.hold)
        reps = book.count("holds", dose.reps)
        lines = [book.say("dose_holds", count=sets, sets=sets, reps=reps, hold=hold)]
    else:
        assert isinstance(dose, TimedDose)
        lines = [book.say("dose_work", count=sets, sets=sets, work=book.duration(dose.work))]
    if len(exercise.sides) > 1:
        alternating = exercise.alternate_sides and exercise.sets > 1
        key = "dose_alternating" if alternating else "dose_each_side"
        lines.append(book.say(key))
    if isinstance(dose, RepsDose):
        tempo = dose.tempo
        key = "tempo_hold" if tempo.hold else "tempo"
        lines.append(
            book.say(
                key,
                up=book.duration(tempo.up),
                hold=book.duration(tempo.hold),
                down=book.duration(tempo.down),
            )
        )
        if explain_tones:
            lines.append(book.say("tones_hint"))
    return lines


def _transition(
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
    last = block.number == exercise.sets
    side_change = block.side != previous.side
    wraps = exercise.alternate_sides and block.side == exercise.sides[0]
    use_side_rest = side_change and not wraps
    rest = exercise.side_rest if use_side_rest else exercise.rest
    lines: list[str] = []
    if use_side_rest:
        lines.append(book.say("side_change", side=book.side(block.side or "")))
        if exercise.sets > 1:
            lines.append(_set_name(book, exercise, block))
    else:
        lines.append(book.say("rest", duration=book.duration(rest)))
        lines.append(_next_line(book, exercise, block, last=last))
    get_ready = book.say("get_ready")
    chime_at = max(set_end + TONE_LEAD / 2, b.speech_free_at)  # not over "And stop."
    speak_from = max(set_end + TONE_LEAD, b.speech_free_at)
    if use_side_rest:
        speak_from = max(speak_from, chime_at + b.tone_lengths["side"] + 0.1)
    needed_until = (
        speak_from + b.sequence_length([*lines, get_ready]) + COUNT_IN_LEAD + exercise.countdown
    )
    next_start = set_end + rest
    if needed_until > next_start + 1e-9:
        grown = needed_until - set_end
        warnings.append(
            f"{exercise.name}: the {'side change' if use_side_rest else 'rest'} before "
            f"{_where(block)} grows from {rest:g}s to {grown:.1f}s to fit what is said"
        )
        next_start = needed_until
    if use_side_rest:
        b.tone("side", chime_at, ctx)
    b.say_all(lines, speak_from, ctx)
    count_in = next_start - exercise.countdown - COUNT_IN_LEAD
    ready_at = count_in - b.length(get_ready)
    long_rest = rest >= REST_REMINDER_MIN and not use_side_rest
    if not use_side_rest:
        deadline = (min(next_start - 10, ready_at) if long_rest else ready_at) - SPEECH_GAP
        remind_in_gap(b, b.speech_free_at + REST_REMINDER_PAUSE, deadline, ctx, reminders)
    if long_rest:
        left = book.say("rest_left", seconds=10)
        b.try_say([left], next_start - 10, ready_at - SPEECH_GAP, ctx)
    b.say(get_ready, max(b.speech_free_at, count_in - b.length(get_ready)), ctx)
    return next_start


def _next_line(book: PhraseBook, exercise: Exercise, block: Block, *, last: bool) -> str:
    if exercise.alternate_sides and block.side is not None:
        side = book.side(block.side)
        if last:
            return book.say("next_side_last_set", side=side)
        return book.say("next_side_set", side=side, n=block.number, total=exercise.sets)
    if last:
        return book.say("next_last_set")
    return book.say("next_set", n=block.number, total=exercise.sets)


def _where(block: Block) -> str:
    return f"{block.side} set {block.number}" if block.side else f"set {block.number}"


def _count_in(
    b: TimelineBuilder, book: PhraseBook, countdown: int, set_start: float, ctx: Context
) -> None:
    """Ticks (and spoken numbers where they fit) in the COUNTDOWN seconds before a set."""
    numbers = [book.say("countdown", n=n) for n in range(countdown, 0, -1)]
    speak = all(b.length(text) <= 1.0 - SPEECH_GAP for text in numbers)
    for i, text in enumerate(numbers):
        at = set_start - countdown + i
        b.tone("count", at, ctx)
        if speak:
            b.try_say([text], at, at + 1.0 - SPEECH_GAP, ctx)
