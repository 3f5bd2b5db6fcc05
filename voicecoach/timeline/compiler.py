"""Compile a Programme into a Timeline: pure, deterministic, no audio and no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from voicecoach.errors import LimitError
from voicecoach.phrases import PhraseBook
from voicecoach.script import limits
from voicecoach.script.model import Exercise, HoldDose, Programme, RepsDose, TimedDose
from voicecoach.script.values import format_seconds
from voicecoach.timeline.builder import SPEECH_GAP, Context, Measure, TimelineBuilder
from voicecoach.timeline.checks import check_timeline
from voicecoach.timeline.estimate import check_session_length
from voicecoach.timeline.model import Chapter, Timeline
from voicecoach.timeline.rests import (
    COUNT_IN_LEAD,
    TONE_LEAD,
    Block,
    exercise_transition,
    set_name,
    set_rest,
)
from voicecoach.timeline.sets import ReminderRotation, lay_out_set
from voicecoach.timeline.sides import capitalised, first_side
from voicecoach.timeline.tone_lengths import TONE_LENGTHS

EXERCISE_GAP = 2.0
"""Silence between one exercise's last word and the next exercise (without a transition)."""
TAIL = 1.5
"""Silence at the very end of the track."""


def compile_programme(
    programme: Programme,
    measure: Measure,
    tone_lengths: Mapping[str, float] = TONE_LENGTHS,
    *,
    intro_minutes: int | None = None,
) -> Timeline:
    """Lay out every event of PROGRAMME; MEASURE gives each phrase's spoken length.
    The intro's "about N minutes" settles from N = INTRO_MINUTES (e.g. the minutes of a
    layout with estimated lengths, so only lines the track says are measured), else 1.

    LimitError when the session would pass the length limit: first from the quick
    lower bound (before anything is measured), then from the real length.
    """
    check_session_length(programme.exercises)
    book = PhraseBook.for_language(programme.language).with_overrides(dict(programme.phrases))
    timeline = _compile_with_length(programme, measure, tone_lengths, book, intro_minutes)
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
    minutes: int | None = None,
) -> Timeline:
    """Compile so that the intro's "about N minutes" is the track's length rounded,
    trying MINUTES first (None: 1).

    Saying the length changes the length; this settles in a pass or two. If it swings
    between two values, the larger is said and the end is padded with silence to match.
    """
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
    b = TimelineBuilder(measure, tone_lengths, voiced=programme.sound.voiced)
    warnings: list[str] = []
    starts: list[tuple[str, float, int | None]] = []  # title, start, exercise
    t = 0.0
    if programme.intro:
        starts.append((book.say("chapter_intro"), 0.0, None))
        t = _intro(b, book, programme, minutes or 1) + EXERCISE_GAP
    total = len(programme.exercises)
    first_reps = next(
        (i for i, ex in enumerate(programme.exercises) if isinstance(ex.dose, RepsDose)), None
    )
    for index, exercise in enumerate(programme.exercises):
        starts.append((exercise.name, t, index))
        explain = index == first_reps
        words_end, set_end = _exercise(b, book, exercise, (index, total, explain), t, warnings)
        coming = programme.exercises[index + 1].name if index + 1 < total else None
        if coming is not None and exercise.transition > 0:
            own = book.with_overrides(dict(exercise.phrases))
            t = exercise_transition(b, own, exercise, index, coming, set_end, warnings)
        else:
            t = words_end + EXERCISE_GAP
        _check_size(b, exercise, t)
    starts.append((book.say("chapter_outro"), t, None))
    end = b.say(book.say("outro"), t)
    duration = end + tail
    chapters = tuple(
        Chapter(title, start, starts[i + 1][1] if i + 1 < len(starts) else duration, exercise)
        for i, (title, start, exercise) in enumerate(starts)
    )
    timeline = Timeline(
        title=programme.title,
        duration=duration,
        chapters=chapters,
        events=b.sorted_events(),
        warnings=_capped(warnings),
        marks=b.sorted_marks(),
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
    if exercise.alternate_reps:
        return [Block(None, n) for n in sets]
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
) -> tuple[float, float]:
    """Announce and lay out one exercise from START, every reminder said at least once.

    A reminder the sets and rests had no room for is said before the first set (the
    exercise is laid out again); one tied to a phase it never fits is a warning.
    Returns the end of its last word and of its last set.
    """
    general = tuple(t for t in exercise.reminders if t not in dict(exercise.reminder_phases))
    preface: tuple[str, ...] = ()
    mark = b.snapshot()
    for _ in range(len(general) + 1):
        notes: list[str] = []
        reminders = ReminderRotation(general, exercise.reminder_phases)
        ends = _lay_out(b, book, exercise, position, start, (notes, preface), reminders)
        unsaid = [t for t in reminders.unsaid() if t in general]
        if not unsaid:
            break
        b.restore(mark)
        preface = tuple(t for t in general if t in preface or t in unsaid)
    warnings += list(dict.fromkeys(notes))  # a phase's note once per exercise
    for text in reminders.unsaid():
        warnings.append(
            f"{exercise.name}: the reminder '{text}' never fits its phase "
            f"({dict(exercise.reminder_phases)[text]}) and is not said"
        )
    return ends


def _lay_out(
    b: TimelineBuilder,
    book: PhraseBook,
    exercise: Exercise,
    position: tuple[int, int, bool],
    start: float,
    notes: tuple[list[str], tuple[str, ...]],
    reminders: ReminderRotation,
) -> tuple[float, float]:
    """One pass of _exercise; NOTES: (its warnings, the reminders to say up front)."""
    index, total, explain_tones = position
    book = book.with_overrides(dict(exercise.phrases))
    warnings, preface = notes
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
    if preface:
        lines += [book.say("reminders_heading"), *preface]
        for text in preface:
            reminders.mark(text)
    lines += dose_lines(book, exercise, explain_tones, voiced=b.voiced)
    b.say_all(lines, start + 0.5, ctx)

    blocks = _blocks(exercise)
    end = 0.0
    for i, block in enumerate(blocks):
        bctx = Context(index, block.side, block.number)
        if i == 0:
            first = []
            if exercise.sides:
                first.append(first_side(book, exercise, block.side or exercise.sides[0]))
            if exercise.sets > 1:
                first.append(set_name(book, exercise, block))
            first.append(book.say("get_ready"))
            said_end = b.say_all(first, b.speech_free_at, bctx)
            set_start = said_end + COUNT_IN_LEAD + exercise.countdown
        else:
            pair = (blocks[i - 1], block)
            set_start = set_rest(b, book, exercise, index, pair, end, warnings, reminders)
        _count_in(b, book, exercise, set_start, bctx, warnings)
        end = lay_out_set(b, book, exercise, set_start, bctx, reminders, warnings)
    return b.say(book.say("exercise_done"), end + TONE_LEAD, ctx), end


def dose_lines(
    book: PhraseBook, exercise: Exercise, explain_tones: bool = False, *, voiced: bool = False
) -> list[str]:
    """What the track says of an exercise's dose: sets and reps, sides, tempo (and the
    tones explained when EXPLAIN_TONES, or with VOICED, `tones: none`, that the voice
    calls each phase); the handout prints the same sentences."""
    dose, sets = exercise.dose, exercise.sets
    if isinstance(dose, RepsDose):
        lines = [book.say("dose_reps", count=sets, sets=sets, reps=book.count("reps", dose.reps))]
    elif isinstance(dose, HoldDose):
        hold = book.duration(dose.hold)
        if dose.reps == 1:
            key = "dose_holds_single" if sets == 1 else "dose_holds_single_sets"
            lines = [book.say(key, sets=sets, hold=hold)]
        else:
            reps = book.count("holds", dose.reps)
            lines = [book.say("dose_holds", count=sets, sets=sets, reps=reps, hold=hold)]
    else:
        assert isinstance(dose, TimedDose)
        work = book.duration(dose.work)
        lines = [capitalised(book.say("dose_work", count=sets, sets=sets, work=work))]
    if exercise.alternate_reps:
        lines.append(book.say("dose_alternating_reps"))
    elif len(exercise.sides) > 1:
        alternating = exercise.alternate_sides and exercise.sets > 1
        key = "dose_alternating" if alternating else "dose_each_side"
        lines.append(book.say(key))
    if isinstance(dose, RepsDose):
        tempo = dose.tempo
        key = "tempo_hold" if tempo.hold else "tempo"
        key += "_pause" if tempo.pause else ""
        up_word, down_word = exercise.tempo_words or (book.part("word_up"), book.part("word_down"))
        line = book.say(
            key,
            up=book.duration(tempo.up),
            hold=book.duration(tempo.hold),
            down=book.duration(tempo.down),
            pause=book.duration(tempo.pause),
            up_word=up_word,
            down_word=down_word,
        )
        lines.append(capitalised(line))
        if explain_tones:
            lines.append(book.say("phases_hint" if voiced else "tones_hint"))
    return lines


def _count_in(
    b: TimelineBuilder,
    book: PhraseBook,
    exercise: Exercise,
    set_start: float,
    ctx: Context,
    warnings: list[str],
) -> None:
    """Ticks (and spoken numbers where they fit) in the countdown's seconds before a set.

    Voiced (`tones: none`): the numbers alone, or a silent count-in (with a warning)
    when they take too long to say one a second.
    """
    countdown = exercise.countdown
    numbers = [book.say("countdown", n=n) for n in range(countdown, 0, -1)]
    speak = all(b.length(text) <= 1.0 - SPEECH_GAP for text in numbers)
    if b.voiced and numbers and not speak:
        warnings.append(
            f"{exercise.name}: the count-in's numbers take over "
            f"{1.0 - SPEECH_GAP:g}s to say, so with tones: none the count-in is silent"
        )
    for i, text in enumerate(numbers):
        at = set_start - countdown + i
        b.tone("count", at, ctx)
        if speak:
            b.try_say([text], at, at + 1.0 - SPEECH_GAP, ctx)
