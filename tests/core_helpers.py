"""Shared helpers for the pure-core tests (loader and compiler).

Not a conftest: import what you need with `from core_helpers import ...` (pytest puts
the tests folder on sys.path).
"""

from __future__ import annotations

import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

import voicecoach
from voicecoach.errors import ScriptError, VoiceCoachError
from voicecoach.phrases import PhraseBook
from voicecoach.script import load_programme
from voicecoach.script.model import Exercise, HoldDose, Programme, RepsDose
from voicecoach.timeline import compile_programme
from voicecoach.timeline.model import Event, Timeline

EXAMPLES = Path(voicecoach.__file__).parent / "examples"
"""The bundled example programmes (and their exercises/ library)."""

EPS = 1e-6
"""Tolerance for comparing times computed in different orders."""


def fake_measure(text: str) -> float:
    """A speech engine stand-in: 0.15 s plus 0.06 s per character."""
    return 0.15 + 0.06 * len(text)


def linear_measure(base: float, per_char: float):
    """A measure of BASE seconds plus PER_CHAR seconds per character."""

    def measure(text: str) -> float:
        return base + per_char * len(text)

    return measure


def write_yaml(folder: Path, text: str, name: str = "programme.yaml") -> Path:
    """Write dedented TEXT to FOLDER/NAME (creating sub-folders) and return the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load_text(folder: Path, text: str, name: str = "programme.yaml", **kwargs) -> Programme:
    """Write TEXT as a programme file in FOLDER and load it."""
    return load_programme(write_yaml(folder, text, name), **kwargs)


def load_error(
    folder: Path, text: str, name: str = "programme.yaml", kind: type = ScriptError, **kwargs
) -> VoiceCoachError:
    """Write TEXT, load it, and return the error it must raise (of type KIND)."""
    path = write_yaml(folder, text, name)
    with pytest.raises(kind) as info:
        load_programme(path, **kwargs)
    return info.value


_LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$", re.S)


@dataclass(frozen=True)
class Located:
    """An error message split into where and what."""

    file: str
    line: int
    column: int
    message: str


def parse_located(message: str) -> Located:
    """Split 'FILE:LINE:COL: message'; fails the test if the message is not located."""
    match = _LOCATED.match(message)
    assert match, f"not a FILE:LINE:COL: message: {message!r}"
    return Located(match["file"], int(match["line"]), int(match["col"]), match["message"])


def where(err: VoiceCoachError) -> tuple[int, int]:
    """(line, column) parsed from the error's one-line text."""
    located = parse_located(str(err))
    assert err.location is not None
    assert located.file == err.location.file
    return located.line, located.column


def compile_text(folder: Path, text: str, measure=fake_measure, **kwargs) -> Timeline:
    """Load and compile TEXT with MEASURE."""
    return compile_programme(load_text(folder, text, **kwargs), measure)


def texts(timeline: Timeline, **ctx) -> list[str]:
    """The spoken texts in order, optionally only those with the given context fields."""
    return [
        e.text or ""
        for e in timeline.speech()
        if all(getattr(e, key) == value for key, value in ctx.items())
    ]


def tones(timeline: Timeline, name: str | None = None, **ctx) -> list[Event]:
    """Tone events (of NAME) with the given context fields (the marks, `tones: none`)."""
    return [
        e
        for e in timeline.beats()
        if (name is None or e.tone == name)
        and all(getattr(e, key) == value for key, value in ctx.items())
    ]


def first_speech(timeline: Timeline, text: str, **ctx) -> Event:
    """The first speech event saying exactly TEXT (with the given context)."""
    for e in timeline.speech():
        if e.text == text and all(getattr(e, k) == v for k, v in ctx.items()):
            return e
    raise AssertionError(f"{text!r} is never said (context {ctx})")


# --- the timing rules of docs/DESIGN.md, checked independently of the compiler ----------


@dataclass(frozen=True)
class SetPlan:
    """One set in running order, as the rules expect it."""

    exercise: int
    side: str | None
    number: int


def expected_sets(programme: Programme) -> list[SetPlan]:
    """Every set in the order DESIGN.md describes (sides in order, or alternating)."""
    plan = []
    for index, ex in enumerate(programme.exercises):
        sides = ex.sides if ex.sides and not ex.alternate_reps else (None,)
        if ex.alternate_sides:
            order = [(s, n) for n in range(1, ex.sets + 1) for s in sides]
        else:
            order = [(s, n) for s in sides for n in range(1, ex.sets + 1)]
        plan += [SetPlan(index, side, n) for side, n in order]
    return plan


def warnings_truncated(timeline) -> bool:
    """Whether TIMELINE's warnings stop at their limit with a count of the rest."""
    return bool(timeline.warnings) and timeline.warnings[-1].startswith("... and ")


def rest_before(ex: Exercise, previous: SetPlan, current: SetPlan) -> float:
    """The rest the script asks for between two consecutive sets of one exercise.

    A change of side is a side change (side_rest), except when alternating sides
    wraps round to the first side again: that is an ordinary rest between rounds.
    """
    if previous.side != current.side and not (ex.alternate_sides and current.side == ex.sides[0]):
        return ex.side_rest
    return ex.rest


def period(ex: Exercise) -> float:
    """Seconds from one movement's start to the next."""
    dose = ex.dose
    if isinstance(dose, RepsDose):
        return dose.tempo.up + dose.tempo.hold + dose.tempo.down + dose.tempo.pause
    if isinstance(dose, HoldDose):
        return dose.lead_in + dose.hold + dose.relax
    return 0.0


def movements(ex: Exercise) -> int:
    """Movements in a set: each rep, twice when sides alternate every rep."""
    dose = ex.dose
    if isinstance(dose, RepsDose | HoldDose):
        return dose.reps * (2 if ex.alternate_reps else 1)
    return 1


def set_length(ex: Exercise) -> float:
    """Seconds from the first rep's start to the set's end."""
    dose = ex.dose
    if isinstance(dose, RepsDose):
        tempo = dose.tempo
        return (movements(ex) - 1) * period(ex) + tempo.up + tempo.hold + tempo.down
    if isinstance(dose, HoldDose):
        return (dose.reps - 1) * period(ex) + dose.lead_in + dose.hold
    return dose.work


def intro_minutes(timeline: Timeline) -> int:
    """What the intro should say the session lasts, in whole minutes."""
    return max(1, round(timeline.duration / 60))


def check_timing_rules(programme: Programme, timeline: Timeline) -> None:
    """Assert rules 1-4 of docs/DESIGN.md and the timeline half of rule 5."""
    book = PhraseBook.for_language(programme.language)
    duration = timeline.duration

    # Rule 5 (timeline half): every event lies within [0, duration], in order.
    assert duration > 0
    for e in timeline.events:
        assert -EPS <= e.start <= e.end <= duration + EPS, e
    starts = [e.start for e in timeline.events]
    assert starts == sorted(starts)

    # Rule 1: speech never overlaps (and keeps the builder's small gap).
    speech = timeline.speech()
    for a, b in zip(speech, speech[1:], strict=False):
        assert b.start >= a.end - EPS, f"{a.text!r} overlaps {b.text!r}"

    # Rule 4: chapters tile [0, duration]: intro, each exercise, outro.
    titles = [c.title for c in timeline.chapters]
    expected_titles = [ex.name for ex in programme.exercises] + [book.say("chapter_outro")]
    if programme.intro:
        expected_titles.insert(0, book.say("chapter_intro"))
    assert titles == expected_titles
    assert timeline.chapters[0].start == 0
    assert abs(timeline.chapters[-1].end - duration) < EPS
    for a, b in zip(timeline.chapters, timeline.chapters[1:], strict=False):
        assert a.end == b.start
    for c in timeline.chapters:
        assert c.end >= c.start

    # Each exercise's chapter carries its index; every event of exercise i lies inside it.
    offset = 1 if programme.intro else 0
    held = [None] * offset + list(range(len(programme.exercises))) + [None]
    assert [c.exercise for c in timeline.chapters] == held
    for e in timeline.events:
        if e.exercise is not None:
            chapter = timeline.chapters[e.exercise + offset]
            assert chapter.start - EPS <= e.start and e.end <= chapter.end + EPS, e

    # Rules 2 and 3, set by set (from the tones, or with `tones: none` the marks).
    by_set: dict[tuple, list[Event]] = defaultdict(list)
    for e in timeline.beats():
        per_rep = programme.exercises[e.exercise].alternate_reps
        by_set[(e.exercise, None if per_rep else e.side, e.set)].append(e)
    plan = expected_sets(programme)
    assert set(by_set) == {(s.exercise, s.side, s.number) for s in plan}
    previous: SetPlan | None = None
    previous_end = 0.0
    for current in plan:
        ex = programme.exercises[current.exercise]
        set_tones = by_set[(current.exercise, current.side, current.number)]
        go = [e for e in set_tones if e.tone == "go"]
        ends = [e for e in set_tones if e.tone == "end"]
        assert len(go) == 1 and len(ends) == 1, (current, set_tones)
        start, end = go[0].start, ends[0].start
        assert abs(end - start - set_length(ex)) < EPS

        # Rule 2: rep k starts at set_start + (k - 1) x period, whatever is said.
        dose = ex.dose
        if isinstance(dose, RepsDose | HoldDose):
            pair = 2 if ex.alternate_reps else 1
            for move in range(movements(ex)):
                rep = move // pair + 1
                onset = start + move * period(ex)
                rep_tones = sorted(
                    (
                        e
                        for e in set_tones
                        if e.rep == rep and onset - EPS <= e.start < onset + period(ex) - EPS
                    ),
                    key=lambda e: e.start,
                )
                assert rep_tones, f"rep {rep} of {current} has no tone"
                if ex.alternate_reps:
                    assert rep_tones[0].side == ex.sides[move % 2]
                assert abs(rep_tones[0].start - onset) < EPS
                moving_in = isinstance(dose, RepsDose) or dose.lead_in > 0
                assert rep_tones[0].tone == ("go" if move == 0 else "up" if moving_in else "hold")
                if isinstance(dose, RepsDose):
                    tempo = dose.tempo
                    down = [e for e in rep_tones if e.tone == "down"]
                    assert len(down) == 1
                    assert abs(down[0].start - (onset + tempo.up + tempo.hold)) < EPS
                    holds = [e for e in rep_tones if e.tone == "hold"]
                    if tempo.hold > 0:
                        assert len(holds) == 1
                        assert abs(holds[0].start - (onset + tempo.up)) < EPS
                    else:
                        assert not holds

        # Count-in: one tick a second in the COUNTDOWN seconds before the go tone.
        ticks = sorted(e.start for e in set_tones if e.tone == "count")
        assert len(ticks) == ex.countdown
        for i, tick in enumerate(ticks):
            assert abs(tick - (start - ex.countdown + i)) < EPS

        # Rule 3: the rest from the previous set's end to this set's start.
        if previous is not None and previous.exercise == current.exercise:
            rest = rest_before(ex, previous, current)
            gap = start - previous_end
            assert gap >= rest - EPS, (current, gap, rest)
            label = (
                f"{current.side} set {current.number}" if current.side else f"set {current.number}"
            )
            warned = [
                w
                for w in timeline.warnings
                if w.startswith(f"{ex.name}: ") and f" before {label} grows" in w
            ]
            if gap > rest + EPS:  # warned, unless the warnings were cut at their limit
                assert warned or warnings_truncated(timeline), (
                    f"rest before {current} grew to {gap} without a warning"
                )
            else:
                assert not warned, warned
            assert all(previous_end < tick for tick in ticks)
        previous, previous_end = current, end
