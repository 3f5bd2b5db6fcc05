"""Hostile and mistaken input: no character that acts on a terminal gets in, every mistake
is located (all of them, in plain words), libraries stay within reach, and durations and
tempos read as written."""

from __future__ import annotations

import os
import time

import pytest
from click.testing import CliRunner
from core_helpers import EXAMPLES, load_error, load_text, write_yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_helpers import examples

from voicecoach import pipeline
from voicecoach.cli import main
from voicecoach.errors import LimitError, ScriptError, ScriptErrors
from voicecoach.live.player import PlayerState
from voicecoach.live.terminal import format_status
from voicecoach.pipeline import VoiceOverride
from voicecoach.printable import printable
from voicecoach.script import load_programme
from voicecoach.script.loader import MAX_ERRORS
from voicecoach.script.model import RepsDose, Tempo
from voicecoach.script.yamlerrors import MAX_YAML_ERRORS
from voicecoach.script.yamlsource import forbidden_character, parse_yaml

HANG_GUARD = 30.0
"""Seconds a refusal may take before it counts as a hang (speed is measured in bench.py)."""

# --- 1. no control or invisible character passes -----------------------------------------

# Every place a programme holds text, with {} where the text goes (double-quoted, so
# YAML escapes like \e reach the loader). The last ones are a key and an unknown field:
# the check is a property of how YAML text is read, not a list of fields.
TEXT_PLACES = [
    'title: "{}"\nexercises: [{{name: A, reps: 1}}]\n',
    'title: T\nlanguage: "{}"\nexercises: [{{name: A, reps: 1}}]\n',
    'title: T\nvoice: "{}"\nexercises: [{{name: A, reps: 1}}]\n',
    'title: T\nvoice: {{engine: "{}"}}\nexercises: [{{name: A, reps: 1}}]\n',
    'title: T\nvoice: {{name: "{}"}}\nexercises: [{{name: A, reps: 1}}]\n',
    'title: T\nlibrary: "{}"\nexercises: [{{name: A, reps: 1}}]\n',
    'title: T\ndefaults: {{caution: "{}"}}\nexercises: [{{name: A, reps: 1}}]\n',
    'title: T\nexercises: [{{name: "{}", reps: 1}}]\n',
    'title: T\nexercises: [{{name: A, reps: 1, equipment: ["{}"]}}]\n',
    'title: T\nexercises: [{{name: A, reps: 1, setup: ["{}"]}}]\n',
    'title: T\nexercises: [{{name: A, reps: 1, cues: ["{}"]}}]\n',
    'title: T\nexercises: [{{name: A, reps: 1, reminders: ["{}"]}}]\n',
    'title: T\nexercises: [{{name: A, reps: 1, caution: "{}"}}]\n',
    'title: T\nexercises: [{{name: A, reps: 1, sides: ["{}", right]}}]\n',
    'title: T\nexercises: [{{name: A, reps: 1, rest: "{}"}}]\n',
    'title: T\nexercises: [{{use: "{}"}}]\n',
    'title: T\nexercises: [{{name: A, reps: 1, "{}": 1}}]\n',
    'title: T\nexercises: [{{name: A, reps: 1, a_field_added_later: "{}"}}]\n',
]
BAD_TEXT = {
    "osc title sequence": ("Squat\\e]2;PWNED\\a", "U+001B (ESC)"),
    "bell": ("Go\\a", "U+0007 (BEL)"),
    "nul": ("Go\\0", "U+0000 (NUL)"),
    "c1 csi": ("\\x9b2J", "U+009B (CSI)"),
    "next line": ("a\\Nb", "U+0085"),
    "lone surrogate": ("A\\ud800B", "U+D800"),
    "bidi override": ("abc\\u202edef", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    "bidi isolate": ("abc\\u2066def", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    "zero-width space": ("ab\\u200bc", "U+200B (ZERO WIDTH SPACE)"),
    "zero-width joiner": ("ab\\u200dc", "U+200D (ZERO WIDTH JOINER)"),
    "byte order mark": ("ab\\ufeffc", "U+FEFF"),
    "soft hyphen": ("ab\\u00adc", "U+00AD (SOFT HYPHEN)"),
}


@pytest.mark.parametrize("place", TEXT_PLACES, ids=range(len(TEXT_PLACES)))
@pytest.mark.parametrize("bad", BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_control_and_invisible_characters_are_refused_in_every_text(tmp_path, place, bad):
    escaped, named = bad
    text = place.format(escaped)
    err = load_error(tmp_path, text)
    assert f"text holds {named}" in str(err), str(err)
    line = text.split("\n").index(next(ln for ln in text.split("\n") if escaped in ln)) + 1
    assert err.location.line == line
    assert err.location.column == text.split("\n")[line - 1].index('"' + escaped) + 1


def test_in_a_library_exercise_too(tmp_path):
    write_yaml(tmp_path / "exercises", 'name: "Bird\\u202edog"\nreps: 3\n', "bird.yaml")
    err = load_error(tmp_path, "title: T\nexercises: [{use: bird}]\n")
    assert err.location.file.endswith("bird.yaml")
    assert "U+202E" in err.message and "used at" in err.message


def test_a_character_written_as_itself_is_pointed_at(tmp_path):
    err = load_error(tmp_path, "title: T\nexercises:\n  - name: Lie\u200b down\n    reps: 1\n")
    assert (err.location.line, err.location.column) == (3, 14)
    assert "at character 4" in err.message


@settings(max_examples=examples(200), deadline=None)
@given(st.text(min_size=1, max_size=12))
def test_any_text_is_refused_exactly_when_it_holds_such_a_character(text):
    import unicodedata

    bad = any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in "\t\n\r" for ch in text)
    escaped = "".join(f"\\U{ord(ch):08x}" for ch in text)
    try:
        parse_yaml(f'title: "{escaped}"\n', "p.yaml")
    except ScriptError as err:
        assert bad and "text holds" in err.message
    else:
        assert not bad
    assert (forbidden_character(text) is not None) == bad


def test_printable_escapes_what_a_terminal_acts_on():
    assert printable("plain é ü 日本") == "plain é ü 日本"
    shown = printable("a\x1b]2;PWNED\x07b\u202ec\ud800\nd")
    assert shown == "a\\x1b]2;PWNED\\x07b\\u202ec\\ud800\\x0ad"
    assert shown.isprintable()


def test_a_file_name_with_escapes_is_printed_escaped():
    runner = CliRunner()
    result = runner.invoke(main, ["validate", "no\x1b]2;PWNED\x07such.yaml"])
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "no\\x1b]2;PWNED\\x07such.yaml: no such file" in result.stderr


def test_plays_status_line_is_escaped():
    class Said:
        text = "Go\x1b[2J now"

    state = PlayerState(
        position=3.0,
        frame=0,
        chapter=1,
        chapter_title="Squat\x1b]2;x\x07",
        exercise=1,
        event=None,
        said=Said(),
        paused=False,
        finished=False,
        stopped=False,
    )
    line = format_status(state, 60.0, 2)
    assert "\x1b" not in line and "\x07" not in line
    assert "Go\\x1b[2J now" in line and "Squat\\x1b]2;x\\x07" in line


# --- 2. the library stays within reach ------------------------------------------------------

CLINIC_EXERCISE = "name: Bird dog\nreps: 8\n"


def clinic(tmp_path, library: str | None) -> tuple:
    """clinic/programmes/p.yaml beside clinic/exercises/bird-dog.yaml."""
    write_yaml(tmp_path / "clinic" / "exercises", CLINIC_EXERCISE, "bird-dog.yaml")
    head = "title: T\n" + (f"library: {library}\n" if library is not None else "")
    path = write_yaml(tmp_path / "clinic" / "programmes", head + "exercises: [{use: bird-dog}]\n")
    return path


def test_a_library_beside_the_programmes_folder_is_normal(tmp_path):
    path = clinic(tmp_path, "../exercises")
    assert load_programme(path).exercises[0].name == "Bird dog"


@pytest.mark.parametrize("library", ["/etc", "../../..", "../..", "~/exercises", "../../x/.."])
def test_a_library_further_out_is_refused(tmp_path, library):
    path = clinic(tmp_path, library)
    with pytest.raises(ScriptError) as info:
        load_programme(path)
    err = info.value
    assert (err.location.line, err.location.column) == (2, 10)
    assert "is outside the folder that holds the programme's folder" in err.message
    assert "--library" in err.message
    # the command line may point anywhere
    assert load_programme(path, library=tmp_path / "clinic" / "exercises").exercises


def test_a_symlink_out_of_reach_is_refused_and_nothing_of_it_is_listed(tmp_path):
    outside = tmp_path / "private"
    write_yaml(outside, "secret: the content\n", "diary.yaml")
    path = clinic(tmp_path, "linked")
    os.symlink(outside, path.parent / "linked")
    with pytest.raises(ScriptError) as info:
        load_programme(path)
    assert "is outside" in str(info.value)
    assert "diary" not in str(info.value) and "secret" not in str(info.value)
    # the default exercises/ folder may not lead out either
    text = "title: T\nexercises: [{use: diary}]\n"
    default = write_yaml(tmp_path / "clinic" / "more" / "programmes", text)
    os.symlink(outside, default.parent / "exercises")
    with pytest.raises(ScriptError) as info:
        load_programme(default)
    assert (info.value.location.line, info.value.location.column) == (2, 19)
    assert "leads outside" in str(info.value) and "secret" not in str(info.value)


def test_validate_and_build_refuse_a_library_out_of_reach(tmp_path):
    path = clinic(tmp_path, "/etc")
    runner = CliRunner()
    for command in (["validate"], ["build", "--engine", "fake", "-o", str(tmp_path / "t.mp3")]):
        result = runner.invoke(main, [*command, str(path)])
        assert result.exit_code == 1
        assert result.stderr.startswith(f"error: {path}:2:10: library: '/etc' is outside")
    assert not (tmp_path / "t.mp3").exists()


# --- 4. every error located -------------------------------------------------------------------


def test_too_many_values_is_located(tmp_path):
    items = ", ".join(["x"] * 21_000)
    err = load_error(tmp_path, f"title: T\nexercises: [{{name: A, reps: 1}}]\ncues: [{items}]\n")
    assert "values once aliases are expanded" in err.message
    assert err.location.line == 3


def test_nesting_too_deep_for_the_parser_is_located(tmp_path):
    value = "[" * 3000 + "x" + "]" * 3000
    err = load_error(tmp_path, f"title: T\nexercises: [{{name: A, reps: 1}}]\ncues: {value}\n")
    assert "nested more than 32 levels deep" in err.message
    assert (err.location.line, err.location.column) == (3, 39)  # the 33rd '['


# --- 5. YAML mistakes in plain words, all of them --------------------------------------------


def test_several_yaml_mistakes_are_all_reported_in_line_order(tmp_path):
    text = "title Hips\nexercises:\n  - name: Squat\n\treps: 3\n  - name: B\n     reps: 2\n"
    err = load_error(tmp_path, text, kind=ScriptErrors)
    lines = [line.split(": ", 1)[0].rsplit(":", 2)[1:] for line in err.lines()]
    assert lines == [["1", "1"], ["4", "1"], ["6", "6"]]
    assert "write 'title: Hips'" in err.lines()[0]
    assert "indent with spaces, not tabs" in err.lines()[1]


def test_yaml_mistakes_stop_at_a_limit(tmp_path):
    text = "title: T\n" + "".join(f"k{i} x\n" for i in range(40))
    err = load_error(tmp_path, text, kind=ScriptErrors)
    assert len(err.errors) == MAX_YAML_ERRORS
    assert err.lines()[-1].endswith(f"stopped after {MAX_YAML_ERRORS} errors")


def test_errors_in_several_exercises_are_all_reported(tmp_path):
    exercises = "".join(f"  - name: E{i}\n    reps: many\n" for i in range(3))
    err = load_error(tmp_path, "title: T\nexercises:\n" + exercises, kind=ScriptErrors)
    assert [e.location.line for e in err.errors] == [4, 6, 8]
    assert all("reps: expected a whole number" in e.message for e in err.errors)


def test_errors_stop_at_a_limit(tmp_path):
    exercises = "".join(f"  - name: E{i}\n    reps: many\n" for i in range(40))
    started = time.perf_counter()
    err = load_error(tmp_path, "title: T\nexercises:\n" + exercises, kind=ScriptErrors)
    assert time.perf_counter() - started < HANG_GUARD  # speed: scripts/bench.py
    assert len(err.errors) == MAX_ERRORS and err.stopped
    result = CliRunner().invoke(main, ["validate", err.location.file])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == MAX_ERRORS + 1


def test_a_misspelt_required_key_is_not_also_missing(tmp_path):
    err = load_error(tmp_path, "titel: T\nexercises: [{name: A, reps: 1}]\n")
    assert err.message == "unknown key 'titel' in programme (did you mean 'title'?)"


def test_mistakes_in_a_library_file_and_the_programme_are_reported_together(tmp_path):
    write_yaml(tmp_path / "exercises", "name: Bird\nreps: lots\n", "bird.yaml")
    text = "title: T\nexercises:\n  - use: bird\n  - name: B\n    rest: soon\n    reps: 2\n"
    err = load_error(tmp_path, text, kind=ScriptErrors)
    assert err.errors[0].location.file.endswith("bird.yaml")
    assert err.errors[1].location.line == 5


# --- 6. one grammar for durations and tempos ------------------------------------------------


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("45", 45),
        ("45s", 45),
        ("'45'", 45),
        ("2m", 120),
        ("1m30s", 90),
        ("1m 30s", 90),
        ("1:30", 90),
        ("'1:30'", 90),
        ("0:45", 45),
        ("1.5m", 90),
        ("30 sec", 30),
        ("30 secs", 30),
        ("30 seconds", 30),
        ("1 second", 1),
        ("1 min", 60),
        ("2 mins", 120),
        ("2 minutes", 120),
        ("1 minute 30 seconds", 90),
        ("1 min 30 sec", 90),
        ("010", 10),
        ("0.5h", 1800),
    ],
)
def test_every_duration_form(tmp_path, written, seconds):
    programme = load_text(
        tmp_path, f"title: T\nexercises: [{{name: A, reps: 2, rest: {written}}}]\n"
    )
    assert programme.exercises[0].rest == seconds


@pytest.mark.parametrize(
    "written", ["'٣٠s'", "'３０s'", "30 sex", "1:75", "1::30", "1h:30", "30s 1m", "2:1:3", ".nan"]
)
def test_other_durations_list_the_forms(tmp_path, written):
    err = load_error(tmp_path, f"title: T\nexercises: [{{name: A, reps: 2, rest: {written}}}]\n")
    assert "rest: expected a duration such as 30, '45s', '2m', '1m30s' or '1:30'" in err.message
    assert "'30 seconds'" in err.message


def test_unquoted_tempo_reads_as_written_not_as_sexagesimal(tmp_path):
    programme = load_text(tmp_path, "title: T\nexercises: [{name: A, reps: 2, tempo: 2:1:3}]\n")
    assert programme.exercises[0].dose == RepsDose(2, Tempo(2, 1, 3))
    err = load_error(tmp_path, "title: T\nexercises: [{name: A, reps: 2, tempo: 2:1:3:1:1}]\n")
    assert err.message.endswith("got 2:1:3:1:1")  # not YAML 1.1's 26131


def test_counts_and_texts_read_as_written(tmp_path):
    text = "title: .nan\nexercises: [{name: 0x10, reps: 010, sets: '3'}]\n"
    programme = load_text(tmp_path, text)
    assert programme.title == ".nan"
    assert programme.exercises[0].name == "0x10"
    assert (programme.exercises[0].dose.reps, programme.exercises[0].sets) == (10, 3)
    err = load_error(tmp_path, "title: T\nexercises: [{name: A, reps: '٣'}]\n")
    assert "reps: expected a whole number of at least 1, got '٣'" in err.message


# --- issue 12 item 9: a list item YAML joins into the one above -------------------------------


def test_an_over_indented_dash_line_is_warned_about(tmp_path):
    text = (
        "title: T\nexercises:\n  - name: A\n    reps: 2\n    setup:\n"
        "      - Lie on your side.\n        - Bend your knees.\n      - Relax.\n"
    )
    programme = load_text(tmp_path, text)
    assert programme.exercises[0].setup == ("Lie on your side. - Bend your knees.", "Relax.")
    (warning,) = programme.warnings
    assert (warning.location.line, warning.location.column) == (7, 9)
    assert "indented more than the line above it" in warning.message
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "programme.yaml")])
    assert result.exit_code == 0
    assert result.stderr.startswith(f"warning: {tmp_path / 'programme.yaml'}:7:9: this '- ' line")


def test_a_dash_inside_a_sentence_or_block_text_is_no_warning(tmp_path):
    text = (
        "title: T\nexercises:\n  - name: A\n    reps: 2\n    caution: Stop -\n      now.\n"
        "    cues:\n      - |\n        Lift\n        - and lower.\n"
    )
    assert load_text(tmp_path, text).warnings == ()


def test_validate_is_quick_on_every_refusal(tmp_path):
    path = write_yaml(tmp_path, "title: T\nexercises:\n" + "  - {name: A, reps: x}\n" * 100)
    started = time.perf_counter()
    with pytest.raises(ScriptErrors):
        pipeline.load(path)
    assert time.perf_counter() - started < HANG_GUARD  # speed: scripts/bench.py


# --- 3. validate refuses what build would, quickly ---------------------------------------------


def test_a_session_over_the_limit_once_laid_out_is_refused_at_load(tmp_path):
    """The quick bound passes; laying it out (with estimated phrase lengths) does not."""
    exercises = "".join(
        f"  - {{name: E{i}, sides: both, sets: 3, reps: 12, tempo: 1-0-1}}\n" for i in range(60)
    )
    path = write_yaml(tmp_path, "title: T\nvoice: {engine: fake}\nexercises:\n" + exercises)
    with pytest.raises(LimitError) as info:
        pipeline.load(path)
    err = info.value
    assert "the session would last 4h" in err.message and "by the end of 'E" in err.message
    name = err.message.split("by the end of '")[1].split("'")[0]
    assert err.location.line == 4 + int(name[1:])  # the exercise that tips it over
    runner = CliRunner()
    validate = runner.invoke(main, ["validate", str(path)])
    build = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "t.mp3")])
    assert validate.exit_code == build.exit_code == 1
    assert validate.stderr == build.stderr == f"error: {err}\n"
    assert not (tmp_path / "t.mp3").exists()


@pytest.mark.e2e
def test_the_load_time_estimate_is_tight(tmp_path):
    """What `validate` lays out with estimated phrase lengths comes within 5% of the
    length built with the real voice (the old dose-only bound was a third short)."""
    from voicecoach.speech.base import estimate_duration
    from voicecoach.timeline import compile_programme
    from voicecoach.timeline.estimate import minimum_seconds

    programme = pipeline.load(EXAMPLES / "hip-stability.yaml", voice=VoiceOverride("espeak-ng"))
    estimated = compile_programme(programme, estimate_duration).duration
    cache = pipeline.open_cache(programme, tmp_path / "cache")
    built = pipeline.plan(programme, cache).duration
    assert abs(estimated - built) < 0.05 * built
    assert sum(minimum_seconds(ex) for ex in programme.exercises) < estimated


def test_a_runaway_number_of_sounds_stops_at_the_exercise(tmp_path, monkeypatch):
    from voicecoach.script import limits

    monkeypatch.setattr(limits, "MAX_EVENTS", 200)
    text = "title: T\nvoice: {engine: fake}\nexercises:\n" + "  - {name: A, reps: 30}\n" * 4
    path = write_yaml(tmp_path, text)
    with pytest.raises(LimitError) as info:
        pipeline.load(path)
    assert "more than 200 sounds by the end of 'A'" in info.value.message
    assert info.value.location.line == 5


def test_warnings_are_capped(tmp_path):
    from voicecoach.script import limits
    from voicecoach.speech.base import estimate_duration
    from voicecoach.timeline import compile_programme

    exercises = "  - {name: A, sets: 20, reps: 2, rest: 0}\n" * 4
    programme = load_text(tmp_path, "title: T\nexercises:\n" + exercises)
    warnings = compile_programme(programme, estimate_duration).warnings
    assert len(warnings) == limits.MAX_WARNINGS + 1
    assert warnings[-1].startswith("... and ") and "more warnings like these" in warnings[-1]


@pytest.mark.parametrize("tempo", ["0.001-0-0.001", "2-0.1-2", "2-1-2-0.2"])
def test_a_tempo_phase_too_short_to_mark_is_refused(tmp_path, tempo):
    err = load_error(tmp_path, f"title: T\nexercises: [{{name: A, reps: 2, tempo: {tempo}}}]\n")
    assert "is shorter than the shortest of 0.5s" in err.message


@pytest.mark.e2e
def test_validate_refuses_an_unknown_voice_like_build(tmp_path):
    text = "title: T\nvoice: {engine: espeak-ng, name: elvish}\nexercises: [{name: A, reps: 2}]\n"
    path = write_yaml(tmp_path, text)
    runner = CliRunner()
    validate = runner.invoke(main, ["validate", str(path)])
    build = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "t.mp3")])
    assert validate.exit_code == build.exit_code == 1
    assert validate.stderr.startswith(f'error: {path}:2:8: voice: unknown espeak-ng voice "elvish"')
    assert build.stderr.splitlines()[-1] == validate.stderr.strip()
