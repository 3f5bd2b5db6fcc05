"""The loader: every v1 field, defaults, the library, and located errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from core_helpers import load_error, load_text, parse_located, where, write_yaml

from voicecoach import pipeline
from voicecoach.errors import LimitError, ScriptError
from voicecoach.script import limits, load_programme
from voicecoach.script.loader import DEFAULT_RELAX, DEFAULT_TEMPO
from voicecoach.script.model import HoldDose, RepsDose, Tempo, TimedDose, Voice

FULL = """
    title: Hip stability, week 1
    language: nl
    voice: {engine: espeak-ng, name: en-gb, rate: 150}
    intro: false
    defaults:
      rest: 45s
      countdown: 5
      side_rest: 12
    exercises:
      - name: Hip exorotation, side-lying
        equipment: [mat, resistance band (optional)]
        setup:
          - Lie on one side.
          - Stack your hips.
        cues:
          - Lift the top knee.
        reminders:
          - Keep your pelvis still.
          - Breathe calmly.
        caution: Stop if you feel pain.
        sides: [left, right]
        sets: 3
        reps: 10
        tempo: 2-1-3
        rest: 30s
        side_rest: 10s
      - name: Side plank
        sides: both
        alternate_sides: true
        sets: 2
        work: 1m30s
        countdown: 0
      - name: Bridge hold
        reps: 5
        hold: 10s
        relax: 5s
"""


def test_every_field(tmp_path):
    p = load_text(tmp_path, FULL)
    assert p.title == "Hip stability, week 1"
    assert p.language == "nl"
    assert p.voice == Voice(engine="espeak-ng", name="en-gb", rate=150)
    assert p.intro is False
    assert p.source == tmp_path / "programme.yaml"
    assert p.library is None  # no library: key and no exercises/ folder beside it
    clam, plank, bridge = p.exercises

    assert clam.name == "Hip exorotation, side-lying"
    assert clam.equipment == ("mat", "resistance band (optional)")
    assert clam.setup == ("Lie on one side.", "Stack your hips.")
    assert clam.cues == ("Lift the top knee.",)
    assert clam.reminders == ("Keep your pelvis still.", "Breathe calmly.")
    assert clam.caution == "Stop if you feel pain."
    assert clam.sides == ("left", "right")
    assert clam.alternate_sides is False
    assert clam.sets == 3
    assert clam.dose == RepsDose(reps=10, tempo=Tempo(2, 1, 3))
    assert clam.rest == 30 and clam.side_rest == 10
    assert clam.countdown == 5  # from defaults
    assert clam.source is not None and clam.source.line == 10 and clam.source.column == 5
    assert clam.library_id is None

    assert plank.sides == ("left", "right")
    assert plank.alternate_sides is True
    assert plank.dose == TimedDose(work=90)
    assert plank.countdown == 0
    assert plank.rest == 45 and plank.side_rest == 12  # from defaults

    assert bridge.dose == HoldDose(reps=5, hold=10, relax=5)
    assert bridge.sets == 1
    assert bridge.sides == ()
    assert p.equipment == ("mat", "resistance band (optional)")


def test_minimal_programme_gets_the_documented_defaults(tmp_path):
    p = load_text(
        tmp_path,
        """
        title: T
        exercises:
          - name: Squat
            reps: 8
        """,
    )
    assert p.language == "en" and p.intro is True and p.voice == Voice()
    (ex,) = p.exercises
    assert ex.dose == RepsDose(reps=8, tempo=DEFAULT_TEMPO)
    assert (ex.sets, ex.rest, ex.side_rest, ex.countdown) == (1, 30.0, 10.0, 3)
    assert ex.caution is None and ex.setup == () and ex.sides == ()


def test_voice_as_a_plain_string_is_the_voice_name(tmp_path):
    p = load_text(tmp_path, "title: T\nvoice: en-gb\nexercises: [{name: A, reps: 1}]\n")
    assert p.voice == Voice(engine=None, name="en-gb", rate=None)  # engine: pipeline.load picks


def test_tempo_forms_and_hold_default_relax(tmp_path):
    p = load_text(
        tmp_path,
        """
        title: T
        exercises:
          - {name: A, reps: 4, tempo: 3-1-3-1}
          - {name: B, reps: 4, tempo: [1, 0, 2]}
          - {name: C, reps: 3, hold: 20}
          - {name: D, reps: 3, hold: 20, relax: 0}
          - {name: E, work: 45}
          - {name: F, sides: right, reps: 2}
        """,
    )
    a, b, c, d, e, f = p.exercises
    assert a.dose.tempo == Tempo(3, 1, 3, 1)
    assert b.dose.tempo == Tempo(1, 0, 2)
    assert c.dose == HoldDose(reps=3, hold=20, relax=DEFAULT_RELAX)
    assert d.dose == HoldDose(reps=3, hold=20, relax=0)
    assert e.dose == TimedDose(work=45)
    assert f.sides == ("right",)


def test_exercises_override_defaults_and_a_dose_in_defaults_can_be_replaced(tmp_path):
    p = load_text(
        tmp_path,
        """
        title: T
        defaults:
          sets: 3
          reps: 12
          tempo: 1-0-1
          rest: 1m
          sides: both
          equipment: [mat]
        exercises:
          - name: Uses all defaults
          - name: Timed instead
            work: 30s
          - name: Holds instead
            hold: 5s
          - name: Own reps keep default tempo
            reps: 6
            sides: [right]
            rest: 0
        """,
    )
    a, b, c, d = p.exercises
    assert a.dose == RepsDose(12, Tempo(1, 0, 1))
    assert (a.sets, a.rest, a.sides, a.equipment) == (3, 60, ("left", "right"), ("mat",))
    assert b.dose == TimedDose(30)
    assert c.dose == HoldDose(reps=12, hold=5, relax=DEFAULT_RELAX)
    assert d.dose == RepsDose(6, Tempo(1, 0, 1))
    assert d.sides == ("right",) and d.rest == 0 and d.sets == 3


# --- the library and use: -----------------------------------------------------------

LIB_EXERCISE = """
    name: Bird dog
    equipment: [an exercise mat]
    cues: [Reach one arm forward.]
    reps: 8
    tempo: 2-1-2
    sets: 3
"""


def make_library(folder: Path, sub: str = "exercises") -> Path:
    write_yaml(folder / sub, LIB_EXERCISE, "bird-dog.yaml")
    write_yaml(folder / sub, "name: Bridge hold\nreps: 5\nhold: 10s\n", "bridge-hold.yml")
    return folder / sub


def test_use_from_the_default_exercises_folder(tmp_path):
    make_library(tmp_path)
    p = load_text(tmp_path, "title: T\nexercises:\n  - use: bird-dog\n  - use: bridge-hold\n")
    bird, bridge = p.exercises
    assert p.library == tmp_path / "exercises"
    assert bird.name == "Bird dog" and bird.library_id == "bird-dog"
    assert bird.dose == RepsDose(8, Tempo(2, 1, 2)) and bird.sets == 3
    assert bird.equipment == ("an exercise mat",)
    assert bridge.dose == HoldDose(5, 10, DEFAULT_RELAX)  # a .yml file works too


def test_use_with_a_relative_library_key(tmp_path):
    make_library(tmp_path, "shared/lib")
    text = "title: T\nlibrary: ../shared/lib\nexercises: [{use: bird-dog}]\n"
    p = load_text(tmp_path, text, name="programmes/p.yaml")
    assert p.library == (tmp_path / "shared" / "lib").resolve()
    assert p.exercises[0].name == "Bird dog"


def test_library_argument_overrides_the_library_key(tmp_path):
    other = make_library(tmp_path, "elsewhere")
    text = "title: T\nlibrary: does-not-exist\nexercises: [{use: bird-dog}]\n"
    p = load_text(tmp_path, text, library=other)
    assert p.library == other
    assert p.exercises[0].name == "Bird dog"
    p = load_text(tmp_path, text, library=str(other))
    assert p.exercises[0].library_id == "bird-dog"


def test_dose_overrides_on_use(tmp_path):
    make_library(tmp_path)
    p = load_text(
        tmp_path,
        """
        title: T
        defaults: {countdown: 5, rest: 40s}
        exercises:
          - use: bird-dog
            reps: 4
          - use: bird-dog
            work: 45s
          - use: bird-dog
            hold: 6
          - use: bird-dog
            name: Bird dog, slow
            tempo: 3-1-4
            sets: 1
          - use: bridge-hold
            tempo: 2-0-2
        """,
    )
    keep_tempo, timed, holds, renamed, bridge = p.exercises
    assert keep_tempo.dose == RepsDose(4, Tempo(2, 1, 2))
    assert keep_tempo.sets == 3 and keep_tempo.countdown == 5 and keep_tempo.rest == 40
    assert timed.dose == TimedDose(45)
    assert holds.dose == HoldDose(8, 6, DEFAULT_RELAX)
    assert renamed.name == "Bird dog, slow" and renamed.sets == 1
    assert renamed.dose == RepsDose(8, Tempo(3, 1, 4))
    assert bridge.dose == RepsDose(5, Tempo(2, 0, 2))  # tempo displaces the library's hold


def test_a_library_file_is_read_once_and_equal_uses_give_equal_exercises(tmp_path):
    make_library(tmp_path)
    p = load_text(tmp_path, "title: T\nexercises: [{use: bird-dog}, {use: bird-dog}]\n")
    a, b = p.exercises
    assert a.dose == b.dose and a.name == b.name


def test_unknown_use_id_suggests_the_nearest(tmp_path):
    make_library(tmp_path)
    err = load_error(tmp_path, "title: T\nexercises:\n  - use: bird-dgo\n")
    assert where(err) == (3, 10)
    assert "use: no exercise 'bird-dgo' in" in str(err)
    assert str(err).endswith("(did you mean 'bird-dog'?)")


def test_unknown_use_id_lists_the_known_ones_when_nothing_is_close(tmp_path):
    make_library(tmp_path)
    err = load_error(tmp_path, "title: T\nexercises:\n  - use: squat\n")
    assert str(err).endswith("; known: bird-dog, bridge-hold")


def test_use_without_any_library(tmp_path):
    err = load_error(tmp_path, "title: T\nexercises:\n  - use: bird-dog\n")
    assert where(err) == (3, 10)
    assert "use: no library folder for 'bird-dog'" in str(err)


def test_use_with_a_missing_library_folder(tmp_path):
    err = load_error(tmp_path, "title: T\nlibrary: nowhere\nexercises:\n  - use: bird-dog\n")
    assert where(err) == (4, 10)
    assert "does not exist" in str(err)


def test_errors_inside_a_library_file_are_located_in_that_file(tmp_path):
    lib = tmp_path / "exercises"
    write_yaml(lib, "name: Bad\nreps: 8\ntempo: quick\n", "bad.yaml")
    write_yaml(lib, "name: Typo\nrep: 8\n", "typo.yaml")
    write_yaml(lib, "name: Both\nreps: 8\nwork: 30\n", "both.yaml")
    write_yaml(lib, "name: U\nuse: bird-dog\nreps: 3\n", "nested-use.yaml")
    cases = {
        "bad": (3, 8, "tempo: expected a tempo such as '2-1-3'"),
        "typo": (2, 1, "unknown key 'rep' in library exercise (did you mean 'reps'?)"),
        "both": (3, 1, "work: cannot be combined with 'reps' in one exercise"),
        "nested-use": (2, 1, "unknown key 'use' in library exercise: 'use' only goes in"),
    }
    for ex_id, (line, column, fragment) in cases.items():
        err = load_error(tmp_path, f"title: T\nexercises:\n  - use: {ex_id}\n")
        located = parse_located(str(err))
        assert located.file == str(lib / f"{ex_id}.yaml")
        assert (located.line, located.column) == (line, column), str(err)
        assert located.message.startswith(fragment), str(err)


# --- errors, each with its exact location ---------------------------------------------


def test_unknown_key_with_did_you_mean(tmp_path):
    err = load_error(tmp_path, "title: T\nexercises:\n  - name: A\n    rep: 10\n")
    assert str(err) == (
        f"{tmp_path / 'programme.yaml'}:4:5: unknown key 'rep' in exercise (did you mean 'reps'?)"
    )


def test_unknown_key_without_a_near_match_lists_the_keys(tmp_path):
    err = load_error(tmp_path, "title: T\ncolour: blue\nexercises: [{name: A, reps: 1}]\n")
    assert where(err) == (2, 1)
    assert "unknown key 'colour' in programme; expected one of: title, language" in str(err)


def test_unknown_keys_in_voice_and_defaults(tmp_path):
    err = load_error(tmp_path, "title: T\nvoice: {engin: x}\nexercises: [{name: A, reps: 1}]\n")
    assert where(err) == (2, 9)
    assert "unknown key 'engin' in voice (did you mean 'engine'?)" in str(err)
    err = load_error(tmp_path, "title: T\ndefaults:\n  name: X\nexercises: [{name: A, reps: 1}]\n")
    assert where(err) == (3, 3)
    assert "unknown key 'name' in defaults" in str(err)
    err = load_error(tmp_path, "title: T\ndefaults:\n  use: x\nexercises: [{name: A, reps: 1}]\n")
    assert "'use' only goes in a programme's exercises" in str(err)


def test_odd_keys_are_shown_escaped_and_short(tmp_path):
    err = load_error(tmp_path, 'title: T\n"sets\\nreps": 1\nexercises: [{name: A, reps: 1}]\n')
    assert "\n" not in str(err)
    assert "unknown key 'sets\\nreps' in programme" in str(err)
    err = load_error(tmp_path, f"title: T\n{'k' * 5000}: 1\nexercises: [{{name: A, reps: 1}}]\n")
    assert len(str(err)) < len(str(tmp_path)) + 300
    err = load_error(tmp_path, 'title: T\n"a\\tb": 1\n"a\\tb": 2\n')
    assert "duplicate key 'a\\tb' (first written at line 2)" in str(err)


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("title: [a]\nexercises: [{name: A, reps: 1}]\n", 1, 8, "title: expected a line of text"),
        (
            "title: T\nintro: maybe\nexercises: [{name: A, reps: 1}]\n",
            2,
            8,
            "intro: expected true or false",
        ),
        (
            "title: T\nvoice: {rate: fast}\nexercises: [{name: A, reps: 1}]\n",
            2,
            15,
            "voice.rate: expected a whole number of at least 1",
        ),
        (
            "title: T\nvoice: 7\nexercises: [{name: A, reps: 1}]\n",
            2,
            8,
            "voice: expected a mapping",
        ),
        (
            "title: T\ndefaults: [rest]\nexercises: [{name: A, reps: 1}]\n",
            2,
            11,
            "defaults: expected a mapping",
        ),
        (
            "title: T\nexercises: {name: A}\n",
            2,
            12,
            "exercises: expected a list of at least one exercise",
        ),
        ("title: T\nexercises: []\n", 2, 12, "exercises: expected a list of at least one exercise"),
        (
            "title: T\nexercises:\n  - Squat\n",
            3,
            5,
            "exercise: expected a mapping of keys, got 'Squat'",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: ten\n",
            4,
            11,
            "reps: expected a whole number of at least 1, got 'ten'",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 0\n",
            4,
            11,
            "reps: expected a whole number of at least 1, got 0",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 4\n    sets: -2\n",
            5,
            11,
            "sets: expected a whole number of at least 1, got -2",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 4\n    countdown: -1\n",
            5,
            16,
            "countdown: expected a whole number of at least 0",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 4\n    rest: soon\n",
            5,
            11,
            "rest: expected a duration such as 30",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    work: 0\n",
            4,
            11,
            "work: expected a duration above zero, got 0",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 3\n    hold: -1s\n",
            5,
            11,
            "hold: expected a duration",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 4\n    tempo: 2-1\n",
            5,
            12,
            "tempo: expected a tempo such as '2-1-3'",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 4\n    tempo: slow\n",
            5,
            12,
            "tempo: expected a tempo",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 4\n    sides: []\n",
            5,
            12,
            "sides: expected left, right, both, or a list such as [left, right]",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 4\n    sides: [left, left]\n",
            5,
            12,
            "sides: expected each side once",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 4\n    alternate_sides: yes please\n",
            5,
            22,
            "alternate_sides: expected true, false, sets or reps",
        ),
        (
            "title: T\nexercises:\n  - name: A\n    reps: 4\n    cues: {a: 1, b: 2}\n",
            5,
            11,
            "cues[1]: expected a line of text",
        ),
        (
            "title: T\nexercises:\n  - name: ''\n    reps: 4\n",
            3,
            11,
            "name: expected a line of text",
        ),
    ],
)
def test_wrong_values_are_located(tmp_path, text, line, column, fragment):
    err = load_error(tmp_path, text)
    assert where(err) == (line, column), str(err)
    assert parse_located(str(err)).message.startswith(fragment), str(err)


@pytest.mark.parametrize(
    ("dose", "line", "column", "message"),
    [
        ("reps: 5\n    work: 30s", 5, 5, "work: cannot be combined with 'reps' in one exercise"),
        ("work: 30s\n    reps: 5", 5, 5, "reps: cannot be combined with 'work' in one exercise"),
        ("reps: 5\n    tempo: 2-1-2\n    hold: 5s", 6, 5, "hold: cannot be combined with 'tempo'"),
        (
            "reps: 5\n    relax: 5s\n    tempo: 2-0-2",
            6,
            5,
            "tempo: cannot be combined with 'relax'",
        ),
        ("work: 30s\n    hold: 5", 5, 5, "hold: cannot be combined with 'work'"),
    ],
)
def test_two_dose_kinds_in_one_place(tmp_path, dose, line, column, message):
    err = load_error(tmp_path, f"title: T\nexercises:\n  - name: A\n    {dose}\n")
    assert where(err) == (line, column), str(err)
    assert message in str(err)
    assert "the dose is one of reps with tempo, reps with hold (and relax), or work" in str(err)


def test_two_dose_kinds_in_defaults(tmp_path):
    err = load_error(
        tmp_path, "title: T\ndefaults:\n  work: 30\n  tempo: 2-0-2\nexercises: [{name: A}]\n"
    )
    assert where(err) == (4, 3)
    assert "tempo: cannot be combined with 'work'" in str(err)


def test_hold_without_reps(tmp_path):
    err = load_error(tmp_path, "title: T\nexercises:\n  - name: A\n    hold: 10s\n")
    assert where(err) == (4, 5)
    assert "hold: needs 'reps' too" in str(err)


def test_relax_without_hold(tmp_path):
    err = load_error(tmp_path, "title: T\nexercises:\n  - name: A\n    reps: 3\n    relax: 5s\n")
    assert where(err) == (5, 5)
    assert "relax: only goes with 'hold'" in str(err)


def test_no_dose_at_all(tmp_path):
    err = load_error(tmp_path, "title: T\nexercises:\n  - name: A\n    sets: 3\n")
    assert where(err) == (3, 5)
    assert "exercise has no dose: give 'reps'" in str(err)


def test_alternate_sides_needs_two_sides(tmp_path):
    for sides in ("\n    sides: left", "\n    sides: [left]", ""):
        text = f"title: T\nexercises:\n  - name: A\n    reps: 3{sides}\n    alternate_sides: true\n"
        err = load_error(tmp_path, text)
        line = 6 if sides else 5
        assert where(err) == (line, 22), str(err)
        assert "alternate_sides: needs two sides" in str(err)
    p = load_text(
        tmp_path, "title: T\nexercises:\n  - {name: A, reps: 3, alternate_sides: false}\n"
    )
    assert p.exercises[0].alternate_sides is False


def test_missing_title_exercises_and_name(tmp_path):
    err = load_error(tmp_path, "exercises: [{name: A, reps: 1}]\n")
    assert where(err) == (1, 1) and "missing required key 'title'" in str(err)
    err = load_error(tmp_path, "title: T\n")
    assert where(err) == (1, 1) and "missing required key 'exercises'" in str(err)
    err = load_error(tmp_path, "title: T\nexercises:\n  - reps: 3\n    sets: 2\n")
    assert where(err) == (3, 5)
    assert "exercise has no 'name' (or 'use:' of a library exercise)" in str(err)


def test_duplicate_key(tmp_path):
    err = load_error(tmp_path, "title: T\nexercises:\n  - name: A\n    reps: 3\n    reps: 4\n")
    assert where(err) == (5, 5)
    assert "duplicate key 'reps' (first written at line 4)" in str(err)


def test_unknown_language(tmp_path):
    err = load_error(tmp_path, "title: T\nlanguage: xx\nexercises: [{name: A, reps: 1}]\n")
    assert where(err) == (2, 11)
    assert "language: no phrase pack for 'xx'; available: de, en, es, fr, nl" in str(err)
    p = load_text(tmp_path, "title: T\nlanguage: NL\nexercises: [{name: A, reps: 1}]\n")
    assert p.language == "nl"


def test_programme_must_be_a_mapping(tmp_path):
    err = load_error(tmp_path, "- title: T\n")
    assert where(err) == (1, 1)
    assert "programme: expected a mapping of keys, got a list" in str(err)


def test_yaml_syntax_error_is_located(tmp_path):
    err = load_error(tmp_path, "title: T\nexercises:\n  - name: [A\n    reps: 3\n")
    line, _ = where(err)
    assert line in (3, 4)
    assert "this '[' list is not closed with ']'" in str(err)


def test_missing_file(tmp_path):
    with pytest.raises(ScriptError) as info:
        load_programme(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: no such file"
    with pytest.raises(ScriptError, match="is a folder"):
        load_programme(tmp_path)


def test_yaml_merge_keys_are_resolved(tmp_path):
    p = load_text(
        tmp_path,
        """
        title: T
        exercises:
          - &base {name: A, reps: 3, sets: 2}
          - <<: *base
            name: B
        """,
    )
    a, b = p.exercises
    assert (b.name, b.sets, b.dose.reps) == ("B", 2, 3)
    assert a.name == "A"


# --- limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sets", 21, "sets: 21 is over the limit of 20"),
        ("reps", 201, "reps: 201 is over the limit of 200"),
        ("countdown", 11, "countdown: 11 is over the limit of 10"),
        ("rest", "31m", "rest: 31m is longer than the limit of 30m"),
        ("side_rest", "1h", "side_rest: 1h is longer than the limit of 30m"),
        ("tempo", "2-1-61", "tempo: a phase of 61s is over the limit of 60s"),
        ("caution", "x" * 601, "caution: text is 601 characters; the limit is 600"),
        ("name", "x" * 601, "name: text is 601 characters; the limit is 600"),
        ("cues", "[" + ", ".join(["c"] * 51) + "]", "cues: 51 lines is over the limit of 50"),
    ],
)
def test_limits_on_exercise_fields(tmp_path, field, value, message):
    base = {"name": "A", "reps": 3}
    base[field] = value
    body = "\n".join(f"    {k}: {v}" for k, v in base.items())
    err = load_error(tmp_path, f"title: T\nexercises:\n  -\n{body}\n", kind=LimitError)
    line = 4 + list(base).index(field)
    assert where(err)[0] == line, str(err)
    assert parse_located(str(err)).message == message


@pytest.mark.parametrize(
    ("dose", "message"),
    [
        ("work: 31m", "work: 31m is longer than the limit of 30m"),
        ("reps: 2\n    hold: 11m", "hold: 11m is longer than the limit of 10m"),
        ("reps: 2\n    hold: 5\n    relax: 11m", "relax: 11m is longer than the limit of 10m"),
    ],
)
def test_limits_on_durations(tmp_path, dose, message):
    err = load_error(tmp_path, f"title: T\nexercises:\n  - name: A\n    {dose}\n", kind=LimitError)
    assert parse_located(str(err)).message == message


def test_limit_on_number_of_exercises(tmp_path):
    items = "\n".join("  - {name: A, reps: 1}" for _ in range(limits.MAX_EXERCISES))
    assert len(load_text(tmp_path, f"title: T\nexercises:\n{items}\n").exercises) == 100
    err = load_error(
        tmp_path, f"title: T\nexercises:\n{items}\n  - {{name: A, reps: 1}}\n", kind=LimitError
    )
    assert where(err) == (3, 3)
    assert "exercises: 101 is over the limit of 100" in str(err)


def test_voice_rate_limit(tmp_path):
    err = load_error(
        tmp_path,
        "title: T\nvoice: {rate: 1900}\nexercises: [{name: A, reps: 1}]\n",
        kind=LimitError,
    )
    assert "voice.rate: 1900 is over the limit of 1000" in str(err)


# --- the corpus of malformed programmes -------------------------------------------------

HANG_GUARD = 30.0
"""Seconds a refusal may take before it counts as a hang (speed is measured in bench.py)."""

MALFORMED = Path(__file__).parent / "malformed"
CORPUS = sorted(MALFORMED.glob("*.yaml"))


def expected_fragments(path: Path) -> list[str]:
    """The first lines of a corpus file: '# expect: <part of one error line>', one per error."""
    lines = path.read_bytes().decode("utf-8", "replace").split("\n")
    expects = [line for line in lines if line.startswith("# expect: ")]
    assert lines[0].startswith("# expect: "), f"{path.name} lacks an '# expect:' first line"
    return [line.removeprefix("# expect: ").strip() for line in expects]


def test_the_corpus_is_there():
    assert 60 <= len(CORPUS) <= 150


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_malformed_corpus(path):
    fragments = expected_fragments(path)
    started = time.perf_counter()
    with pytest.raises(ScriptError) as info:
        pipeline.load(path)  # what `validate` runs: the loader and the length bound
    assert time.perf_counter() - started < HANG_GUARD  # speed: scripts/bench.py
    lines = info.value.lines()
    assert len(lines) == len(fragments), lines
    errors = info.value.errors if len(fragments) > 1 else (info.value,)
    for fragment, err, text in zip(fragments, errors, lines, strict=True):
        assert fragment in text
        assert "\n" not in text
        assert err.location is not None
        assert text.startswith(f"{err.location.file}:")
        # the error names the programme, or the library file the mistake is in
        assert err.location.file == str(path) or err.location.file.startswith(
            str(MALFORMED / "exercises")
        )
        if err.location.line is not None:
            located = parse_located(text) if err.location.column else None
            if located:
                assert (located.line, located.column) == (err.location.line, err.location.column)
