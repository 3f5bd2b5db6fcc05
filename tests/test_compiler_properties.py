"""The five timing rules of docs/DESIGN.md hold for any programme and any voice speed."""

from __future__ import annotations

import dataclasses
import tempfile
import zlib
from pathlib import Path

import pytest
import yaml
from core_helpers import (
    check_timing_rules,
    expected_sets,
    fake_measure,
    intro_minutes,
    linear_measure,
    load_text,
    texts,
    tones,
    warnings_truncated,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_helpers import examples

from voicecoach.audio.sidecars import timeline_json_text
from voicecoach.phrases import LANGUAGES, PhraseBook
from voicecoach.script import load_programme
from voicecoach.script.loader import DEFAULT_RELAX, DEFAULT_TEMPO
from voicecoach.script.model import (
    Exercise,
    HoldDose,
    Programme,
    RepsDose,
    Tempo,
    TimedDose,
    Voice,
)
from voicecoach.timeline import compile_programme
from voicecoach.timeline.estimate import minimum_seconds
from voicecoach.timeline.sides import change_to, first_side
from voicecoach.timeline.tone_lengths import TONE_LENGTHS

SETTINGS = settings(
    max_examples=examples(120),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- phrase-duration functions ---------------------------------------------------------


@st.composite
def measures(draw):
    """A speech engine's phrase lengths: fast to very slow, linear or irregular."""
    base = draw(st.floats(0.02, 1.5))
    per_char = draw(st.floats(0.003, 0.3))
    jitter = draw(st.sampled_from([0.0, 0.0, 0.3, 2.0]))

    def measure(text: str) -> float:
        wobble = (zlib.crc32(text.encode()) % 1000) / 1000 * jitter
        return base + per_char * len(text) + wobble

    measure.monotone = jitter == 0.0  # type: ignore[attr-defined]
    measure.__name__ = f"measure({base:.3f}+{per_char:.4f}/char+{jitter}~)"
    return measure


# --- programmes as dataclasses ---------------------------------------------------------

seconds = st.integers(0, 240).map(lambda n: n / 4)  # quarter seconds, 0..60
line = st.sampled_from(
    [
        "Breathe.",
        "Keep your pelvis still.",
        "No swinging: slow and controlled, all the way up and all the way down again.",
        "Go.",
        "Hips stay stacked. Don't let them roll back.",
        "Feel the work in your buttock.",
        "Lie on your side with your head resting on your lower arm and your knees bent.",
    ]
)
lines = st.lists(line, max_size=3).map(tuple)


@st.composite
def tempos(draw):
    half = st.integers(1, 10).map(lambda n: n / 2)
    return Tempo(
        up=draw(half),
        hold=draw(st.integers(0, 6).map(lambda n: n / 2)),
        down=draw(half),
        pause=draw(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0])),
    )


doses = st.one_of(
    st.builds(RepsDose, reps=st.integers(1, 12), tempo=tempos()),
    st.builds(
        HoldDose,
        reps=st.integers(1, 5),
        hold=st.integers(1, 160).map(lambda n: n / 4),
        relax=st.integers(0, 40).map(lambda n: n / 4),
        lead_in=st.sampled_from([0.0, 2.0, 2.0, 1.0, 3.5]),
    ),
    st.builds(TimedDose, work=st.integers(1, 360).map(lambda n: n / 4)),
)
side_sets = st.sampled_from(
    [(), (), ("left",), ("right",), ("left", "right"), ("left", "right"), ("right", "left")]
)
side_meanings = st.sampled_from(
    ["side", "side", "leg", "arm", "lying_on", "your {side} arm and {other} leg"]
)
PHASES = ("up", "hold", "down", "pause", "relax")


def dose_phases(dose) -> tuple[str, ...]:
    """The phases a reminder of DOSE may be tied to."""
    if isinstance(dose, RepsDose):
        tempo = dose.tempo
        return ("up", "down") + (("hold",) if tempo.hold else ()) + (("pause",) * bool(tempo.pause))
    if isinstance(dose, HoldDose):
        return ("hold", "relax") if dose.relax else ("hold",)
    return ()


@st.composite
def exercises(draw, index: int):
    sides = draw(side_sets)
    dose = draw(doses)
    reminders = tuple(dict.fromkeys(draw(st.lists(line, max_size=4))))
    phased: tuple = ()
    if reminders and dose_phases(dose) and draw(st.booleans()):
        tied = reminders[-1]
        phased = ((tied, draw(st.sampled_from(dose_phases(dose)))),)
    alternation = draw(st.sampled_from(["", "sets", "reps"])) if len(sides) > 1 else ""
    if alternation == "reps" and not isinstance(dose, RepsDose):
        alternation = "sets"
    return Exercise(
        name=f"Move {index + 1}",
        dose=dose,
        sets=draw(st.integers(1, 4)),
        equipment=draw(st.lists(st.sampled_from(["mat", "band", "chair"]), max_size=2)),
        setup=draw(lines),
        cues=draw(lines),
        reminders=reminders,
        caution=draw(st.none() | line),
        sides=sides,
        side_means=draw(side_meanings),
        alternate_sides=alternation == "sets",
        alternate_reps=alternation == "reps",
        rest=draw(seconds),
        side_rest=draw(seconds),
        countdown=draw(st.integers(0, 10)),
        transition=draw(st.sampled_from([0.0, 15.0, 15.0, 5.0, 45.0, 100.0])),
        tempo_words=draw(st.sampled_from([None, None, ("lift", "lower"), ("out", "in")])),
        count=draw(st.sampled_from(["start", "top", "end", "end"])),
        reminder_phases=phased,
    )


@st.composite
def programmes(draw):
    count = draw(st.integers(1, 4))
    return Programme(
        title=draw(st.sampled_from(["Hips", "Knee programme, week 3", "Rug"])),
        exercises=tuple(draw(exercises(i)) for i in range(count)),
        language=draw(st.sampled_from(sorted(LANGUAGES))),
        voice=Voice(),
        intro=draw(st.booleans()),
    )


def check_count_ins_are_clear(timeline) -> None:
    """Nothing is said over a set's count-in except its own numbers."""
    ticks = [t for t in timeline.tones() if t.tone == "count"]
    blocks = {(t.exercise, t.side, t.set) for t in ticks}
    for block in blocks:
        own = [t for t in ticks if (t.exercise, t.side, t.set) == block]
        first, last = own[0].start, own[-1].start + 1.0
        for e in timeline.speech():
            if e.end > first + 1e-9 and e.start < last - 1e-9:
                assert e.text.isdigit(), (e.text, first)


def check_load_estimate_is_a_lower_bound(programme: Programme, timeline) -> None:
    """The loader's session bound never exceeds what the compiler lays out."""
    chapters = timeline.chapters[int(programme.intro) : -1]  # the exercises' chapters
    last = len(programme.exercises) - 1
    for i, (exercise, chapter) in enumerate(zip(programme.exercises, chapters, strict=True)):
        assert minimum_seconds(exercise, last=i == last) <= chapter.end - chapter.start + 1e-6


def check_every_reminder_is_said_or_warned(programme: Programme, timeline) -> None:
    """Each reminder is said in its own exercise, or a warning names it."""
    for index, exercise in enumerate(programme.exercises):
        said = set(texts(timeline, exercise=index))
        tied = dict(exercise.reminder_phases)
        for reminder in exercise.reminders:
            if reminder in said:
                continue
            assert reminder in tied, f"{reminder!r} of {exercise.name} is never said"
            assert warnings_truncated(timeline) or any(
                w.startswith(f"{exercise.name}: ") and f"'{reminder}'" in w
                for w in timeline.warnings
            ), (reminder, timeline.warnings)


def check_rests_are_said_at_their_length(programme: Programme, timeline) -> None:
    """'Rest for N' between sets and exercises says the rest's real length."""
    book = PhraseBook.for_language(programme.language)
    plan = expected_sets(programme)
    go = {(e.exercise, e.side, e.set): e.start for e in tones(timeline, "go")}
    end = {(e.exercise, e.side, e.set): e.start for e in tones(timeline, "end")}
    previous = None
    for current in plan:
        ex = programme.exercises[current.exercise]
        key = (current.exercise, current.side, current.number)
        if ex.alternate_reps:
            key = (current.exercise, ex.sides[0], current.number)
            end_key = (current.exercise, None, current.number)
        else:
            end_key = key
        same = previous is not None and previous[0].exercise == current.exercise
        side_change = same and previous[0].side != current.side
        if side_change and ex.alternate_sides and current.side == ex.sides[0]:
            side_change = False  # a new round of alternating sides: an ordinary rest
        if same and not side_change:
            gap = go[key] - previous[1]
            said = texts(timeline, exercise=current.exercise, set=current.number)
            lines = {book.say("rest", duration=book.duration(gap + d)) for d in (-1e-6, 1e-6)}
            assert lines & set(said), (gap, said)
        previous = (current, end[end_key])
    offset = int(programme.intro)
    for index, exercise in enumerate(programme.exercises[:-1]):
        if exercise.transition <= 0:
            continue
        last_end = max(e.start for e in tones(timeline, "end", exercise=index))
        rest = timeline.chapters[offset + index + 1].start - last_end
        coming = programme.exercises[index + 1].name.rstrip(".")
        said = texts(timeline, exercise=index)
        lines = {book.say("rest", duration=book.duration(rest + d)) for d in (-1e-6, 1e-6)}
        following = said.index(book.say("next_exercise", name=coming))
        assert said[following - 1] in lines, (rest, said)
        assert rest >= exercise.transition - 1e-6


def check_sides_are_said_as_they_are(programme: Programme, timeline) -> None:
    """One side: announced as the only one, never a change; two: a start and changes."""
    book = PhraseBook.for_language(programme.language)
    for index, exercise in enumerate(programme.exercises):
        said = texts(timeline, exercise=index)
        changes = {change_to(book, exercise, side) for side in ("left", "right")}
        starts = {first_side(book, exercise, side) for side in ("left", "right")}
        if not exercise.sides:
            assert not changes & set(said) and not starts & set(said)
        elif len(exercise.sides) == 1:
            assert not changes & set(said), said
            assert said.count(first_side(book, exercise, exercise.sides[0])) == 1
        else:
            assert said.count(first_side(book, exercise, exercise.sides[0])) == 1
            if not (exercise.alternate_sides or exercise.alternate_reps):
                second = change_to(book, exercise, exercise.sides[1])
                assert said.count(second) == 1


def check_no_long_silence_in_an_exercise(programme: Programme, timeline) -> None:
    """Within an exercise (its transition included) no 30 s pass without a word."""
    for index in range(len(programme.exercises)):
        speech = [e for e in timeline.speech() if e.exercise == index]
        for a, b in zip(speech, speech[1:], strict=False):
            assert b.start - a.end <= 30.0, (a.text, b.text, b.start - a.end)


def check_intro_minutes(programme: Programme, timeline, measure) -> None:
    """The intro says the session's length in whole minutes, whatever the voice."""
    book = PhraseBook.for_language(programme.language)
    stems = {book.say("intro_length", count=n, minutes=n)[:12] for n in (1, 2)}
    said = [e.text for e in timeline.speech() if (e.text or "")[:12] in stems]
    if not programme.intro:
        assert said == []
        return
    assert len(said) == 1
    minutes = intro_minutes(timeline)
    assert said[0] == book.say("intro_length", count=minutes, minutes=minutes)


@SETTINGS
@given(programme=programmes(), measure=measures())
def test_timing_rules_hold_for_any_programme(programme, measure):
    timeline = compile_programme(programme, measure)
    check_timing_rules(programme, timeline)
    check_intro_minutes(programme, timeline, measure)
    check_count_ins_are_clear(timeline)
    check_load_estimate_is_a_lower_bound(programme, timeline)
    for e in timeline.tones():
        assert e.tone in TONE_LENGTHS
        assert abs(e.duration - TONE_LENGTHS[e.tone]) < 1e-9
    for e in timeline.speech():
        assert abs(e.duration - measure(e.text)) < 1e-9


@SETTINGS
@given(programme=programmes(), measure=measures())
def test_guidance_rules_hold_for_any_programme(programme, measure):
    """Issue 12's rules: reminders, true rest lengths and sides, for any voice speed."""
    timeline = compile_programme(programme, measure)
    check_every_reminder_is_said_or_warned(programme, timeline)
    check_rests_are_said_at_their_length(programme, timeline)
    check_sides_are_said_as_they_are(programme, timeline)


@settings(SETTINGS, max_examples=examples(80))
@given(
    programme=programmes(),
    base=st.floats(0.1, 0.4),
    per_char=st.floats(0.04, 0.08),
)
def test_no_long_silence_with_a_natural_voice(programme, base, per_char):
    """With a voice of natural speed, no stretch of an exercise is silent for over 30 s."""
    timeline = compile_programme(programme, linear_measure(base, per_char))
    check_no_long_silence_in_an_exercise(programme, timeline)


@settings(SETTINGS, max_examples=examples(40))
@given(programme=programmes(), measure=measures())
def test_compiling_twice_gives_the_same_timeline(programme, measure):
    a = compile_programme(programme, measure)
    b = compile_programme(programme, measure)
    assert a == b and a.warnings == b.warnings
    assert timeline_json_text(a) == timeline_json_text(b)


@settings(SETTINGS, max_examples=examples(60))
@given(programme=programmes(), base=st.floats(0.05, 0.5), per_char=st.floats(0.01, 0.15))
def test_a_slower_voice_never_shortens_a_rest(programme, base, per_char):
    """Rest gaps only grow as phrases get longer (rule 3: never the other way round)."""

    def fast(text):
        return base + per_char * len(text)

    def slow(text):
        return 2 * fast(text)

    def gaps(timeline):
        go = [e.start for e in timeline.tones() if e.tone == "go"]
        end = [e.start for e in timeline.tones() if e.tone == "end"]
        return [(g, e) for g, e in zip(go[1:], end, strict=False)]

    quick, slowly = compile_programme(programme, fast), compile_programme(programme, slow)
    for (go_a, end_a), (go_b, end_b) in zip(gaps(quick), gaps(slowly), strict=True):
        assert go_b - end_b >= go_a - end_a - 1e-6
    grown = [[w for w in t.warnings if " grows from " in w] for t in (quick, slowly)]
    assert len(grown[1]) >= len(grown[0])


# --- programmes written as YAML, through the loader, with defaults ----------------------

duration_texts = st.one_of(
    st.integers(0, 60),
    st.integers(0, 60).map(lambda n: f"{n}s"),
    st.sampled_from(["1m", "0m45s", "1m5s", "0.5m"]),
)
DURATION_VALUES = {"1m": 60.0, "0m45s": 45.0, "1m5s": 65.0, "0.5m": 30.0}


def seconds_of(value) -> float:
    if isinstance(value, int):
        return float(value)
    if value in DURATION_VALUES:
        return DURATION_VALUES[value]
    return float(value.rstrip("s"))


yaml_doses = st.one_of(
    st.fixed_dictionaries({"reps": st.integers(1, 10)}),
    st.fixed_dictionaries(
        {"reps": st.integers(1, 10), "tempo": st.sampled_from(["2-1-3", "1-0-1", "3-1-3-1"])}
    ),
    st.fixed_dictionaries(
        {"reps": st.integers(1, 10), "tempo": st.sampled_from([[2, 0, 2], [1, 1, 1, 1]])}
    ),
    st.fixed_dictionaries({"reps": st.integers(1, 4), "hold": st.sampled_from(["10s", 5, "12"])}),
    st.fixed_dictionaries(
        {"reps": st.integers(1, 4), "hold": st.sampled_from([3, "20s"]), "relax": duration_texts}
    ),
    st.fixed_dictionaries({"work": st.sampled_from([15, "30s", "1m", 45])}),
)
optional_fields = {
    "sets": st.integers(1, 3),
    "rest": duration_texts,
    "side_rest": duration_texts,
    "countdown": st.integers(0, 10),
    "sides": st.sampled_from(["both", ["left", "right"], "left", ["right", "left"], "right"]),
}


@st.composite
def yaml_programmes(draw):
    defaults = draw(st.fixed_dictionaries({}, optional=optional_fields))
    if draw(st.booleans()):
        defaults.update(draw(yaml_doses))
    count = draw(st.integers(1, 3))
    items = []
    for i in range(count):
        item = {"name": f"Move {i + 1}"}
        item.update(draw(st.fixed_dictionaries({}, optional=optional_fields)))
        if not any(k in defaults for k in ("reps", "work")) or draw(st.booleans()):
            item.update(draw(yaml_doses))
        sides = item.get("sides", defaults.get("sides"))
        if sides is not None and sides not in ("left", "right") and draw(st.booleans()):
            item["alternate_sides"] = True
        items.append(item)
    doc = {
        "title": "Generated",
        "language": draw(st.sampled_from(["en", "nl"])),
        "intro": draw(st.booleans()),
        "exercises": items,
    }
    if defaults:
        doc["defaults"] = defaults
    return doc


def expected_dose(layers: list[dict]):
    """The dose the script means: the nearest layer with a dose key decides the kind."""
    merged: dict = {}
    displaces = {
        "work": ("reps", "tempo", "hold", "relax"),
        "hold": ("tempo", "work"),
        "relax": ("tempo", "work"),
        "tempo": ("hold", "relax", "work"),
        "reps": ("work",),
    }
    for layer in layers:
        for key in layer:
            for gone in displaces.get(key, ()):
                if gone not in layer:
                    merged.pop(gone, None)
        merged.update({k: v for k, v in layer.items() if k in displaces})
    if "work" in merged:
        return TimedDose(seconds_of(merged["work"]))
    if "hold" in merged:
        relax = seconds_of(merged["relax"]) if "relax" in merged else DEFAULT_RELAX
        return HoldDose(merged["reps"], seconds_of(merged["hold"]), relax)
    tempo = merged.get("tempo")
    if tempo is None:
        return RepsDose(merged["reps"], DEFAULT_TEMPO)
    parts = tempo if isinstance(tempo, list) else [float(p) for p in tempo.split("-")]
    return RepsDose(merged["reps"], Tempo(*parts))


@settings(SETTINGS, max_examples=examples(80))
@given(doc=yaml_programmes(), measure=measures())
def test_yaml_programmes_with_defaults_load_as_written_and_keep_the_rules(doc, measure):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        programme = load_programme(path)
    defaults = doc.get("defaults", {})
    for item, ex in zip(doc["exercises"], programme.exercises, strict=True):

        def field(key, default, item=item):
            return item.get(key, defaults.get(key, default))

        assert ex.name == item["name"]
        assert ex.sets == field("sets", 1)
        assert ex.rest == seconds_of(field("rest", 30))
        assert ex.side_rest == seconds_of(field("side_rest", 10))
        assert ex.countdown == field("countdown", 3)
        sides = field("sides", ())
        if isinstance(sides, str):
            sides = {"both": ("left", "right"), "left": ("left",), "right": ("right",)}[sides]
        assert ex.sides == tuple(sides)
        assert ex.alternate_sides == item.get("alternate_sides", False)
        assert ex.dose == expected_dose([defaults, item])
    timeline = compile_programme(programme, measure)
    check_timing_rules(programme, timeline)
    check_intro_minutes(programme, timeline, measure)
    check_count_ins_are_clear(timeline)
    check_load_estimate_is_a_lower_bound(programme, timeline)


# --- the checker itself can fail ------------------------------------------------------


def test_the_rule_checker_catches_broken_timelines(tmp_path):
    """Each rule check fails on a timeline broken in just that way."""
    programme = load_text(
        tmp_path,
        "title: T\nexercises:\n  - {name: A, reps: 4, sets: 2, tempo: 1-1-1, rest: 40s,"
        " reminders: [Breathe.]}\n",
    )
    good = compile_programme(programme, fake_measure)
    check_timing_rules(programme, good)

    def broken(change) -> None:
        events = list(good.events)
        change(events)
        events.sort(key=lambda e: e.start)
        timeline = dataclasses.replace(good, events=tuple(events))
        with pytest.raises(AssertionError):
            check_timing_rules(programme, timeline)

    def index(events, **fields):
        return next(
            i for i, e in enumerate(events) if all(getattr(e, k) == v for k, v in fields.items())
        )

    def shift(events, i, by):
        events[i] = dataclasses.replace(
            events[i], start=events[i].start + by, end=events[i].end + by
        )

    # rule 1: a phrase starts before the previous one ends
    def overlap(ev):
        speech = [i for i, e in enumerate(ev) if e.kind == "speech"]
        i = index(ev, text="Rest for 40 seconds.")
        before = ev[speech[speech.index(i) - 1]]
        shift(ev, i, before.end - 0.05 - ev[i].start)

    broken(overlap)
    # rule 2: rep 3 comes a little late
    broken(lambda ev: shift(ev, index(ev, tone="up", set=1, rep=3), 0.05))
    # rule 2: the lowering tone is off the tempo
    broken(lambda ev: shift(ev, index(ev, tone="down", set=2, rep=2), -0.2))

    # rule 3: the second set starts a second early (everything in it moves)
    def early(ev):
        for i, e in enumerate(ev):
            if e.set == 2 and e.kind == "tone":
                shift(ev, i, -1.0)

    broken(early)

    # rule 3: a second late, with no warning saying why
    def late(ev):
        for i, e in enumerate(ev):
            if e.set == 2 and e.kind == "tone":
                shift(ev, i, 1.0)

    broken(late)
    # rule 3: a count-in tick missing
    broken(lambda ev: ev.pop(index(ev, tone="count", set=2)))
    # rule 5: an event past the end
    broken(lambda ev: shift(ev, len(ev) - 1, 10.0))

    # rule 4: a gap between chapters, or a chapter missing
    chapters = list(good.chapters)
    chapters[1] = dataclasses.replace(chapters[1], end=chapters[1].end - 1)
    with pytest.raises(AssertionError):
        check_timing_rules(programme, dataclasses.replace(good, chapters=tuple(chapters)))
    with pytest.raises(AssertionError):
        check_timing_rules(programme, dataclasses.replace(good, chapters=good.chapters[1:]))
