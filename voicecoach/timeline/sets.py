"""Lay out the inside of one set: reps, holds or timed work, with what is said."""

from __future__ import annotations

from dataclasses import dataclass, field

from voicecoach.phrases import PhraseBook
from voicecoach.script.model import Exercise, HoldDose, RepsDose, TimedDose
from voicecoach.timeline.builder import SPEECH_GAP, Context, TimelineBuilder
from voicecoach.timeline.estimate import set_seconds

REMINDER_SPACING = 15.0
"""Least seconds between two reminders."""


@dataclass
class ReminderRotation:
    """Hands out an exercise's reminders in turn, the least said first.

    A reminder too long for the gap at hand is passed over for a shorter one, and comes
    back first when a longer gap (such as a rest) opens, so every one gets said.
    """

    reminders: tuple[str, ...]
    """The exercise's reminders."""
    said: dict[str, int] = field(default_factory=dict)
    """How often each reminder has been said."""
    next_index: int = 0
    """Where the turn order continues."""
    last_said_at: float = float("-inf")
    """When the last reminder was said (for the spacing between them)."""

    def candidates(self) -> list[str]:
        """Reminders in the order to try them: least said, then turn order."""
        count = len(self.reminders)
        order = [self.reminders[(self.next_index + i) % count] for i in range(count)]
        return sorted(order, key=lambda text: self.said.get(text, 0))

    def mark(self, text: str) -> None:
        """Record that TEXT was said."""
        self.said[text] = self.said.get(text, 0) + 1
        self.next_index = self.reminders.index(text) + 1


def set_end(exercise: Exercise, start: float) -> float:
    """When the last rep (or the work) of a set starting at START ends."""
    return start + set_seconds(exercise)


def lay_out_set(
    b: TimelineBuilder,
    book: PhraseBook,
    exercise: Exercise,
    start: float,
    ctx: Context,
    reminders: ReminderRotation,
) -> float:
    """Place one set starting at START (the first rep's onset). Returns its end."""
    dose = exercise.dose
    if isinstance(dose, RepsDose):
        _reps(b, book, dose, start, ctx, reminders)
    elif isinstance(dose, HoldDose):
        _holds(b, book, dose, start, ctx, reminders)
    else:
        _work(b, book, dose, start, ctx, reminders)
    end = set_end(exercise, start)
    b.tone("end", end, ctx)
    return end


def remind_in_gap(
    b: TimelineBuilder, at: float, deadline: float, ctx: Context, reminders: ReminderRotation
) -> None:
    """Say one reminder between AT and DEADLINE if one fits (e.g. during a rest)."""
    start = max(at, b.speech_free_at)
    said = b.try_say(reminders.candidates(), start, deadline, ctx)
    if said:
        reminders.last_said_at = start
        reminders.mark(said)


def _filler(
    b: TimelineBuilder,
    book: PhraseBook,
    at: float,
    deadline: float,
    ctx: Context,
    reminders: ReminderRotation,
    extra: tuple[str, ...] = (),
    *,
    remind: bool = True,
) -> None:
    """Fill a gap in the rhythm: EXTRA first (e.g. "halfway"), then a reminder."""
    for text in extra:
        b.try_say([text], max(at, b.speech_free_at), deadline, ctx)
    at = max(at, b.speech_free_at)
    if remind and at - reminders.last_said_at >= REMINDER_SPACING:
        remind_in_gap(b, at, deadline, ctx, reminders)


def _reps(
    b: TimelineBuilder,
    book: PhraseBook,
    dose: RepsDose,
    start: float,
    ctx: Context,
    reminders: ReminderRotation,
) -> None:
    """Tones for each phase; the rep number is said as the lowering starts."""
    tempo = dose.tempo
    period = tempo.period
    halfway_rep = dose.reps // 2 if dose.reps >= 6 else None
    for rep in range(1, dose.reps + 1):
        rctx = ctx.with_rep(rep)
        rep_start = start + (rep - 1) * period
        down_at = rep_start + tempo.up + tempo.hold
        b.tone("go" if rep == 1 else "up", rep_start, rctx)
        if tempo.hold > 0:
            b.tone("hold", rep_start + tempo.up, rctx)
        b.tone("down", down_at, rctx)
        if rep == dose.reps and dose.reps > 1:
            b.try_say([book.say("rep_last")], rep_start, down_at - SPEECH_GAP, rctx)
        b.try_say([book.say("rep", n=rep)], down_at, _next_count(dose, rep, start), rctx)
        if rep < dose.reps:
            extra = (book.say("halfway"),) if rep == halfway_rep else ()
            deadline = start + rep * period - SPEECH_GAP  # never over the next "up" tone
            _filler(b, book, down_at, deadline, rctx, reminders, extra, remind=rep > 1)


def _next_count(dose: RepsDose, rep: int, start: float) -> float:
    """Latest end for speech that follows rep REP's count (the next rep's count)."""
    tempo = dose.tempo
    if rep == dose.reps:
        return start + (rep - 1) * tempo.period + tempo.active
    next_start = start + rep * tempo.period
    if rep + 1 == dose.reps:
        return next_start  # leave room for "last one" at the last rep's start
    return next_start + tempo.up + tempo.hold - SPEECH_GAP


def _holds(
    b: TimelineBuilder,
    book: PhraseBook,
    dose: HoldDose,
    start: float,
    ctx: Context,
    reminders: ReminderRotation,
) -> None:
    """Hold, the last seconds counted down, then relax until the next hold."""
    for rep in range(1, dose.reps + 1):
        rctx = ctx.with_rep(rep)
        hold_start = start + (rep - 1) * dose.period
        hold_end = hold_start + dose.hold
        last = rep == dose.reps
        b.tone("go" if rep == 1 else "hold", hold_start, rctx)
        if last and dose.reps > 1:
            b.try_say([book.say("rep_last")], hold_start, hold_end - SPEECH_GAP, rctx)
        b.try_say(
            [book.say("hold_start")], max(hold_start, b.speech_free_at), hold_end - SPEECH_GAP, rctx
        )
        _countdown_inside(b, book, hold_start, hold_end, rctx, reminders, "hold_left")
        if last:  # the set's end tone sounds here; the release is still said
            relax = book.say("relax")
            b.try_say([relax], hold_end, hold_end + b.length(relax), rctx)
            continue
        b.tone("down", hold_end, rctx)
        next_start = hold_start + dose.period
        b.try_say(  # reminders belong in the hold, not while relaxing
            [book.say("relax_count", count=rep, n=rep), book.say("relax")],
            hold_end,
            next_start - SPEECH_GAP,
            rctx,
        )


def _work(
    b: TimelineBuilder,
    book: PhraseBook,
    dose: TimedDose,
    start: float,
    ctx: Context,
    reminders: ReminderRotation,
) -> None:
    """A timed bout: halfway, time left, the final seconds counted, then stop."""
    b.tone("go", start, ctx)
    end = start + dose.work
    _countdown_inside(b, book, start, end, ctx, reminders, "work_left", halfway=True)
    b.try_say([book.say("stop")], end, end + b.length(book.say("stop")), ctx)


def _countdown_inside(
    b: TimelineBuilder,
    book: PhraseBook,
    start: float,
    end: float,
    ctx: Context,
    reminders: ReminderRotation,
    left_key: str,
    *,
    halfway: bool = False,
) -> None:
    """Within [START, END]: reminders, halfway, "N seconds left" and a 3-2-1 count."""
    length = end - start
    anchors: list[tuple[float, str]] = []
    if halfway and length >= 20:
        anchors.append((start + length / 2, book.say("halfway")))
    left = 10 if length >= 30 else 5 if length >= 10 else None
    if left is not None:
        anchors.append((end - left, book.say(left_key, seconds=left)))
    if length >= 6:
        anchors += [(end - n, book.say("countdown", n=n)) for n in (3, 2, 1)]
    anchors.sort()
    cursor = start + 1.0  # let the tone that opened the bout be heard first
    for i, (when, text) in enumerate(anchors):
        deadline = (anchors[i + 1][0] if i + 1 < len(anchors) else end) - SPEECH_GAP
        _filler(b, book, cursor, when - SPEECH_GAP, ctx, reminders)
        b.try_say([text], when, deadline, ctx)
        cursor = when
    if not anchors:  # after the final 3-2-1 nothing else is said before the end
        _filler(b, book, cursor, end - SPEECH_GAP, ctx, reminders)
