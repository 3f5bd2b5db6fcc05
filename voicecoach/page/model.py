"""Where a session is at any moment, for the player page: its stretches from the timeline.

The timeline's events carry exercise, side, set and rep; this groups them into
contiguous segments (the intro, an exercise's briefing, a count-in, each rep or hold,
a rest, a side change, ...) that tile the track from 0 to its end, so the page only
has to find the segment the audio is in. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voicecoach.script.model import Exercise, HoldDose, Programme, RepsDose
from voicecoach.timeline.model import Event, Timeline

SEGMENT_KINDS = (
    "intro",  # the session's introduction
    "briefing",  # an exercise is explained, before its first count-in
    "countin",  # the ticks before a set
    "rep",  # one rep moved to the tempo
    "hold",  # one hold of a hold set
    "relax",  # between two holds
    "work",  # a timed set
    "rest",  # between two sets on the same side
    "sides",  # changing sides between two sets
    "done",  # after an exercise's last set, until the next chapter
    "outro",  # the session's last words
)
"""What can be going on, in the order the page's script knows them."""


@dataclass(frozen=True)
class Segment:
    """One stretch of the track with a single state to show."""

    start: float
    """Start in seconds."""
    end: float
    """End in seconds (the next segment's start)."""
    kind: str
    """One of SEGMENT_KINDS."""
    exercise: int | None = None
    """0-based exercise index (None in the intro and outro)."""
    side: str | None = None
    """The side worked (or about to be worked), as the programme names it."""
    set: int | None = None
    """1-based set number on that side (or the next set, in briefings and rests)."""
    rep: int | None = None
    """1-based rep or hold number."""
    until: float | None = None
    """What the page counts down to (a hold's, a timed set's or a rest's end)."""

    def to_json(self) -> list[object]:
        """[start, end, kind index, exercise, side, set, rep, until] (compact)."""
        return [
            round(self.start, 3),
            round(self.end, 3),
            SEGMENT_KINDS.index(self.kind),
            self.exercise,
            self.side,
            self.set,
            self.rep,
            None if self.until is None else round(self.until, 3),
        ]


@dataclass(frozen=True)
class _SetTimes:
    """One set as its tones show it."""

    side: str | None
    number: int
    count_in: float | None
    """The first count-in tick (None without a count-in)."""
    start: float
    """The go tone."""
    end: float
    """The end tone."""
    reps: tuple[float, ...]
    """Start of each rep or hold (empty for a timed set)."""
    hold_ends: tuple[float, ...]
    """End of each hold (hold sets only)."""
    side_chime: bool
    """Whether a side-change chime sounds before this set."""


def exercise_chapters(timeline: Timeline) -> list[int]:
    """The chapter index of each exercise, in exercise order (from each chapter's exercise)."""
    return [i for i, c in enumerate(timeline.chapters) if c.exercise is not None]


def segments(programme: Programme, timeline: Timeline) -> tuple[Segment, ...]:
    """Contiguous segments from 0 to the track's end, in order."""
    chapters = timeline.chapters
    by_exercise: dict[int, list[Event]] = {}
    for event in timeline.beats():  # the tones, or with `tones: none` the marks
        if event.exercise is not None:
            by_exercise.setdefault(event.exercise, []).append(event)
    found: list[Segment] = []
    chapter_of = exercise_chapters(timeline)
    first = chapters[chapter_of[0]].start
    if first > 0:
        found.append(Segment(0.0, first, "intro"))
    for index, exercise in enumerate(programme.exercises):
        chapter = chapters[chapter_of[index]]
        sets = _sets(by_exercise.get(index, []), per_rep=exercise.alternate_reps)
        found += _exercise_segments(exercise, index, chapter.start, chapter.end, sets)
    outro = chapters[-1]
    found.append(Segment(outro.start, max(outro.end, timeline.duration), "outro"))
    return tuple(s for s in found if s.end > s.start)


def _sets(events: Sequence[Event], *, per_rep: bool = False) -> list[_SetTimes]:
    """The sets of one exercise, in running order, from its tones (or marks).

    PER_REP: sides change every rep, so a set holds both sides' movements.
    """
    blocks: dict[tuple[str | None, int], list[Event]] = {}
    for event in events:
        if event.set is not None:
            blocks.setdefault((None if per_rep else event.side, event.set), []).append(event)
    found = []
    previous_end = None
    for (side, number), block in blocks.items():
        tones = [e for e in block if e.kind != "speech"]  # tones, or marks
        go = next((e.start for e in tones if e.tone == "go"), None)
        end = next((e.start for e in tones if e.tone == "end"), None)
        if go is None or end is None:
            continue
        counts = [e.start for e in tones if e.tone == "count" and e.start < go]
        rep_starts: dict[int, float] = {}
        hold_ends: dict[int, float] = {}
        for e in tones:
            if e.rep is None:
                continue
            rep_starts[e.rep] = min(rep_starts.get(e.rep, e.start), e.start)
            if e.tone == "down":
                hold_ends.setdefault(e.rep, e.start)
        reps = tuple(rep_starts[r] for r in sorted(rep_starts))
        ends = tuple(hold_ends.get(r, end) for r in sorted(rep_starts))
        chime = previous_end is not None and any(
            e.tone == "side" and previous_end <= e.start < go for e in tones
        )
        found.append(_SetTimes(side, number, min(counts, default=None), go, end, reps, ends, chime))
        previous_end = end
    return found


def _exercise_segments(
    exercise: Exercise, index: int, start: float, end: float, sets: list[_SetTimes]
) -> list[Segment]:
    """The segments of one exercise's chapter [START, END)."""
    if not sets:
        return [Segment(start, end, "briefing", index)]
    out: list[Segment] = []
    cursor = start
    for i, block in enumerate(sets):
        where = {"exercise": index, "side": block.side, "set": block.number}
        ready = block.count_in if block.count_in is not None else block.start
        if i == 0:
            out.append(Segment(cursor, ready, "briefing", **where))
        else:
            kind = "sides" if block.side_chime else "rest"
            out.append(Segment(cursor, ready, kind, **where, until=block.start))
        if block.count_in is not None:
            out.append(Segment(block.count_in, block.start, "countin", **where, until=block.start))
        out += _set_segments(exercise, block, where)
        cursor = block.end
    out.append(Segment(cursor, end, "done", index))
    return out


def _set_segments(exercise: Exercise, block: _SetTimes, where: dict) -> list[Segment]:
    """The reps, holds or work of one set."""
    dose = exercise.dose
    if isinstance(dose, RepsDose):
        starts = block.reps or (block.start,)
        bounds = [*starts[1:], block.end]
        return [
            Segment(s, e, "rep", **where, rep=n)
            for n, (s, e) in enumerate(zip(starts, bounds, strict=True), start=1)
        ]
    if isinstance(dose, HoldDose):
        out = []
        starts = block.reps or (block.start,)
        for n, (s, hold_end) in enumerate(zip(starts, block.hold_ends, strict=False), start=1):
            following = starts[n] if n < len(starts) else block.end
            hold_end = min(hold_end, following)
            held = min(s + dose.lead_in, hold_end)  # moving into position first
            out.append(Segment(s, held, "rep", **where, rep=n))
            out.append(Segment(held, hold_end, "hold", **where, rep=n, until=hold_end))
            out.append(Segment(hold_end, following, "relax", **where, rep=n, until=following))
        return out
    return [Segment(block.start, block.end, "work", **where, until=block.end)]
