"""`tones: none`: no tone sounds, the voice calls each phase of the rhythm.

Checked on the compiled timeline: no tone events at all, each phase's word starts
exactly where its phase starts and ends before the next one, the timing rules hold
(from the marks that stand where the tones would be), for written and for
hypothesis-drawn programmes; and through the CLI's plan.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner
from core_helpers import (
    EPS,
    check_timing_rules,
    fake_measure,
    linear_measure,
    load_text,
    texts,
    warnings_truncated,
    write_yaml,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_helpers import examples
from test_compiler_properties import (
    SETTINGS,
    check_every_reminder_is_said_or_warned,
    check_load_estimate_is_a_lower_bound,
    check_no_long_silence_in_an_exercise,
    check_rests_are_said_at_their_length,
    check_sides_are_said_as_they_are,
    measures,
    programmes,
)

from voicecoach import pipeline
from voicecoach.audio.sidecars import timeline_document
from voicecoach.cli import main
from voicecoach.page.model import segments
from voicecoach.phrases import PhraseBook
from voicecoach.script.model import HoldDose, Programme, RepsDose, Sound, TimedDose
from voicecoach.timeline import compile_programme
from voicecoach.timeline.builder import SPEECH_GAP
from voicecoach.timeline.tone_lengths import TONE_LENGTHS

PROGRAMME = """
    title: Knee, week 2
    tones: {tones}
    voice: {{engine: fake}}
    exercises:
      - name: Squat
        sets: 2
        reps: 4
        tempo: 2-1-3
        rest: 20s
        countdown: 3
      - name: Clamshell
        sides: [left, right]
        reps: 3
        tempo: 2-0-2-1
        tempo_words: [open, close]
        count: start
        side_rest: 10s
      - name: Bridge
        reps: 2
        hold: 8s
        relax: 4s
      - name: Bird dog
        sides: both
        alternate_sides: reps
        reps: 2
        tempo: 2-2-2
        count: top
      - name: Plank
        work: 20s
"""


def voiced(programme: Programme) -> Programme:
    """PROGRAMME with `tones: none`."""
    return dataclasses.replace(programme, sound=Sound(tones="none"))


def phase_note(timeline, exercise: str, phase: str) -> bool:
    """Whether a warning says a word of EXERCISE's PHASE phase is left out or replaced."""
    return warnings_truncated(timeline) or any(
        w.startswith(f"{exercise}: with tones: none, ") and f" {phase} phase (" in w
        for w in timeline.warnings
    )


def expected_word(book: PhraseBook, programme: Programme, mark) -> tuple[str, str] | None:
    """(phase, word) the voice says at MARK, or None where no word is due."""
    exercise = programme.exercises[mark.exercise]
    dose = exercise.dose
    if isinstance(dose, RepsDose):
        up, down = exercise.tempo_words or (book.part("word_up"), book.part("word_down"))
        words = {
            "go": ("up", book.say("phase_word", word=up)),
            "up": ("up", book.say("phase_word", word=up)),
            "hold": ("hold", book.say("phase_hold")),
            "down": ("down", book.say("phase_word", word=down)),
        }
        return words.get(mark.tone)
    if isinstance(dose, TimedDose):
        return ("work", book.say("phase_go")) if mark.tone == "go" else None
    return None  # holds: checked by check_hold_words


def check_phase_words(programme: Programme, timeline) -> None:
    """At every phase of every rep the voice starts exactly on time, and is done before
    the next phase; or a warning says why not (the phase too short)."""
    assert timeline.tones() == ()
    assert timeline.marks, "no marks: nothing says where the phases are"
    books = {}
    speech = timeline.speech()
    starting = {}
    for e in speech:
        starting.setdefault(round(e.start, 6), e)
    phase_starts = sorted(
        {m.start for m in timeline.marks if m.tone in ("go", "up", "hold", "down")}
    )
    for mark in timeline.marks:
        exercise = programme.exercises[mark.exercise] if mark.exercise is not None else None
        if exercise is None:
            continue
        book = books.setdefault(
            mark.exercise,
            PhraseBook.for_language(programme.language).with_overrides(dict(exercise.phrases)),
        )
        due = expected_word(book, programme, mark)
        if due is None:
            continue
        phase, word = due
        said = starting.get(round(mark.start, 6))
        tied = {text for text, p in exercise.reminder_phases if p == phase}
        if said is not None and said.text in tied:  # a reminder of this phase starts it
            assert mark.rep > 1, (said, mark)
            word = said.text
        if said is None or said.text != word:  # left out, or the rep number said instead
            assert phase_note(timeline, exercise.name, phase), (
                exercise.name,
                mark,
                said,
                word,
                timeline.warnings,
            )
            continue
        following = next((s for s in phase_starts if s > mark.start + EPS), None)
        if following is not None:
            assert said.end <= following - SPEECH_GAP + EPS, (said, following)
        if said.side is not None or exercise.alternate_reps:
            assert said.side == mark.side, (said, mark)


def check_hold_words(programme: Programme, timeline) -> None:
    """A hold's lead-in, its "hold" and its "relax" each start with their phase."""
    for index, exercise in enumerate(programme.exercises):
        dose = exercise.dose
        if not isinstance(dose, HoldDose):
            continue
        starts = {round(e.start, 6) for e in timeline.speech() if e.exercise == index}
        for mark in timeline.marks:
            if mark.exercise != index or mark.tone in ("count", "side", "end"):
                continue
            phase = {"go": "lead-in", "up": "lead-in", "hold": "hold", "down": "relax"}[mark.tone]
            if mark.tone == "go" and dose.lead_in == 0:
                phase = "hold"
            if phase == "relax" and dose.relax == 0:
                continue
            assert round(mark.start, 6) in starts or phase_note(timeline, exercise.name, phase), (
                exercise.name,
                mark,
            )


def test_tones_none_is_accepted_by_the_loader(tmp_path):
    programme = load_text(tmp_path, PROGRAMME.format(tones="None"))
    assert programme.sound.tones == "none" and programme.sound.voiced
    assert not load_text(tmp_path, PROGRAMME.format(tones="soft")).sound.voiced


def test_no_tone_events_and_a_word_at_every_phase(tmp_path):
    programme = load_text(tmp_path, PROGRAMME.format(tones="none"))
    timeline = compile_programme(programme, fake_measure)
    assert not [e for e in timeline.events if e.kind != "speech"]
    check_timing_rules(programme, timeline)  # from the marks: rules 2 and 3 still hold
    check_phase_words(programme, timeline)
    check_hold_words(programme, timeline)
    assert timeline.warnings == ()  # every word fits this programme's phases
    said = texts(timeline)
    book = PhraseBook.for_language("en")
    assert said.count(book.say("phases_hint")) == 1
    assert book.say("tones_hint") not in said
    squat = texts(timeline, exercise=0, side=None, set=1, rep=1)
    assert squat[:4] == ["Up.", "Hold.", "Down.", "1"]  # the count follows its down word
    assert texts(timeline, exercise=1, side="left", set=1, rep=1)[:3] == ["Open.", "1", "Close."]
    plank = texts(timeline, exercise=4)
    assert plank[plank.index("1") + 1] == "Go."  # the count-in's last number, then go


def test_the_demo_calls_every_phase_and_keeps_its_breathing_cue():
    programme = voiced(pipeline.load(pipeline.demo_programme()))
    timeline = compile_programme(programme, fake_measure)
    check_timing_rules(programme, timeline)
    check_phase_words(programme, timeline)
    check_hold_words(programme, timeline)
    assert timeline.warnings == ()
    cue = "Breathe out as you open."  # too long to follow "Open." within the 2 s phase
    ups = {round(m.start, 6) for m in timeline.marks if m.exercise == 0 and m.tone == "up"}
    said = [e for e in timeline.speech() if e.text == cue]
    assert said and all(round(e.start, 6) in ups for e in said)
    assert texts(timeline, exercise=0).count("Open.") == len(ups) + 4 - len(said)  # + go


def test_marks_stand_where_the_tones_would_and_the_page_reads_them(tmp_path):
    toned = load_text(tmp_path, PROGRAMME.format(tones="standard"))
    spoken = voiced(toned)
    with_tones = compile_programme(toned, fake_measure)
    without = compile_programme(spoken, fake_measure)
    assert with_tones.marks == ()
    assert [m.tone for m in without.marks] == [t.tone for t in with_tones.tones()]
    assert all(m.end == m.start for m in without.marks)
    assert {m.tone for m in without.marks} == set(TONE_LENGTHS)

    def shape(programme, timeline):
        return [(s.kind, s.exercise, s.side, s.set, s.rep) for s in segments(programme, timeline)]

    assert shape(spoken, without) == shape(toned, with_tones)
    document = timeline_document(without)
    assert all(e["kind"] == "speech" for e in document["events"])
    assert [m["mark"] for m in document["marks"]] == [m.tone for m in without.marks]
    assert "marks" not in timeline_document(with_tones)


def test_count_in_is_spoken_without_ticks_and_no_side_chime(tmp_path):
    programme = load_text(tmp_path, PROGRAMME.format(tones="none"))
    timeline = compile_programme(programme, fake_measure)
    starting = {round(e.start, 6): e.text for e in timeline.speech()}
    counts = [m for m in timeline.marks if m.tone == "count"]
    assert counts
    for mark in counts:
        assert starting[round(mark.start, 6)].isdigit(), mark
    change = "Change sides. Now your right side."
    side = next(m for m in timeline.marks if m.tone == "side" and m.exercise == 1)
    line = next(e for e in timeline.speech() if e.text == change)
    end = max(m.start for m in timeline.marks if m.tone == "end" and m.side == "left")
    assert abs(line.start - (end + 0.5)) < EPS and side.start < line.start  # no chime first


@pytest.mark.parametrize(
    ("tempo", "missing", "replaced"),
    [
        ("0.5-0.5-0.5", ["'Up.'", "'Hold.'"], "'Down.' in the down phase (0.5s)"),
        ("1-0.5-0.5", ["'Hold.'"], "'Down.' in the down phase (0.5s)"),
        ("1-0-1", [], "'Down.' in the down phase (1s)"),  # "Down." and "1" need 1.16 s
        ("2-0-2", [], None),
    ],
)
def test_a_phase_too_short_for_its_word_is_warned(tmp_path, tempo, missing, replaced):
    text = f"""
        title: Quick
        tones: none
        exercises:
          - name: Pulses
            reps: 3
            tempo: {tempo}
    """
    programme = load_text(tmp_path, text)
    timeline = compile_programme(programme, fake_measure)
    check_timing_rules(programme, timeline)
    check_phase_words(programme, timeline)
    for word in missing:
        assert any(f"there is no room to say {word}" in w for w in timeline.warnings), word
    notes = [w for w in timeline.warnings if "said instead of" in w]
    assert bool(notes) == (replaced is not None)
    if replaced:
        assert notes == [
            f"Pulses: with tones: none, the rep number is said instead of {replaced}"
        ]  # once for the exercise, not once per rep
        down = [m.start for m in timeline.marks if m.tone == "down"]
        starting = {round(e.start, 6): e.text for e in timeline.speech()}
        assert [starting.get(round(t, 6)) for t in down] == ["1", "2", "3"]
    if not missing and not replaced:
        assert timeline.warnings == ()


def test_a_count_in_too_slow_to_say_is_silent_and_warned(tmp_path):
    programme = load_text(tmp_path, PROGRAMME.format(tones="none"))

    def slow(text: str) -> float:
        return 0.9 if text.isdigit() else fake_measure(text)

    timeline = compile_programme(programme, slow)
    assert any("the count-in is silent" in w for w in timeline.warnings)
    check_timing_rules(programme, timeline)


@SETTINGS
@given(programme=programmes(), measure=measures())
def test_voiced_rhythm_rules_hold_for_any_programme(programme, measure):
    programme = voiced(programme)
    timeline = compile_programme(programme, measure)
    assert not [e for e in timeline.events if e.kind != "speech"]
    check_timing_rules(programme, timeline)
    check_phase_words(programme, timeline)
    check_hold_words(programme, timeline)
    check_every_reminder_is_said_or_warned(programme, timeline)
    check_rests_are_said_at_their_length(programme, timeline)
    check_sides_are_said_as_they_are(programme, timeline)
    check_load_estimate_is_a_lower_bound(programme, timeline)


@settings(SETTINGS, max_examples=examples(60))
@given(programme=programmes(), base=st.floats(0.1, 0.4), per_char=st.floats(0.04, 0.08))
def test_voiced_rhythm_leaves_no_long_silence(programme, base, per_char):
    timeline = compile_programme(voiced(programme), linear_measure(base, per_char))
    check_no_long_silence_in_an_exercise(programme, timeline)


def test_plan_shows_the_spoken_phases(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICECOACH_CACHE_DIR", str(tmp_path / "cache"))
    script = write_yaml(tmp_path, PROGRAMME.format(tones="none"))
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(script)]).exit_code == 0
    table = runner.invoke(main, ["plan", str(script)])
    assert table.exit_code == 0, table.output
    assert "no tones: the voice calls each phase" in table.stdout.splitlines()[0]
    assert "♪" not in table.stdout
    assert '"Up."  [set 1, rep 1]' in table.stdout
    assert '"Open."  [left, set 1, rep 1]' in table.stdout
    data = json.loads(runner.invoke(main, ["plan", str(script), "--json"]).stdout)
    assert {e["kind"] for e in data["events"]} == {"speech"}
    assert data["marks"] and {m["kind"] for m in data["marks"]} == {"mark"}
    assert pipeline.tones_for(pipeline.load(script)) == {}
