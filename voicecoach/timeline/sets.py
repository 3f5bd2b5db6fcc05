"""Lay out the inside of one set: reps, holds or timed work, with what is said."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from voicecoach.phrases import PhraseBook
from voicecoach.script.model import Exercise, HoldDose, RepsDose, TimedDose
from voicecoach.timeline.builder import SPEECH_GAP, Context, TimelineBuilder
from voicecoach.timeline.estimate import set_seconds
from voicecoach.timeline.sides import capitalised

COUNT, LAST, WORD = "count", "last", "word"
"""Kinds of slot in a set of reps: a rep's number, "last one", a phase's word."""
PHASES = ("up", "hold", "down")
"""The phases of a rep that get a word with `tones: none` (the pause is silent)."""
WORK = "work"
"""The phase of a timed set."""
REMINDER_SPACING = 15.0
"""Least seconds between two reminders."""
REPEAT_SPACING = 40.0
"""Least seconds before the same reminder is said again."""
UPDATE_EVERY = 30.0
"""Time left is said at each multiple of this many seconds before the end of a stretch."""
UPDATE_AFTER = 5.0
"""No time update in the first seconds of a stretch (its opening words come first)."""


@dataclass
class ReminderRotation:
    """Hands out an exercise's reminders in turn, the least said first.

    A reminder too long for the gap at hand is passed over for a shorter one, and comes
    back first when a longer gap (such as a rest) opens. Reminders tied to a phase are
    handed out only for that phase.
    """

    reminders: tuple[str, ...]
    """The exercise's reminders that may go anywhere."""
    phased: tuple[tuple[str, str], ...] = ()
    """(reminder, phase) for those said only in one phase of the rep."""
    said: dict[str, int] = field(default_factory=dict)
    """How often each reminder has been said."""
    next_index: int = 0
    """Where the turn order continues."""
    last_said_at: float = float("-inf")
    """When the last reminder was said (for the spacing between them)."""
    said_at: dict[str, float] = field(default_factory=dict)
    """When each reminder was last said (the same one is not repeated soon)."""

    def candidates(
        self, phase: str | None = None, *, general: bool = True, at: float | None = None
    ) -> list[str]:
        """Reminders in the order to try them: least said, then turn order.

        GENERAL: include those that may go anywhere; PHASE: and those tied to it. AT:
        leave out those said less than REPEAT_SPACING before.
        """
        count = len(self.reminders)
        order = [self.reminders[(self.next_index + i) % count] for i in range(count)]
        pool = (order if general else []) + [t for t, p in self.phased if p == phase]
        if at is not None:
            recent = at - REPEAT_SPACING
            pool = [t for t in pool if self.said_at.get(t, float("-inf")) <= recent]
        return sorted(dict.fromkeys(pool), key=lambda text: self.said.get(text, 0))

    def mark(self, text: str, at: float = float("-inf")) -> None:
        """Record that TEXT was said (at AT)."""
        self.said[text] = self.said.get(text, 0) + 1
        self.said_at[text] = at
        if text in self.reminders:
            self.next_index = self.reminders.index(text) + 1

    def unsaid(self) -> list[str]:
        """Reminders (tied to a phase or not) never said so far."""
        every = [*self.reminders, *(text for text, _ in self.phased)]
        return [text for text in dict.fromkeys(every) if not self.said.get(text)]


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
    warnings: list[str] | None = None,
) -> float:
    """Place one set starting at START (the first rep's onset). Returns its end.

    WARNINGS gets a note for each phase too short for its word (`tones: none`).
    """
    dose = exercise.dose
    notes = warnings if warnings is not None else []
    if isinstance(dose, RepsDose):
        _reps(b, book, exercise, dose, start, ctx, reminders, notes)
    elif isinstance(dose, HoldDose):
        _holds(b, book, exercise, dose, start, ctx, reminders, notes)
    else:
        _work(b, book, exercise, dose, start, ctx, reminders, notes)
    end = set_end(exercise, start)
    b.tone("end", end, ctx)
    return end


def remind_in_gap(
    b: TimelineBuilder,
    at: float,
    deadline: float,
    ctx: Context,
    reminders: ReminderRotation,
    phase: str | None = None,
    *,
    general: bool = True,
) -> bool:
    """Say one reminder between AT and DEADLINE if one fits (e.g. during a rest).

    PHASE: reminders tied to that phase may be said too; GENERAL: so may the others.
    """
    start = max(at, b.speech_free_at)
    candidates = reminders.candidates(phase, general=general, at=start)
    said = b.try_say(candidates, start, deadline, ctx)
    if said:
        reminders.last_said_at = start
        reminders.mark(said, start)
    return bool(said)


def time_left_marks(start: float, end: float) -> list[float]:
    """Seconds left at which to say the time left in [START, END] (30 s, 60 s, ...)."""
    marks = []
    left = UPDATE_EVERY
    while end - left >= start + UPDATE_AFTER - 1e-9:
        marks.append(left)
        left += UPDATE_EVERY
    long_first = marks and end - marks[-1] - start > UPDATE_EVERY - UPDATE_AFTER
    if long_first and end - marks[-1] - UPDATE_EVERY / 2 >= start + UPDATE_AFTER - 1e-9:
        marks.append(marks[-1] + UPDATE_EVERY / 2)  # e.g. 1:15 left of a 1:29 stretch
    return marks


def _filler(
    b: TimelineBuilder,
    at: float,
    deadline: float,
    ctx: Context,
    reminders: ReminderRotation,
    extra: tuple[str, ...] = (),
    *,
    remind: bool = True,
    phase: str | None = None,
) -> None:
    """Fill a gap in the rhythm: EXTRA first (e.g. "halfway"), then a reminder."""
    for text in extra:
        b.try_say([text], max(at, b.speech_free_at), deadline, ctx)
    at = max(at, b.speech_free_at)
    if remind and at - reminders.last_said_at >= REMINDER_SPACING:
        remind_in_gap(b, at, deadline, ctx, reminders, phase)


@dataclass(frozen=True)
class _Slot:
    """Something to say in a set of reps, at a moment of the rhythm."""

    at: float
    """When it may start."""
    order: int
    """Which goes first at equal times: -1 phase words, 0 counts, 1 "last one", 2 phases,
    3 fillers."""
    kind: str
    """count, last, filler, phase or word (a phase's word, `tones: none`)."""
    rep: int
    """The rep (or pair of reps) it belongs to."""
    text: str = ""
    """What a count or "last one" says; for a phase slot, the phase."""
    until: float = 0.0
    """For a phase slot: when the phase ends."""
    halfway: bool = False
    """For a filler: say "halfway" first."""
    side: str | None = None
    """For a phase word: the side of its movement."""
    phase: str | None = None
    """For a phase word: its phase, if a reminder tied to it may be said in its place."""


@dataclass(frozen=True)
class _Word:
    """With `tones: none`, what the voice says as one phase of a movement starts."""

    at: float
    """The phase's start: the word starts exactly here."""
    room: float
    """The phase's length: the word ends SPEECH_GAP before the phase does."""
    phase: str
    """up, hold or down."""
    text: str
    """The word ("Up.", "Hold.", a tempo word), or the rep's number said in its place."""
    rep: int
    """The rep it belongs to."""
    side: str | None
    """The side of its movement."""
    counted: bool = False
    """Whether the rep's number is said in the word's place."""


def _phase_words(
    book: PhraseBook, exercise: Exercise, dose: RepsDose, moves: list[float], ctx: Context
) -> list[_Word]:
    """Each movement's phase words: the up word, "hold" (if the tempo holds), the down
    word (`tempo_words`, else the pack's up and down words)."""
    tempo = dose.tempo
    up_word, down_word = exercise.tempo_words or (book.part("word_up"), book.part("word_down"))
    pair = 2 if exercise.alternate_reps else 1
    said = (
        book.say("phase_word", word=up_word),
        book.say("phase_hold"),
        book.say("phase_word", word=down_word),
    )
    spans = ((0.0, tempo.up), (tempo.up, tempo.hold), (tempo.up + tempo.hold, tempo.down))
    phases = [(name, *span, text) for name, span, text in zip(PHASES, spans, said, strict=True)]
    words = []
    for j, move in enumerate(moves):
        side = exercise.sides[j % 2] if exercise.alternate_reps else ctx.side
        for phase, offset, length, text in phases:
            if length > 0:
                words.append(_Word(move + offset, length, phase, text, j // pair + 1, side))
    return words


def _fits(b: TimelineBuilder, texts: list[str], room: float) -> bool:
    """Whether TEXTS, one after another, end SPEECH_GAP before ROOM seconds are over."""
    return b.sequence_length(texts) + SPEECH_GAP <= room + 1e-9


def _phase_note(exercise: Exercise, word: _Word, what: str) -> str:
    """A plan warning about one phase's word with `tones: none`."""
    return f"{exercise.name}: with tones: none, {what} in the {word.phase} phase ({word.room:g}s)"


def _voiced_count(
    b: TimelineBuilder,
    exercise: Exercise,
    words: list[_Word],
    slot: _Slot,
    anchor_at: float,
    notes: list[str],
) -> list[_Slot]:
    """The rep's count SLOT with `tones: none`: said after the word of the phase that
    starts at ANCHOR_AT, or in that word's place when there is no room for both (WORDS
    is updated), or left out (a note) when the phase cannot hold the number either."""
    index = next((i for i, w in enumerate(words) if abs(w.at - anchor_at) < 1e-9), None)
    if index is None:
        return [slot]
    word = words[index]
    if _fits(b, [word.text, slot.text], word.room):
        return [replace(slot, at=word.at)]
    if _fits(b, [slot.text], word.room):
        instead = f"the rep number is said instead of {word.text!r}"
        notes.append(_phase_note(exercise, word, instead))
        words[index] = replace(word, text=slot.text, counted=True)
        return []  # the word slot says it
    notes.append(_phase_note(exercise, word, "there is no room for the rep number"))
    return []


def _reps(
    b: TimelineBuilder,
    book: PhraseBook,
    exercise: Exercise,
    dose: RepsDose,
    start: float,
    ctx: Context,
    reminders: ReminderRotation,
    notes: list[str],
) -> None:
    """Tones for each phase; each rep's number said at the start, top or end of the rep.

    With sides alternating every rep, a rep is a pair of movements (one per side) and
    is counted once. With `tones: none` each phase's word starts exactly at its phase
    (left out, with a note, when the phase is too short for it); the rep's number then
    follows the word of its phase, or of the rep's down phase when it would fall on the
    next rep's first word, and everything else waits for the next word.
    """
    tempo = dose.tempo
    period = tempo.period
    pair = 2 if exercise.alternate_reps else 1
    moves: list[float] = []
    for j in range(exercise.movements):
        at = start + j * period
        moves.append(at)
        side = exercise.sides[j % 2] if exercise.alternate_reps else ctx.side
        mctx = Context(ctx.exercise, side, ctx.set, j // pair + 1)
        b.tone("go" if j == 0 else "up", at, mctx)
        if tempo.hold > 0:
            b.tone("hold", at + tempo.up, mctx)
        b.tone("down", at + tempo.up + tempo.hold, mctx)

    reps = dose.reps
    halfway_rep = reps // 2 if reps >= 6 else None
    phases = {p for _, p in reminders.phased}
    bounds = {
        "up": (0.0, tempo.up),
        "hold": (tempo.up, tempo.up + tempo.hold),
        "down": (tempo.up + tempo.hold, tempo.active),
        "pause": (tempo.active, period),
    }
    words = _phase_words(book, exercise, dose, moves, ctx) if b.voiced else []
    slots: list[_Slot] = []
    for rep in range(1, reps + 1):
        first = moves[(rep - 1) * pair]
        last_move = moves[(rep - 1) * pair + pair - 1]
        count_at = {
            "start": first,
            "top": last_move + tempo.up,
            "end": last_move + tempo.active,
        }[exercise.count]
        final = rep == reps and reps > 1
        last_one, number = book.say("rep_last"), book.say("rep", n=rep)
        said = last_one if final and exercise.count == "start" else number
        count = _Slot(count_at, 0, COUNT, rep, said)
        if words:
            anchor = count_at  # the word starting there, or the rep's own down word
            in_pause = tempo.pause > 0 and _fits(b, [said], tempo.pause)
            if exercise.count == "end" and not in_pause:
                anchor = last_move + tempo.up + tempo.hold
            slots += _voiced_count(b, exercise, words, count, anchor, notes)
        else:
            slots.append(count)
        if final and exercise.count != "start":
            slots.append(_Slot(first, 1, LAST, rep, last_one))
        if 1 < rep < reps or (rep == halfway_rep):
            slots.append(_Slot(count_at, 3, "filler", rep, halfway=rep == halfway_rep))
        if 1 < rep < reps:  # or once this rep's opening tone has sounded
            late_halfway = halfway_rep is not None and rep == halfway_rep + 1
            slots.append(
                _Slot(first + b.tone_lengths["up"], 3, "filler", rep, halfway=late_halfway)
            )
        if rep > 1:
            for move in moves[(rep - 1) * pair : rep * pair]:
                for phase in sorted(phases):
                    begin, end = bounds[phase]
                    slots.append(_Slot(move + begin, 2, "phase", rep, phase, move + end))
    attached = {round(s.at, 9) for s in slots if s.kind == COUNT}  # a count follows the word
    for word in words:
        if _fits(b, [word.text], word.room):
            free = word.rep > 1 and not word.counted and round(word.at, 9) not in attached
            phase = word.phase if free and word.phase in phases else None
            until = word.at + word.room
            slots.append(
                _Slot(word.at, -1, WORD, word.rep, word.text, until, side=word.side, phase=phase)
            )
        else:
            notes.append(_phase_note(exercise, word, f"there is no room to say {word.text!r}"))
    slots.sort(key=lambda s: (s.at, s.order))
    counts = sorted(s.at for s in slots if s.kind == "count")
    word_starts = sorted({w.at for w in words})  # every phase start, with or without its word

    def next_count(after: float) -> float:
        following = (c for c in [*counts, *word_starts] if c > after + 1e-9)
        return min(following, default=float("inf"))

    def next_move(after: float) -> float:
        return next((m for m in moves if m > after + 1e-9), float("inf"))

    set_finish = moves[-1] + tempo.active
    last_at = next((s.at for s in slots if s.kind == "last"), float("inf"))
    halfway, halfway_said = book.say("halfway"), False
    for slot in slots:
        rctx = ctx.with_rep(slot.rep)
        if slot.kind == WORD:
            wctx = Context(ctx.exercise, slot.side, ctx.set, slot.rep)
            if slot.phase and _remind_instead(b, slot, wctx, reminders):
                continue
            b.try_say([slot.text], slot.at, slot.until - SPEECH_GAP, wctx)
        elif slot.kind == "count":
            deadline = next_count(slot.at) - SPEECH_GAP
            if deadline == float("inf"):
                deadline = max(set_finish, slot.at) + b.length(slot.text)
            at = max(slot.at, b.speech_free_at) if words else slot.at  # after its word
            b.try_say([slot.text], at, deadline, rctx)
        elif slot.kind == "last":
            at = max(slot.at, b.speech_free_at)
            b.try_say([slot.text], at, next_count(slot.at) - SPEECH_GAP, rctx)
        elif slot.kind == "filler":
            bound = last_at if last_at >= slot.at - 1e-9 else float("inf")  # not after it
            deadline = min(next_count(slot.at), next_move(slot.at), set_finish, bound)
            deadline -= SPEECH_GAP
            extra = (halfway,) if slot.halfway and not halfway_said else ()
            mark = len(b.events)
            _filler(b, slot.at, deadline, rctx, reminders, extra, remind=1 < slot.rep < reps)
            halfway_said = halfway_said or any(e.text == halfway for e in b.events[mark:])
        else:  # starts in the first half of its phase, ends before the next count or rep
            deadline = min(next_count(slot.at), next_move(slot.at), set_finish) - SPEECH_GAP
            at = max(slot.at, b.speech_free_at)
            if at <= (slot.at + slot.until) / 2 and at - reminders.last_said_at >= REMINDER_SPACING:
                remind_in_gap(b, at, deadline, rctx, reminders, slot.text, general=False)


def _remind_instead(
    b: TimelineBuilder, slot: _Slot, ctx: Context, reminders: ReminderRotation
) -> bool:
    """With `tones: none`, say a reminder tied to the phase of word SLOT in the word's
    place, when one is due and too long to follow the word within the phase (it then
    starts the phase itself: "Breathe out as you open."). True if one was said."""
    if slot.at - reminders.last_said_at < REMINDER_SPACING or b.speech_free_at > slot.at + 1e-9:
        return False
    due = reminders.candidates(slot.phase, general=False, at=slot.at)
    room = slot.until - slot.at
    if not due or any(_fits(b, [slot.text, text], room) for text in due):
        return False  # none due, or one can follow the word
    return remind_in_gap(
        b, slot.at, slot.until - SPEECH_GAP, ctx, reminders, slot.phase, general=False
    )


def _holds(
    b: TimelineBuilder,
    book: PhraseBook,
    exercise: Exercise,
    dose: HoldDose,
    start: float,
    ctx: Context,
    reminders: ReminderRotation,
    notes: list[str],
) -> None:
    """Move into position, hold (time left said, the last seconds counted), relax.

    With `tones: none` the words that open each phase (the lead-in, "hold", "relax")
    start exactly with it, "last one" after them; a phase too short for its word gets
    a note.
    """
    if exercise.tempo_words:
        lead_in = capitalised(book.say("lead_in_word", word=exercise.tempo_words[0]))
    else:
        lead_in = book.say("lead_in")
    for rep in range(1, dose.reps + 1):
        rctx = ctx.with_rep(rep)
        rep_start = start + (rep - 1) * dose.period
        hold_start = rep_start + dose.lead_in
        hold_end = hold_start + dose.hold
        last = rep == dose.reps
        opening = [book.say("rep_last")] if last and dose.reps > 1 else []
        if dose.lead_in > 0:
            b.tone("go" if rep == 1 else "up", rep_start, rctx)
            b.tone("hold", hold_start, rctx)
            said = [lead_in, *opening] if b.voiced else [*opening, lead_in]
            _phase_word_first(b, said, (rep_start, hold_start), rctx, (notes, exercise, "lead-in"))
            hold_word, opening = book.say("hold_after_lead_in"), []
        else:
            b.tone("go" if rep == 1 else "hold", rep_start, rctx)
            hold_word = book.say("hold_start")
            if not b.voiced:
                for text in opening:
                    b.try_say([text], hold_start, hold_end - SPEECH_GAP, rctx)
                opening = []
        said = [hold_word, *opening]
        _phase_word_first(b, said, (hold_start, hold_end), rctx, (notes, exercise, "hold"))
        _countdown_inside(
            b, book, (hold_start, hold_end), rctx, reminders, ("hold_left", "hold_time_left")
        )
        if last:  # the set's end tone sounds here; the release is still said
            relax = book.say("relax")
            b.try_say([relax], hold_end, hold_end + b.length(relax), rctx)
            continue
        b.tone("down", hold_end, rctx)
        next_start = rep_start + dose.period
        relaxed = b.try_say(  # reminders belong in the hold, not while relaxing
            [book.say("relax_count", count=rep, n=rep), book.say("relax")],
            hold_end,
            next_start - SPEECH_GAP,
            rctx,
        )
        if b.voiced and relaxed is None and dose.relax > 0:
            notes.append(
                f"{exercise.name}: with tones: none, there is no room to say "
                f"{book.say('relax')!r} in the relax phase ({dose.relax:g}s)"
            )
        if "relax" in {p for _, p in reminders.phased}:
            at = max(hold_end, b.speech_free_at)
            if at - reminders.last_said_at >= REMINDER_SPACING:
                deadline = next_start - SPEECH_GAP
                remind_in_gap(b, at, deadline, rctx, reminders, "relax", general=False)
        _time_updates(b, book, hold_end, next_start, rctx, "rest_time_left")


def _work(
    b: TimelineBuilder,
    book: PhraseBook,
    exercise: Exercise,
    dose: TimedDose,
    start: float,
    ctx: Context,
    reminders: ReminderRotation,
    notes: list[str],
) -> None:
    """A timed bout: halfway, time left, the final seconds counted, then stop.

    With `tones: none` the voice says "go" as it starts.
    """
    b.tone("go", start, ctx)
    end = start + dose.work
    if b.voiced:
        go = [book.say("phase_go")]
        _phase_word_first(b, go, (start, end), ctx, (notes, exercise, WORK))
    _countdown_inside(
        b, book, (start, end), ctx, reminders, ("work_left", "work_time_left"), halfway=True
    )
    b.try_say([book.say("stop")], end, end + b.length(book.say("stop")), ctx)


def _phase_word_first(
    b: TimelineBuilder,
    texts: list[str],
    span: tuple[float, float],
    ctx: Context,
    about: tuple[list[str], Exercise, str],
) -> None:
    """Say TEXTS in the phase SPAN, one after another, each if it fits before the end.

    Voiced (`tones: none`): the first starts exactly at the phase's start, or is left
    out with a note in ABOUT's list (notes, the exercise, the phase's name).
    """
    start, end = span
    notes, exercise, phase = about
    for i, text in enumerate(texts):
        at = start if b.voiced and i == 0 else max(start, b.speech_free_at)
        said = b.try_say([text], at, end - SPEECH_GAP, ctx)
        if b.voiced and i == 0 and said is None:
            notes.append(
                f"{exercise.name}: with tones: none, there is no room to say {text!r} in "
                f"the {phase} phase ({end - start:g}s)"
            )


def _time_updates(
    b: TimelineBuilder, book: PhraseBook, start: float, end: float, ctx: Context, key: str
) -> None:
    """Say the time left at each 30 s mark of [START, END] where it fits."""
    marks = [end - left for left in time_left_marks(start, end)][::-1]
    for i, when in enumerate(marks):
        text = capitalised(book.say(key, duration=book.duration(end - when)))
        deadline = (marks[i + 1] if i + 1 < len(marks) else end) - SPEECH_GAP
        b.try_say([text], when, deadline, ctx)


def _countdown_inside(
    b: TimelineBuilder,
    book: PhraseBook,
    span: tuple[float, float],
    ctx: Context,
    reminders: ReminderRotation,
    keys: tuple[str, str],
    *,
    halfway: bool = False,
) -> None:
    """Within SPAN: reminders, halfway, time left, "N seconds" and a 3-2-1 count.

    KEYS: the phrases for "N seconds" and for the time left at each 30 s mark. A hold
    (no halfway) also says the reminders tied to its phase.
    """
    start, end = span
    left_key, time_key = keys
    phase = None if halfway else "hold"
    length = end - start
    anchors: list[tuple[float, str]] = [
        (end - left, capitalised(book.say(time_key, duration=book.duration(left))))
        for left in time_left_marks(start, end)
    ]
    middle = start + length / 2
    if halfway and length >= 20 and all(abs(when - middle) > 5 for when, _ in anchors):
        anchors.append((middle, book.say("halfway")))
    left = 10 if length >= 30 else 5 if length >= 10 else None
    if left is not None:
        anchors.append((end - left, book.say(left_key, seconds=left)))
    if length >= 6:
        anchors += [(end - n, book.say("countdown", n=n)) for n in (3, 2, 1)]
    anchors.sort()
    cursor = start + 1.0  # let the tone that opened the bout be heard first
    for i, (when, text) in enumerate(anchors):
        deadline = (anchors[i + 1][0] if i + 1 < len(anchors) else end) - SPEECH_GAP
        _filler(b, cursor, when - SPEECH_GAP, ctx, reminders, phase=phase)
        b.try_say([text], when, deadline, ctx)
        cursor = when
    if not anchors:  # after the final 3-2-1 nothing else is said before the end
        _filler(b, cursor, end - SPEECH_GAP, ctx, reminders, phase=phase)
